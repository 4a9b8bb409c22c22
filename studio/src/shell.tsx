import { Suspense, useCallback, useEffect, useState, type FormEvent } from 'react'
import { get, post, StudioApiError, type Meta, type SessionInfo } from './api.ts'
import { BASE, currentRoute, navigate, studioPages } from './registry.ts'

type Theme = 'light' | 'dark'

function initialTheme(): Theme {
  const saved = localStorage.getItem('koya-studio-theme')
  if (saved === 'light' || saved === 'dark') return saved
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'
}

function useRoute() {
  const [route, setRoute] = useState(currentRoute)
  useEffect(() => {
    const onPop = () => setRoute(currentRoute())
    addEventListener('popstate', onPop)
    return () => removeEventListener('popstate', onPop)
  }, [])
  return route
}

type AuthState = { kind: 'loading' } | { kind: 'signin'; setup: { fields: string[] } | null; error?: string } | { kind: 'forbidden'; email: string } | { kind: 'in'; session: SessionInfo; meta: Meta; absent: ReadonlySet<string> }

/** The pages whose probe answers 404: their module is not loaded, so they are not listed. */
async function absentPages(): Promise<Set<string>> {
  const absent = new Set<string>()
  await Promise.all(studioPages().filter((page) => page.probe !== undefined).map(async (page) => {
    try {
      await get(page.probe!)
    } catch (error) {
      if (error instanceof StudioApiError && error.status === 404) absent.add(page.path)
    }
  }))
  return absent
}

export function Shell() {
  const [theme, setTheme] = useState<Theme>(initialTheme)
  const [auth, setAuth] = useState<AuthState>({ kind: 'loading' })
  const route = useRoute()

  useEffect(() => {
    document.documentElement.dataset.theme = theme
    localStorage.setItem('koya-studio-theme', theme)
  }, [theme])

  const load = useCallback(async () => {
    try {
      // All at once (the session, the model and the optional pages' probes): the first paint
      // waits on one round trip, not three.
      const meta = get<Meta>('/admin/meta')
      meta.catch(() => {})
      const absent = absentPages()
      const session = await get<SessionInfo>('/auth/session')
      if (!session.roles.includes('admin')) return setAuth({ kind: 'forbidden', email: session.user.email })
      setAuth({ kind: 'in', session, meta: await meta, absent: await absent })
    } catch (error) {
      if (!(error instanceof StudioApiError) || error.status !== 401) return setAuth({ kind: 'signin', setup: null, error: String(error instanceof Error ? error.message : error) })
      const state = await get<{ needed: boolean; fields: string[] }>('/admin/studio/setup').catch(() => ({ needed: false, fields: [] }))
      setAuth({ kind: 'signin', setup: state.needed ? { fields: state.fields } : null })
    }
  }, [])
  useEffect(() => void load(), [load])

  // `g` then a page's key opens it.
  useEffect(() => {
    let pending = false
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement
      if (target.closest('input, textarea, select, [contenteditable]') || event.ctrlKey || event.metaKey || event.altKey) return
      if (pending) {
        pending = false
        const page = studioPages().find((p) => p.key === event.key)
        if (page) navigate(`${BASE}${page.path}`)
      } else if (event.key === 'g') pending = true
    }
    addEventListener('keydown', onKey)
    return () => removeEventListener('keydown', onKey)
  }, [])

  const toggle = <button type="button" className="ghost" onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>{theme === 'dark' ? '☀' : '☾'}</button>

  if (auth.kind === 'loading') return <main className="center"><p>Loading…</p></main>
  if (auth.kind === 'signin') return <SignIn setup={auth.setup} error={auth.error} onDone={load} toggle={toggle} />
  if (auth.kind === 'forbidden') {
    return (
      <main className="center card">
        <h1>Not an admin</h1>
        <p>{auth.email} is signed in but does not hold the admin role.</p>
        <button type="button" onClick={() => void post('/auth/logout').finally(load)}>Sign out</button>
      </main>
    )
  }
  const pages = studioPages().filter((page) => !auth.absent.has(page.path))
  const active = pages.find((p) => p.path === route.page) ?? pages[0]!
  const Page = active.component
  const dev = auth.meta.project?.environment === 'development'
  return (
    <div className="app">
      <a className="skip" href="#main">Skip to content</a>
      <header className="top">
        <strong className="brand">KoyaLite Studio</strong>
        <span className="muted">{auth.meta.project?.name}{dev ? ' · dev' : ''}</span>
        <nav aria-label="Studio">
          {pages.map((page) => (
            <a key={page.path} href={`${BASE}${page.path}`} aria-current={page === active ? 'page' : undefined} title={`g ${page.key}`}
              onClick={(event) => { event.preventDefault(); navigate(`${BASE}${page.path}`) }}>{page.title}</a>
          ))}
        </nav>
        <span className="spacer" />
        <span className="muted">{auth.session.user.email}</span>
        {toggle}
        <button type="button" className="ghost" onClick={() => void post('/auth/logout').finally(load)}>Sign out</button>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<p className="muted">Loading…</p>}>
          <Page meta={auth.meta} rest={active.path === route.page ? route.rest : []} search={route.search} dev={dev} />
        </Suspense>
      </main>
    </div>
  )
}

function SignIn({ setup, error, onDone, toggle }: { setup: { fields: string[] } | null; error?: string | undefined; onDone: () => void; toggle: React.ReactNode }) {
  const token = new URLSearchParams(location.hash.slice(1)).get('token')
  const settingUp = setup !== null && token !== null
  const [message, setMessage] = useState(error ?? '')
  const [busy, setBusy] = useState(false)
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const form = new FormData(event.currentTarget)
    const email = String(form.get('email'))
    const password = String(form.get('password'))
    setBusy(true)
    try {
      if (settingUp) {
        const profile = Object.fromEntries(setup.fields.map((f) => [f, String(form.get(`profile-${f}`))]))
        await post('/admin/studio/setup', { token, email, password, profile })
        history.replaceState(null, '', BASE)
      }
      await post('/auth/login', { email, password })
      onDone()
    } catch (failure) {
      setMessage(failure instanceof Error ? failure.message : String(failure))
    } finally {
      setBusy(false)
    }
  }
  return (
    <main className="center">
      <form className="card signin" onSubmit={(e) => void submit(e)}>
        <div className="row"><h1>{settingUp ? 'Create the first admin' : 'Sign in to Studio'}</h1><span className="spacer" />{toggle}</div>
        {setup !== null && !settingUp ? <p className="muted">No admin exists yet: open the setup link the server printed at start.</p> : null}
        <label>Email<input name="email" type="email" autoComplete="username" required autoFocus /></label>
        <label>Password<input name="password" type="password" autoComplete={settingUp ? 'new-password' : 'current-password'} required /></label>
        {settingUp ? setup.fields.map((f) => <label key={f}>{f}<input name={`profile-${f}`} required /></label>) : null}
        {message ? <p role="alert" className="error">{message}</p> : null}
        <button type="submit" disabled={busy}>{settingUp ? 'Create admin and sign in' : 'Sign in'}</button>
      </form>
    </main>
  )
}
