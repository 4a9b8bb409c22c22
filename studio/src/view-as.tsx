// "View as user": an impersonation (POST /auth/impersonate, with a reason, audited) whose bearer
// token Studio's reads then carry; Studio offers no writes meanwhile.
import { useEffect, useState } from 'react'
import { get, post, request, setViewAsToken, type Meta } from './api.ts'

// An impersonation started elsewhere (the Users page), for the next ViewAs that mounts to take over.
let handedOver: { email: string; token: string } | undefined

/** Open the data browser as the impersonated user: the Users page starts the impersonation, then navigates to Data. */
export function handOverImpersonation(email: string, token: string): void {
  handedOver = { email, token }
}

export function ViewAs({ meta, onChange }: { meta: Meta; onChange: (email: string | null) => void }) {
  const users = meta.tables.find((t) => t.isUsers)
  const [open, setOpen] = useState(false)
  const [people, setPeople] = useState<{ id: string; email: string }[]>([])
  const [as, setAs] = useState<string | null>(null)
  const [problem, setProblem] = useState('')
  useEffect(() => () => setViewAsToken(undefined), [])
  useEffect(() => {
    if (handedOver === undefined) return
    const { email, token } = handedOver
    handedOver = undefined
    setViewAsToken(token)
    setAs(email)
    onChange(email)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [])
  useEffect(() => {
    if (open && users) void get<{ id: string; email: string }[]>(`/api/${users.name}?select=id,email&order=email&limit=200`).then(setPeople, () => {})
  }, [open, users])
  if (!users) return null
  if (as !== null) {
    return (
      <button type="button" onClick={() => {
        void request('POST', '/auth/impersonate/stop').catch(() => {}).finally(() => { setViewAsToken(undefined); setAs(null); onChange(null) })
      }}>Stop viewing as {as}</button>
    )
  }
  if (!open) return <button type="button" className="ghost" onClick={() => setOpen(true)}>View as user…</button>
  return (
    <form className="row view-as" aria-label="View as user" onSubmit={(e) => {
      e.preventDefault()
      const form = new FormData(e.currentTarget)
      const userId = String(form.get('userId'))
      void post<{ session: { token: string } }>('/auth/impersonate', { userId, reason: String(form.get('reason')) }).then((answer) => {
        setViewAsToken(answer.session.token)
        const email = people.find((p) => p.id === userId)?.email ?? userId
        setAs(email)
        setOpen(false)
        setProblem('')
        onChange(email)
      }, (error: unknown) => setProblem(error instanceof Error ? error.message : String(error)))
    }}>
      <select name="userId" aria-label="User" required>{people.map((p) => <option key={p.id} value={p.id}>{p.email}</option>)}</select>
      <input name="reason" aria-label="Reason (audited)" placeholder="Reason (audited)" required />
      <button type="submit">View</button>
      <button type="button" className="ghost" onClick={() => setOpen(false)}>Cancel</button>
      {problem ? <span className="error" role="alert">{problem}</span> : null}
    </form>
  )
}
