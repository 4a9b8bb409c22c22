import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ProjectIR } from '../../engine/ir/project-ir.ts'
import { applyMigrations, readMigrations } from '../../engine/migrate/index.ts'
import { resolveOAuthProviders } from '../../engine/runtime/auth/oauth/providers.ts'
import { checkRedirect } from '../../engine/runtime/auth/oauth/redirects.ts'
import { loadModel } from '../../engine/runtime/model.ts'
import { createServer } from '../../engine/runtime/server.ts'
import { openDatabase, type SqliteDatabase } from '../../engine/shared/sqlite.ts'
import { tableApis } from '../helpers/app.ts'
import { startFakeOAuthProvider, type FakeOAuthProvider } from '../helpers/fake-oauth-provider.ts'
import { repoRoot } from '../helpers/paths.ts'
import { EMAILS } from '../helpers/emails.ts'

const PUBLIC_URL = 'http://koya.test'

let provider: FakeOAuthProvider
let db: SqliteDatabase

const baseModel = loadModel(repoRoot)

/** The reference app, with both providers configured and a redirect allow-list. */
function modelWith(auth: Partial<ProjectIR['auth']> = {}): ProjectIR {
  const oauth = { clientId: { env: 'OAUTH_CLIENT_ID' }, clientSecret: { env: 'OAUTH_CLIENT_SECRET' } }
  return {
    ...baseModel,
    auth: { ...baseModel.auth, oauth: { github: oauth, google: oauth }, redirects: ['https://app.example.com/after'], trustedOrigins: ['http://localhost:5173'], ...auth },
  }
}

/** The real server for `model`, with the OAuth providers pointed at the fake one. */
async function oauthApp(model: ProjectIR, options: { env?: Record<string, string>; realEndpoints?: boolean; held?: Record<string, string | undefined> } = {}): Promise<FastifyInstance> {
  // `held`: the caller keeps the object the server holds, and changes it as a secrets refresh does.
  const env = Object.assign(options.held ?? {}, { ...(options.env ?? { OAUTH_CLIENT_ID: provider.clientId, OAUTH_CLIENT_SECRET: provider.clientSecret }), KOYA_PUBLIC_URL: PUBLIC_URL })
  return createServer({ model, db, tables: tableApis(model), logger: false, env, ...(options.realEndpoints ? {} : { auth: { oauthEndpoints: provider.endpoints } }) })
}

let app: FastifyInstance

beforeAll(async () => {
  provider = await startFakeOAuthProvider()
})
afterAll(async () => {
  await provider.close()
})

beforeEach(async () => {
  provider.user = { id: '1', name: 'Ada Lovelace', emails: [{ email: 'ada@example.com', primary: true, verified: true }] }
  db = openDatabase(':memory:')
  applyMigrations(db, readMigrations(repoRoot).migrations)
  app = await oauthApp(modelWith())
})
afterEach(async () => {
  await app.close()
  db.close()
})

// ─── Helpers ──────────────────────────────────────────────────────────────────────────────────

interface Flow {
  /** The callback URL the provider sent the browser to (with code and state). */
  readonly callback: URL
  /** The flow's cookies, as the browser would send them back. */
  readonly cookies: Record<string, string>
  readonly start: LightMyRequestResponse
}

function cookiesOf(response: LightMyRequestResponse): Record<string, string> {
  return Object.fromEntries(response.cookies.map((c) => [c.name, c.value]))
}

/** Start a sign-in and follow the fake provider's authorize redirect back to our callback URL. */
async function startFlow(name: 'github' | 'google', redirectTo?: string): Promise<Flow> {
  const start = await app.inject({ method: 'GET', url: `/auth/oauth/${name}`, query: redirectTo === undefined ? {} : { redirectTo } })
  expect(start.statusCode, start.body).toBe(302)
  const authorize = await fetch(start.headers.location as string, { redirect: 'manual' })
  expect(authorize.status).toBe(302)
  return { callback: new URL(authorize.headers.get('location')!), cookies: cookiesOf(start), start }
}

function finish(flow: Flow, overrides: { query?: Record<string, string>; cookies?: Record<string, string> } = {}) {
  return app.inject({
    method: 'GET',
    url: flow.callback.pathname,
    query: { ...Object.fromEntries(flow.callback.searchParams), ...overrides.query },
    cookies: { ...flow.cookies, ...overrides.cookies },
  })
}

async function signIn(name: 'github' | 'google', redirectTo?: string) {
  return finish(await startFlow(name, redirectTo))
}

function count(table: string): number {
  return (db.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n
}

function seedUser(email: string, emailVerified: boolean): string {
  const id = `0190a000-0000-7000-8000-${String(count('users') + 1).padStart(12, '0')}`
  db.prepare('INSERT INTO "users" ("id", "email", "emailVerified", "displayName") VALUES (?, ?, ?, ?)').run(id, email, emailVerified ? 1 : 0, 'Seeded')
  return id
}

/** The user a session cookie signs in as, asked of GET /auth/session. */
async function sessionUser(response: LightMyRequestResponse): Promise<string | undefined> {
  const token = cookiesOf(response)['koya_session']
  if (token === undefined || token === '') return undefined
  const session = await app.inject({ method: 'GET', url: '/auth/session', cookies: { koya_session: token } })
  return session.statusCode === 200 ? (session.json() as { user: { id: string } }).user.id : undefined
}

/** The token of the newest email of a kind to an address, read from the outbox. */
function outboxToken(kind: string, to: string): string {
  const row = db.prepare(`SELECT "text" FROM ${EMAILS} WHERE "kind" = ? AND "to" = ? ORDER BY "id" DESC LIMIT 1`).get(kind, to) as { text: string } | undefined
  const token = /[?&]token=([a-z2-7]+)/.exec(row?.text ?? '')?.[1]
  if (token === undefined) throw new Error(`no ${kind} email to ${to}`)
  return token
}

function links() {
  return db.prepare('SELECT "provider", "providerUserId", "userId", "email" FROM "_koya_oauth_accounts" ORDER BY "provider"').all()
}

function expectError(response: LightMyRequestResponse, status: number, code: string) {
  expect(response.statusCode, response.body).toBe(status)
  expect(response.json()).toMatchObject({ code })
}

// ─── Scenarios ────────────────────────────────────────────────────────────────────────────────

describe('OAuth sign-in', () => {
  it('starts with state and a PKCE challenge kept in short-lived HttpOnly cookies', async () => {
    const start = await app.inject({ method: 'GET', url: '/auth/oauth/google' })
    expect(start.statusCode).toBe(302)
    const location = new URL(start.headers.location as string)
    expect(location.origin + location.pathname).toBe(provider.endpoints.google.authorize)
    expect(location.searchParams.get('redirect_uri')).toBe(`${PUBLIC_URL}/auth/oauth/google/callback`)
    expect(location.searchParams.get('code_challenge_method')).toBe('S256')
    expect(location.searchParams.get('scope')).toBe('openid email profile')
    const state = start.cookies.find((c) => c.name === 'koya_oauth_state')!
    expect(state.value).toBe(location.searchParams.get('state'))
    for (const cookie of start.cookies) {
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/auth/oauth/google', maxAge: 600 })
    }
    // The verifier itself never leaves for the provider.
    const verifier = start.cookies.find((c) => c.name === 'koya_oauth_verifier')!.value
    expect(start.headers.location).not.toContain(verifier)
    expect(start.headers['cache-control']).toBe('no-store')
  })

  it('a new GitHub user is created with the verified primary email, linked, and signed in', async () => {
    provider.user = {
      id: '101',
      name: 'Ada Lovelace',
      emails: [
        { email: 'old@example.com', primary: false, verified: false },
        { email: 'Ada@Example.com', primary: true, verified: true },
      ],
    }
    const response = await signIn('github', '/tasks?view=board')
    expect(response.statusCode, response.body).toBe(302)
    expect(response.headers.location).toBe(`${PUBLIC_URL}/tasks?view=board`)
    const user = db.prepare('SELECT "id", "email", "emailVerified", "displayName" FROM "users"').get() as Record<string, unknown>
    expect(user).toMatchObject({ email: 'ada@example.com', emailVerified: 1, displayName: 'Ada Lovelace' })
    expect(links()).toEqual([{ provider: 'github', providerUserId: '101', userId: user['id'], email: 'ada@example.com' }])
    expect(await sessionUser(response)).toBe(user['id'])
    // The flow's cookies are spent.
    for (const name of ['koya_oauth_state', 'koya_oauth_verifier', 'koya_oauth_redirect']) {
      expect(response.cookies.find((c) => c.name === name)).toMatchObject({ value: '', path: '/auth/oauth/github' })
    }
  })

  it('the same provider account signs in to its linked user again, creating nothing', async () => {
    provider.user = { id: '202', name: 'Grace', emails: [{ email: 'grace@example.com', primary: true, verified: true }] }
    const first = await signIn('google')
    const userId = (db.prepare('SELECT "id" FROM "users"').get() as { id: string }).id
    // The provider's address changed since: the link, not the email, decides.
    provider.user = { id: '202', name: 'Grace', emails: [{ email: 'grace@elsewhere.example', primary: true, verified: false }] }
    const again = await signIn('google')
    expect(again.statusCode, again.body).toBe(302)
    expect(count('users')).toBe(1)
    expect(count('_koya_oauth_accounts')).toBe(1)
    expect(await sessionUser(first)).toBe(userId)
    expect(await sessionUser(again)).toBe(userId)
    expect(count('_koya_sessions')).toBe(2)
  })

  it('a verified provider email is linked to the existing verified account', async () => {
    const existing = seedUser('linus@example.com', true)
    provider.user = { id: '303', name: 'Linus', emails: [{ email: 'LINUS@example.com', primary: true, verified: true }] }
    const response = await signIn('google')
    expect(response.statusCode, response.body).toBe(302)
    expect(count('users')).toBe(1)
    expect(links()).toEqual([{ provider: 'google', providerUserId: '303', userId: existing, email: 'linus@example.com' }])
    expect(await sessionUser(response)).toBe(existing)
  })

  it('an unverified provider email never takes over an existing account, and nothing is created or linked', async () => {
    seedUser('victim@example.com', true)
    provider.user = { id: '404', name: 'Mallory', emails: [{ email: 'victim@example.com', primary: true, verified: false }] }
    for (const name of ['github', 'google'] as const) {
      const response = await signIn(name)
      expectError(response, 403, 'KL_AUTH_OAUTH_EMAIL_UNVERIFIED')
      expect(response.cookies.find((c) => c.name === 'koya_session')).toBeUndefined()
    }
    expect(count('users')).toBe(1)
    expect(count('_koya_oauth_accounts')).toBe(0)
    expect(count('_koya_sessions')).toBe(0)
  })

  it('a verified provider email is not linked to an account that never verified it', async () => {
    seedUser('squatted@example.com', false)
    provider.user = { id: '505', name: 'Owner', emails: [{ email: 'squatted@example.com', primary: true, verified: true }] }
    expectError(await signIn('github'), 409, 'KL_AUTH_OAUTH_LINK_REFUSED')
    expect(count('users')).toBe(1)
    expect(count('_koya_oauth_accounts')).toBe(0)
    expect(count('_koya_sessions')).toBe(0)
  })

  it('an unverified provider email creates no account, links nothing and signs nobody in', async () => {
    provider.user = { id: '606', name: 'Fresh', emails: [{ email: 'fresh@example.com', primary: true, verified: false }] }
    for (const name of ['github', 'google'] as const) {
      const response = await signIn(name)
      expectError(response, 403, 'KL_AUTH_OAUTH_EMAIL_UNVERIFIED')
      expect(response.json().message).toContain('fresh@example.com')
      expect(response.cookies.find((c) => c.name === 'koya_session')).toBeUndefined()
    }
    expect(count('users')).toBe(0)
    expect(count('_koya_oauth_accounts')).toBe(0)
    expect(count('_koya_sessions')).toBe(0)
  })

  it('a new user without a name at the provider gets the provider login as displayName', async () => {
    provider.user = { id: '616', name: null, emails: [{ email: 'noname@example.com', primary: true, verified: true }] }
    const signedIn = await signIn('github')
    expect(signedIn.statusCode, signedIn.body).toBe(302)
    expect(db.prepare('SELECT "email", "emailVerified", "displayName" FROM "users"').get()).toEqual({ email: 'noname@example.com', emailVerified: 1, displayName: 'user616' })
    expect(await sessionUser(signedIn)).toBe((db.prepare('SELECT "id" FROM "users"').get() as { id: string }).id)
  })

  it('an address the provider verifies later signs up then, verified, and not before', async () => {
    provider.user = { id: '626', name: 'Later', emails: [{ email: 'later@example.com', primary: true, verified: false }] }
    expectError(await signIn('github'), 403, 'KL_AUTH_OAUTH_EMAIL_UNVERIFIED')
    expect(count('users')).toBe(0)
    provider.user = { id: '626', name: 'Later', emails: [{ email: 'later@example.com', primary: true, verified: true }] }
    const response = await signIn('github')
    expect(response.statusCode, response.body).toBe(302)
    expect(db.prepare('SELECT "email", "emailVerified" FROM "users"').get()).toEqual({ email: 'later@example.com', emailVerified: 1 })
    expect(links()).toEqual([{ provider: 'github', providerUserId: '626', userId: await sessionUser(response), email: 'later@example.com' }])
  })

  it('an unverified provider address cannot squat an account and keep a way into it after its owner recovers the address', async () => {
    // The attacker's provider account lists the victim's address, unverified.
    const attacker = { id: '666', name: 'Mallory', emails: [{ email: 'victim@example.com', primary: true, verified: false }] }
    provider.user = attacker
    expectError(await signIn('github'), 403, 'KL_AUTH_OAUTH_EMAIL_UNVERIFIED')
    // So the address is free: the victim signs up and proves it through a password reset.
    const signup = await app.inject({ method: 'POST', url: '/auth/signup', payload: { email: 'victim@example.com', password: 'victims own password', displayName: 'V' } })
    expect(signup.statusCode, signup.body).toBe(202)
    await app.inject({ method: 'POST', url: '/auth/password/forgot', payload: { email: 'victim@example.com' } })
    const reset = await app.inject({ method: 'POST', url: '/auth/password/reset', payload: { token: outboxToken('reset-password', 'victim@example.com'), password: 'victims new password' } })
    expect(reset.statusCode, reset.body).toBe(200)
    expect(db.prepare('SELECT "emailVerified" FROM "users"').get()).toEqual({ emailVerified: 1 })
    // The attacker's provider account still gets nowhere.
    provider.user = attacker
    const again = await signIn('github')
    expectError(again, 403, 'KL_AUTH_OAUTH_EMAIL_UNVERIFIED')
    expect(await sessionUser(again)).toBeUndefined()
    expect(count('_koya_oauth_accounts')).toBe(0)
  })

  it('a link an unverified account got from an unverified address (before the rule) is dropped when the owner proves the address', async () => {
    // What an earlier KoyaLite wrote for an OAuth sign-up with an unverified address.
    const squatted = seedUser('owner@example.com', false)
    db.prepare('INSERT INTO "_koya_oauth_accounts" ("provider", "providerUserId", "userId", "email", "createdAt") VALUES (?, ?, ?, ?, ?)').run('github', '667', squatted, 'owner@example.com', '2026-01-01T00:00:00.000Z')
    await app.inject({ method: 'POST', url: '/auth/password/forgot', payload: { email: 'owner@example.com' } })
    const reset = await app.inject({ method: 'POST', url: '/auth/password/reset', payload: { token: outboxToken('reset-password', 'owner@example.com'), password: 'the owners password' } })
    expect(reset.statusCode, reset.body).toBe(200)
    expect(count('_koya_oauth_accounts')).toBe(0)
    provider.user = { id: '667', name: 'Mallory', emails: [{ email: 'owner@example.com', primary: true, verified: false }] }
    const attempt = await signIn('github')
    expectError(attempt, 403, 'KL_AUTH_OAUTH_EMAIL_UNVERIFIED')
    expect(await sessionUser(attempt)).toBeUndefined()

    // An account that is verified already keeps its links when a verification link comes in late.
    await app.inject({ method: 'POST', url: '/auth/signup', payload: { email: 'kept@example.com', password: 'the kept password', displayName: 'K' } })
    const keptId = (db.prepare('SELECT "id" FROM "users" WHERE "email" = ?').get('kept@example.com') as { id: string }).id
    const lateLink = outboxToken('verify-email', 'kept@example.com')
    await app.inject({ method: 'POST', url: '/auth/password/forgot', payload: { email: 'kept@example.com' } })
    await app.inject({ method: 'POST', url: '/auth/password/reset', payload: { token: outboxToken('reset-password', 'kept@example.com'), password: 'the kept password 2' } })
    provider.user = { id: '668', name: 'Kept', emails: [{ email: 'kept@example.com', primary: true, verified: true }] }
    expect((await signIn('github')).statusCode).toBe(302)
    expect((await app.inject({ method: 'POST', url: '/auth/verify-email', payload: { token: lateLink } })).statusCode).toBe(200)
    expect(links()).toEqual([{ provider: 'github', providerUserId: '668', userId: keptId, email: 'kept@example.com' }])
  })

  it('a provider account without an email address is refused', async () => {
    provider.user = { id: '707', name: 'Nobody', emails: [] }
    expectError(await signIn('google'), 400, 'KL_AUTH_OAUTH_NO_EMAIL')
    expect(count('users')).toBe(0)
  })

  it('a callback whose state differs from the cookie is refused before any exchange', async () => {
    const flow = await startFlow('github')
    const before = provider.exchanges.length
    const forged = await finish(flow, { query: { state: 'forged-state' } })
    expectError(forged, 400, 'KL_AUTH_OAUTH_STATE')
    // A failed callback spends the flow too.
    expect(forged.cookies.find((c) => c.name === 'koya_oauth_state')).toMatchObject({ value: '' })
    expectError(await finish(flow, { cookies: { koya_oauth_state: 'other' } }), 400, 'KL_AUTH_OAUTH_STATE')
    const withoutCookies = await app.inject({ method: 'GET', url: flow.callback.pathname + flow.callback.search })
    expectError(withoutCookies, 400, 'KL_AUTH_OAUTH_STATE')
    expect(provider.exchanges.length).toBe(before)
    expect(count('users')).toBe(0)
  })

  it('a wrong PKCE verifier is refused by the provider, and the sign-in fails', async () => {
    for (const name of ['google', 'github'] as const) {
      const flow = await startFlow(name)
      expectError(await finish(flow, { cookies: { koya_oauth_verifier: 'x'.repeat(43) } }), 400, 'KL_AUTH_OAUTH_CODE_REJECTED')
      expect(provider.exchanges.at(-1)).toEqual({ provider: name, ok: false, reason: 'code_verifier' })
    }
    expect(count('users')).toBe(0)
  })

  it('a code works once', async () => {
    const flow = await startFlow('google')
    expect((await finish(flow)).statusCode).toBe(302)
    expectError(await finish(flow), 400, 'KL_AUTH_OAUTH_CODE_REJECTED')
  })

  it('a provider that answers with an error (the user declined) is refused', async () => {
    const flow = await startFlow('github')
    const response = await finish(flow, { query: { error: 'access_denied', code: '' } })
    expectError(response, 400, 'KL_AUTH_OAUTH_DENIED')
    expect(response.json().message).toContain('access_denied')
  })

  it('redirects outside the allow-list are refused before the provider is involved', async () => {
    for (const redirectTo of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)', 'https://app.example.com/afterwards', 'http://koya.test@evil.example/']) {
      const response = await app.inject({ method: 'GET', url: '/auth/oauth/github', query: { redirectTo } })
      expectError(response, 400, 'KL_AUTH_REDIRECT_NOT_ALLOWED')
      expect(response.cookies).toEqual([])
    }
  })

  it('redirects to an allowed address, and re-checks the one the cookie brings back', async () => {
    provider.user = { id: '808', name: 'Margaret', emails: [{ email: 'margaret@example.com', primary: true, verified: true }] }
    expect((await signIn('github', 'https://app.example.com/after/done')).headers.location).toBe('https://app.example.com/after/done')
    expect((await signIn('github', 'http://localhost:5173/')).headers.location).toBe('http://localhost:5173/')
    expect((await signIn('github')).headers.location).toBe(`${PUBLIC_URL}/`)
    const flow = await startFlow('github', '/home')
    const sessions = count('_koya_sessions')
    const tampered = await finish(flow, { cookies: { koya_oauth_redirect: 'https://evil.example/' } })
    expectError(tampered, 400, 'KL_AUTH_REDIRECT_NOT_ALLOWED')
    // Refused before the code was used: no session.
    expect(count('_koya_sessions')).toBe(sessions)
  })

  it('an unknown provider is 404 KL_AUTH_OAUTH_UNKNOWN_PROVIDER', async () => {
    expectError(await app.inject({ method: 'GET', url: '/auth/oauth/facebook' }), 404, 'KL_AUTH_OAUTH_UNKNOWN_PROVIDER')
    expectError(await app.inject({ method: 'GET', url: '/auth/oauth/facebook/callback?code=x&state=y' }), 404, 'KL_AUTH_OAUTH_UNKNOWN_PROVIDER')
  })

  it('a provider the app does not configure, or whose secret is unset, is 404 KL_AUTH_OAUTH_NOT_CONFIGURED', async () => {
    await app.close()
    const github = { clientId: { value: 'github-id' }, clientSecret: { env: 'GITHUB_CLIENT_SECRET' } }
    app = await oauthApp(modelWith({ oauth: { github, google: null } }), { env: {}, realEndpoints: true })
    expectError(await app.inject({ method: 'GET', url: '/auth/oauth/google' }), 404, 'KL_AUTH_OAUTH_NOT_CONFIGURED')
    expectError(await app.inject({ method: 'GET', url: '/auth/oauth/github' }), 404, 'KL_AUTH_OAUTH_NOT_CONFIGURED')
    await app.close()
    app = await oauthApp(modelWith({ oauth: { github, google: null } }), { env: { GITHUB_CLIENT_SECRET: 'secret' }, realEndpoints: true })
    // Configured: it goes to GitHub itself.
    const start = await app.inject({ method: 'GET', url: '/auth/oauth/github' })
    expect(start.headers.location).toMatch(/^https:\/\/github\.com\/login\/oauth\/authorize\?/)
    expect(new URL(start.headers.location as string).searchParams.get('client_id')).toBe('github-id')
  })

  it('reads the client id and secret at each sign-in: a secrets refresh applies without a restart', async () => {
    await app.close()
    const github = { clientId: { env: 'GH_ID' }, clientSecret: { env: 'GH_SECRET' } }
    const held: Record<string, string | undefined> = {}
    app = await oauthApp(modelWith({ oauth: { github, google: null } }), { env: {}, realEndpoints: true, held })
    expectError(await app.inject({ method: 'GET', url: '/auth/oauth/github' }), 404, 'KL_AUTH_OAUTH_NOT_CONFIGURED')
    Object.assign(held, { GH_ID: 'first-id', GH_SECRET: 'first-secret' })
    const first = await app.inject({ method: 'GET', url: '/auth/oauth/github' })
    expect(new URL(first.headers.location as string).searchParams.get('client_id')).toBe('first-id')
    held.GH_ID = 'rotated-id'
    const second = await app.inject({ method: 'GET', url: '/auth/oauth/github' })
    expect(new URL(second.headers.location as string).searchParams.get('client_id')).toBe('rotated-id')
  })
})

describe('resolveOAuthProviders', () => {
  it('reads the configured providers from the environment and names what is missing', () => {
    const auth = { ...baseModel.auth, oauth: { github: { clientId: { env: 'GH_ID' }, clientSecret: { env: 'GH_SECRET' } }, google: { clientId: { value: 'google-id' }, clientSecret: { env: 'G_SECRET' } } } }
    expect(resolveOAuthProviders(auth, { GH_ID: 'a', GH_SECRET: 'b', G_SECRET: '' })).toEqual({
      providers: { github: { clientId: 'a', clientSecret: 'b' } },
      missing: ['google.clientSecret (env G_SECRET)'],
    })
  })
})

describe('checkRedirect', () => {
  const allowed = ['https://app.example.com/after', 'http://localhost:5173']
  const cases: [string | undefined, string | null][] = [
    [undefined, 'https://tasks.example.com/'],
    ['/tasks?id=1#top', 'https://tasks.example.com/tasks?id=1#top'],
    ['https://tasks.example.com/x', 'https://tasks.example.com/x'],
    ['https://app.example.com/after', 'https://app.example.com/after'],
    ['https://app.example.com/after/deep?x=1', 'https://app.example.com/after/deep?x=1'],
    ['http://localhost:5173/anything', 'http://localhost:5173/anything'],
    ['https://app.example.com/afterwards', null],
    ['https://app.example.com/', null],
    ['http://tasks.example.com/', null],
    ['https://tasks.example.com.evil.example/', null],
    ['//evil.example', null],
    ['/\\evil.example', null],
    ['/\tevil', null],
    ['data:text/html,hi', null],
    ['https://user:pass@tasks.example.com/', null],
    ['tasks', null],
  ]
  for (const [redirectTo, expected] of cases) {
    it(`${JSON.stringify(redirectTo)} → ${expected ?? 'refused'}`, () => {
      const run = () => checkRedirect(redirectTo, 'https://tasks.example.com', allowed)
      if (expected === null) expect(run).toThrow(expect.objectContaining({ code: 'KL_AUTH_REDIRECT_NOT_ALLOWED' }) as Error)
      else expect(run()).toBe(expected)
    })
  }
})

describe('an app that signs in only through OAuth', () => {
  it('still reads and ends sessions, and has no password endpoints', async () => {
    await app.close()
    app = await oauthApp(modelWith({ email: { enabled: false, verify: false } }))
    provider.user = { id: '808', name: 'Only OAuth', emails: [{ email: 'oauth-only@example.com', primary: true, verified: true }] }
    const signedIn = await signIn('github')
    expect(signedIn.statusCode, signedIn.body).toBe(302)
    const token = cookiesOf(signedIn)['koya_session']!
    expect(await sessionUser(signedIn)).toEqual(expect.any(String))
    expect((await app.inject({ method: 'POST', url: '/auth/login', payload: { email: 'oauth-only@example.com', password: 'x'.repeat(12) } })).statusCode).toBe(404)
    const logout = await app.inject({ method: 'POST', url: '/auth/logout', headers: { authorization: `Bearer ${token}` } })
    expect(logout.statusCode).toBe(204)
    expect((await app.inject({ method: 'GET', url: '/auth/session', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401)
  })
})
