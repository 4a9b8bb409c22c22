import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { routeGroupsOf } from '../../engine/codegen/route-groups.ts'
import { pathParameterNames } from '../../engine/ir/routes/route-contract.ts'
import { referenceIr, writeSdk } from './sdk-files.ts'

/**
 * The requests koya.auth and koya.admin send (method, path, body, the Bearer token) and how the
 * client keeps the session token between them, through a recording fetch that answers like the
 * server. auth-client.test.ts runs the same SDK against a live server.
 */
interface Sent {
  readonly method: string
  readonly url: string
  /** Path and decoded query. */
  readonly target: string
  readonly authorization: string | undefined
  readonly body: unknown
}
interface Answer {
  readonly status?: number
  readonly body?: unknown
}
type Fetch = (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<unknown>
interface ClientError extends Error {
  code: string
  status: number
}
interface Sdk {
  createClient(options: { url: string; token?: unknown; fetch?: Fetch }): any
  KoyaClientError: new (...args: never[]) => ClientError
}

let sdk: Sdk
let files: ReturnType<typeof writeSdk>
/** The reference app with email verification off: sign-up signs in. */
let noVerifySdk: Sdk
let noVerifyFiles: ReturnType<typeof writeSdk>

beforeAll(async () => {
  files = writeSdk(referenceIr(), 'auth-requests')
  sdk = (await import(files.index)) as Sdk
  const ir = referenceIr()
  noVerifyFiles = writeSdk({ ...ir, auth: { ...ir.auth, email: { enabled: true, verify: false } } }, 'auth-requests-noverify')
  noVerifySdk = (await import(noVerifyFiles.index)) as Sdk
})
afterAll(() => {
  files?.remove()
  noVerifyFiles?.remove()
})

const user = { id: 'u1', email: 'ada@example.com', emailVerified: true, displayName: 'Ada', avatarPath: null, createdAt: 'c', updatedAt: 'u' }
const session = (token: string) => ({ token, expiresAt: '2026-05-01T10:30:00.000Z' })

/** What the fake server answers per `METHOD /path`; anything else is 200 `{}`. */
function client(answers: Record<string, Answer | (() => Answer)> = {}, options: { token?: unknown; url?: string } = {}, from: Sdk = sdk) {
  const sent: Sent[] = []
  const fetch: Fetch = async (url, init) => {
    const parsed = new URL(url)
    const query = [...parsed.searchParams].map(([k, v]) => `${k}=${v}`).join('&')
    sent.push({ method: init.method, url, target: parsed.pathname + (query ? `?${query}` : ''), authorization: init.headers['authorization'], body: init.body === undefined ? undefined : JSON.parse(init.body) })
    const found = answers[`${init.method} ${parsed.pathname}`]
    const answer = typeof found === 'function' ? found() : (found ?? {})
    const text = answer.status === 204 ? '' : JSON.stringify(answer.body ?? {})
    return { status: answer.status ?? 200, headers: { get: () => null }, text: async () => text }
  }
  const koya = from.createClient({ url: options.url ?? 'http://api.test', fetch, ...(options.token === undefined ? {} : { token: options.token }) })
  return { koya, sent, last: () => sent.at(-1)! }
}

async function failure(call: Promise<unknown>): Promise<ClientError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(sdk.KoyaClientError)
  return error as ClientError
}

describe('SDK auth: requests', () => {
  it('signup posts the user columns and password; with verification on it answers { ok } and leaves the token as it was', async () => {
    const { koya, sent, last } = client({ 'POST /auth/signup': { status: 202, body: { ok: true } } }, { token: 'old-token' })
    const result = await koya.auth.signup({ email: 'ada@example.com', password: 'correct horse battery', displayName: 'Ada' })
    expect(result).toEqual({ ok: true })
    expect(sent[0]).toMatchObject({ method: 'POST', target: '/auth/signup', authorization: 'Bearer old-token', body: { email: 'ada@example.com', password: 'correct horse battery', displayName: 'Ada' } })
    await koya.tasks.list()
    expect(last()).toMatchObject({ target: '/api/tasks', authorization: 'Bearer old-token' })
  })

  it('without verification, signup keeps the new session\'s token', async () => {
    const { koya, last } = client({ 'POST /auth/signup': { status: 201, body: { user, session: session('s1') } } }, {}, noVerifySdk)
    expect(await koya.auth.signup({ email: 'ada@example.com', password: 'pw', displayName: 'Ada' })).toMatchObject({ user, session: { token: 's1' } })
    await koya.auth.session().catch(() => undefined)
    expect(last().authorization).toBe('Bearer s1')
  })

  it('login keeps the token; logout sends it, then the client sends none', async () => {
    const { koya, sent } = client({ 'POST /auth/login': { body: { user, session: session('t1') } }, 'POST /auth/logout': { status: 204 } })
    const result = await koya.auth.login({ email: 'ada@example.com', password: 'pw' })
    expect(result.session.token).toBe('t1')
    expect(sent[0]).toMatchObject({ method: 'POST', target: '/auth/login', authorization: undefined, body: { email: 'ada@example.com', password: 'pw' } })
    expect(await koya.auth.getToken()).toBe('t1')
    expect(await koya.auth.logout()).toBeUndefined()
    expect(sent[1]).toMatchObject({ method: 'POST', target: '/auth/logout', authorization: 'Bearer t1', body: undefined })
    await koya.tasks.list()
    expect(sent[2]!.authorization).toBeUndefined()
    expect(await koya.auth.getToken()).toBeNull()
  })

  it('logout forgets the token even when the server cannot be reached', async () => {
    let down = false
    const { koya, sent } = client({ 'POST /auth/logout': () => (down ? { status: 503, body: { code: 'KL_INT_UNEXPECTED', message: 'down' } } : { status: 204 }) }, { token: 'kept' })
    down = true
    expect((await failure(koya.auth.logout())).status).toBe(503)
    await koya.tasks.list()
    expect(sent.at(-1)!.authorization).toBeUndefined()
  })

  it('a refused login throws the server code and keeps the token the client had', async () => {
    const { koya, last } = client({ 'POST /auth/login': { status: 401, body: { code: 'KL_AUTH_INVALID_CREDENTIALS', message: 'The email or password is wrong.' } } }, { token: 'before' })
    const error = await failure(koya.auth.login({ email: 'ada@example.com', password: 'nope' }))
    expect(error).toMatchObject({ code: 'KL_AUTH_INVALID_CREDENTIALS', status: 401 })
    await koya.tasks.list()
    expect(last().authorization).toBe('Bearer before')
  })

  it('logoutAll answers how many sessions ended and forgets the token', async () => {
    const { koya, sent } = client({ 'POST /auth/logout-all': { body: { revoked: 3 } } }, { token: 'mine' })
    expect(await koya.auth.logoutAll()).toEqual({ revoked: 3 })
    expect(sent[0]).toMatchObject({ method: 'POST', target: '/auth/logout-all', authorization: 'Bearer mine' })
    expect(await koya.auth.getToken()).toBeNull()
  })

  it('session, verifyEmail, resendVerification, forgotPassword and resetPassword send what the server takes', async () => {
    const info = { user, roles: ['support'], session: { createdAt: 'a', expiresAt: 'b', absoluteExpiresAt: 'c' } }
    const { koya, sent } = client({ 'GET /auth/session': { body: info }, 'POST /auth/verify-email': { body: { user } }, 'POST /auth/password/forgot': { status: 202, body: { ok: true } } }, { token: 'tok' })
    expect(await koya.auth.session()).toEqual(info)
    expect(await koya.auth.verifyEmail('v-token')).toEqual({ user })
    expect(await koya.auth.resendVerification('ada@example.com')).toBeUndefined()
    expect(await koya.auth.forgotPassword('ada@example.com')).toBeUndefined()
    expect(await koya.auth.resetPassword({ token: 'r-token', password: 'a new passphrase' })).toBeUndefined()
    expect(sent.map((s) => [s.method, s.target, s.body])).toEqual([
      ['GET', '/auth/session', undefined],
      ['POST', '/auth/verify-email', { token: 'v-token' }],
      ['POST', '/auth/verify-email/resend', { email: 'ada@example.com' }],
      ['POST', '/auth/password/forgot', { email: 'ada@example.com' }],
      ['POST', '/auth/password/reset', { token: 'r-token', password: 'a new passphrase' }],
    ])
  })

  it('changePassword keeps the new session the server issues', async () => {
    const { koya, sent } = client({ 'POST /auth/password/change': { body: { session: session('after') } } }, { token: 'before' })
    expect(await koya.auth.changePassword({ currentPassword: 'old', newPassword: 'a new passphrase' })).toEqual(session('after'))
    expect(sent[0]).toMatchObject({ target: '/auth/password/change', authorization: 'Bearer before', body: { currentPassword: 'old', newPassword: 'a new passphrase' } })
    await koya.tasks.list()
    expect(sent[1]!.authorization).toBe('Bearer after')
  })

  it('impersonate switches to the impersonation token; stopImpersonating ends it and goes back to the admin', async () => {
    const { koya, sent } = client(
      { 'POST /auth/impersonate': { status: 201, body: { user, session: session('as-user'), impersonator: { id: 'admin1' } } }, 'POST /auth/impersonate/stop': { status: 204 } },
      { token: 'admin-token' },
    )
    const acting = await koya.auth.impersonate({ userId: 'u1', reason: 'ticket 42' })
    expect(acting.impersonator).toEqual({ id: 'admin1' })
    expect(sent[0]).toMatchObject({ target: '/auth/impersonate', authorization: 'Bearer admin-token', body: { userId: 'u1', reason: 'ticket 42' } })
    await koya.tasks.list()
    expect(sent[1]!.authorization).toBe('Bearer as-user')
    await koya.auth.stopImpersonating()
    expect(sent[2]).toMatchObject({ target: '/auth/impersonate/stop', authorization: 'Bearer as-user' })
    await koya.tasks.list()
    expect(sent[3]!.authorization).toBe('Bearer admin-token')
  })

  it('a token function passed to createClient is used until the client signs in', async () => {
    let calls = 0
    const { koya, sent } = client({ 'POST /auth/login': { body: { user, session: session('signed-in') } } }, { token: async () => `fn-${++calls}` })
    await koya.tasks.list()
    expect(sent[0]!.authorization).toBe('Bearer fn-1')
    await koya.auth.login({ email: 'ada@example.com', password: 'pw' })
    await koya.tasks.list()
    expect(sent.at(-1)!.authorization).toBe('Bearer signed-in')
    koya.auth.setToken('stored-elsewhere')
    await koya.tasks.list()
    expect(sent.at(-1)!.authorization).toBe('Bearer stored-elsewhere')
  })

  it('oauthUrl is the start of the provider sign-in on the server, with redirectTo', () => {
    const { koya, sent } = client({}, { url: 'https://example.com/api-prefix/' })
    expect(koya.auth.oauthUrl('github')).toBe('https://example.com/api-prefix/auth/oauth/github')
    expect(koya.auth.oauthUrl('github', { redirectTo: '/tasks?view=board&x=1' })).toBe('https://example.com/api-prefix/auth/oauth/github?redirectTo=%2Ftasks%3Fview%3Dboard%26x%3D1')
    expect(sent).toEqual([])
  })
})

describe('SDK admin: requests', () => {
  it('grantRole and revokeRole address the user and role in the path', async () => {
    const { koya, sent } = client({ 'POST /admin/users/u%201/roles': { body: { userId: 'u 1', roles: ['support'] } } }, { token: 'service' })
    expect(await koya.admin.grantRole('u 1', 'support')).toEqual({ userId: 'u 1', roles: ['support'] })
    await koya.admin.revokeRole('u 1', 'support')
    expect(sent.map((s) => [s.method, new URL(s.url).pathname, s.body, s.authorization])).toEqual([
      ['POST', '/admin/users/u%201/roles', { role: 'support' }, 'Bearer service'],
      ['DELETE', '/admin/users/u%201/roles/support', undefined, 'Bearer service'],
    ])
  })

  it('revokeSessions addresses the user in the path', async () => {
    const { koya, sent } = client({ 'DELETE /admin/users/u%201/sessions': { body: { userId: 'u 1', revoked: 2 } } }, { token: 'service' })
    expect(await koya.admin.revokeSessions('u 1')).toEqual({ userId: 'u 1', revoked: 2 })
    expect(sent.map((s) => [s.method, new URL(s.url).pathname])).toEqual([['DELETE', '/admin/users/u%201/sessions']])
  })

  it('audit sends only the filters given, as query parameters', async () => {
    const entries = [{ id: 'e1', at: '2026-01-01T00:00:00.000Z', actorId: 'a', subjectId: 'u', action: 'role.grant', reason: null, requestId: 'r', detail: { role: 'support' } }]
    const { koya, sent } = client({ 'GET /admin/audit': { body: entries } })
    expect(await koya.admin.audit({ action: 'role.grant', subject: 'u', limit: 20 })).toEqual(entries)
    await koya.admin.audit()
    expect(sent.map((s) => s.target)).toEqual(['/admin/audit?subject=u&action=role.grant&limit=20', '/admin/audit'])
  })
})

describe('SDK namespaces follow the route contract', () => {
  it('every contract entry with an SDK method is that method, sending the entry\'s method to its path, and no entry is missing', async () => {
    const ir = referenceIr()
    const routes = routeGroupsOf(ir).flatMap((group) => group.routes)
    const withSdk = routes.filter((route) => route.sdk !== undefined)
    expect(withSdk.length).toBeGreaterThan(10)
    for (const route of withSdk) {
      const { namespace, name, input } = route.sdk!
      const { koya, sent } = client({}, { token: 'tok' })
      // Path parameters first, then the input: an object, a field's value, or further values.
      const params = pathParameterNames(route.path).map((p) => `${p}-value`)
      const rest = input.kind === 'none' ? [] : input.kind === 'bodyRest' ? input.fields.map((f) => `${f.name}-value`) : input.kind === 'bodyField' ? [`${input.field}-value`] : [{}]
      expect(typeof koya[namespace][name], `${namespace}.${name}`).toBe('function')
      await koya[namespace][name](...params, ...rest).catch(() => undefined)
      const path = route.path.replace(/:(\w+)/g, (_: string, p: string) => `${p}-value`)
      expect(sent[0], `${namespace}.${name}`).toMatchObject({ method: route.method, target: path })
      if (input.kind === 'bodyField') expect(sent[0]!.body).toEqual({ [input.field]: `${input.field}-value` })
      if (input.kind === 'bodyRest') expect(sent[0]!.body).toEqual(Object.fromEntries(input.fields.map((f) => [f.name, `${f.name}-value`])))
    }
    // Each namespace has exactly the contract's methods, besides the helpers that send nothing.
    const { koya } = client()
    const helpers = ['oauthUrl', 'getToken', 'setToken', 'constructor']
    for (const namespace of new Set(withSdk.map((route) => route.sdk!.namespace))) {
      const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(koya[namespace])).filter((name) => !helpers.includes(name))
      expect(methods.sort(), namespace).toEqual(withSdk.filter((route) => route.sdk!.namespace === namespace).map((route) => route.sdk!.name).sort())
    }
  })
})
