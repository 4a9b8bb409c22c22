import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authApp, call, lastEmail, ORIGIN, SERVICE_KEY, signedInUser, type AuthTestApp } from '../helpers/auth-app.ts'

let t: AuthTestApp
let admin: Awaited<ReturnType<typeof signedInUser>>
let ada: Awaited<ReturnType<typeof signedInUser>>
let bob: Awaited<ReturnType<typeof signedInUser>>

const search = (query: string, token = SERVICE_KEY) => call(t, 'GET', `/admin/users${query}`, { token })
const session = (token: string) => call(t, 'GET', '/auth/session', { token })
const login = (email: string, password: string) => call(t, 'POST', '/auth/login', { body: { email, password } })
const auditOf = async (subject: string, action: string) => (await call(t, 'GET', `/admin/audit?subject=${subject}&action=${action}`, { token: SERVICE_KEY })).body as { actorId: string | null; detail: unknown }[]

beforeAll(async () => {
  t = await authApp()
  admin = await signedInUser(t, 'admin')
  ada = await signedInUser(t, 'ada')
  bob = await signedInUser(t, 'bob_b')
  expect((await call(t, 'POST', `/admin/users/${admin.id}/roles`, { token: SERVICE_KEY, body: { role: 'admin' } })).status).toBe(200)
})
afterAll(() => t.close())

describe('searching users', () => {
  it('finds users by part of their email, with their roles and live sessions', async () => {
    const second = (await login(ada.email, ada.password)).body.session.token as string
    expect(second).not.toBe(ada.token)
    const found = await search('?q=ADA-', admin.token)
    expect(found.status).toBe(200)
    expect(found.body.users).toHaveLength(1)
    const [user] = found.body.users
    expect(user).toMatchObject({ id: ada.id, email: ada.email, emailVerified: true, roles: [] })
    expect(user.sessions).toHaveLength(2)
    for (const s of user.sessions) expect(s).toEqual({ id: expect.stringMatching(/^[0-9a-f]{64}$/), createdAt: expect.any(String), expiresAt: expect.any(String), impersonatorId: null, reason: null })
    // The listing never carries a token.
    expect(found.raw).not.toContain(ada.token)
    expect(found.raw).not.toContain(second)
  })

  it('finds a user by id, pages by email, and takes % and _ literally', async () => {
    expect((await search(`?q=${bob.id}`)).body.users.map((u: { id: string }) => u.id)).toEqual([bob.id])
    const all = (await search('')).body.users.map((u: { email: string }) => u.email)
    expect(all).toEqual([...all].sort())
    expect(all).toHaveLength(3)
    const first = (await search('?limit=1')).body.users
    expect(first.map((u: { email: string }) => u.email)).toEqual([all[0]])
    expect((await search(`?limit=2&after=${encodeURIComponent(all[0]!)}`)).body.users.map((u: { email: string }) => u.email)).toEqual(all.slice(1))
    // `_` would match any one character in LIKE: here only bob_b's address contains it.
    expect((await search('?q=_')).body.users.map((u: { id: string }) => u.id)).toEqual([bob.id])
    expect((await search('?q=%25')).body.users).toEqual([])
  })

  it('expired sessions are not listed', async () => {
    t.advance(400 * 24 * 60 * 60 * 1000)
    expect((await search(`?q=${bob.id}`)).body.users[0].sessions).toEqual([])
    t.advance(-400 * 24 * 60 * 60 * 1000)
  })

  it('refuses non-admins, anonymous callers and a limit out of range', async () => {
    expect((await search('', ada.token)).body.code).toBe('KL_AUTH_FORBIDDEN')
    expect((await call(t, 'GET', '/admin/users')).body.code).toBe('KL_AUTH_REQUIRED')
    expect(await search('?limit=0')).toMatchObject({ status: 400, body: { code: 'KL_API_BAD_PAGINATION' } })
    expect(await search('?limit=101')).toMatchObject({ status: 400, body: { code: 'KL_API_BAD_PAGINATION' } })
    expect((await search('?role=admin')).status).toBe(400)
  })
})

describe('verifying an email and sending a reset', () => {
  it('an admin marks an address verified without the link; it is audited', async () => {
    const email = 'unverified@example.com'
    const password = 'correct horse battery'
    expect((await call(t, 'POST', '/auth/signup', { body: { email, password, displayName: 'Una' } })).status).toBe(202)
    const [una] = (await search('?q=unverified')).body.users
    expect(una.emailVerified).toBe(false)

    const verified = await call(t, 'POST', `/admin/users/${una.id}/verify-email`, { cookie: admin.token, headers: ORIGIN })
    expect(verified.status).toBe(200)
    expect(verified.body).toMatchObject({ id: una.id, email, emailVerified: true, roles: [], sessions: [] })
    expect((await search('?q=unverified')).body.users[0].emailVerified).toBe(true)
    expect(await auditOf(una.id, 'user.verify-email')).toEqual([expect.objectContaining({ actorId: admin.id, detail: { wasVerified: false } })])
  })

  it('an admin sends a reset link the user (not the admin) receives, and it works once', async () => {
    const before = lastEmail(t, 'reset-password', ada.email)
    expect(before).toBeUndefined()
    const sent = await call(t, 'POST', `/admin/users/${ada.id}/password-reset`, { token: admin.token })
    expect(sent).toMatchObject({ status: 202, body: { userId: ada.id, queued: true } })
    const email = lastEmail(t, 'reset-password', ada.email)!
    expect(sent.raw).not.toContain(email.token)
    const reset = await call(t, 'POST', '/auth/password/reset', { body: { token: email.token, password: 'a brand new passphrase' } })
    expect(reset.status).toBe(200)
    expect((await login(ada.email, 'a brand new passphrase')).status).toBe(200)
    expect((await login(ada.email, ada.password)).status).toBe(401)
    expect(await auditOf(ada.id, 'user.password-reset')).toEqual([expect.objectContaining({ actorId: admin.id })])
    ada = { ...ada, password: 'a brand new passphrase', token: (await login(ada.email, 'a brand new passphrase')).body.session.token }
  })

  it('unknown users answer 404; cookie writes without the Origin are refused', async () => {
    const nobody = '0190c5d2-0000-7000-8000-000000000000'
    expect(await call(t, 'POST', `/admin/users/${nobody}/verify-email`, { token: SERVICE_KEY })).toMatchObject({ status: 404, body: { code: 'KL_AUTH_USER_NOT_FOUND' } })
    expect(await call(t, 'POST', `/admin/users/${nobody}/password-reset`, { token: SERVICE_KEY })).toMatchObject({ status: 404, body: { code: 'KL_AUTH_USER_NOT_FOUND' } })
    expect((await call(t, 'POST', `/admin/users/${bob.id}/verify-email`, { cookie: admin.token })).body.code).toBe('KL_AUTH_CSRF')
  })
})

describe('ending one session', () => {
  it('ends the chosen session only; the user stays signed in elsewhere; it is audited', async () => {
    const laptop = (await login(bob.email, bob.password)).body.session.token as string
    const phone = bob.token
    const sessions = (await search(`?q=${bob.id}`)).body.users[0].sessions as { id: string }[]
    expect(sessions).toHaveLength(2)
    // The id is the SHA-256 of the token (session-store.ts): find the laptop's.
    const { createHash } = await import('node:crypto')
    const laptopId = createHash('sha256').update(laptop).digest('hex')
    expect(sessions.map((s) => s.id)).toContain(laptopId)

    const ended = await call(t, 'DELETE', `/admin/users/${bob.id}/sessions/${laptopId}`, { token: admin.token })
    expect(ended).toMatchObject({ status: 200, body: { userId: bob.id, sessionId: laptopId } })
    expect((await session(laptop)).status).toBe(401)
    expect((await session(phone)).status).toBe(200)
    expect((await search(`?q=${bob.id}`)).body.users[0].sessions.map((s: { id: string }) => s.id)).not.toContain(laptopId)
    expect(await auditOf(bob.id, 'session.revoke')).toEqual([expect.objectContaining({ actorId: admin.id, detail: { sessionId: laptopId } })])
  })

  it('another user\'s session, or one already ended, is not found', async () => {
    const adasId = (await search(`?q=${ada.id}`)).body.users[0].sessions[0].id as string
    expect(await call(t, 'DELETE', `/admin/users/${bob.id}/sessions/${adasId}`, { token: SERVICE_KEY })).toMatchObject({ status: 404, body: { code: 'KL_API_NOT_FOUND' } })
    expect((await session(ada.token)).status).toBe(200)
    expect((await call(t, 'DELETE', `/admin/users/${bob.id}/sessions/not-a-session`, { token: SERVICE_KEY })).status).toBe(400)
  })
})

describe('deleting a user', () => {
  it('the export is offered first, then the erasure removes them from the search', async () => {
    const exported = await call(t, 'POST', `/admin/users/${bob.id}/export`, { token: admin.token })
    expect(exported.status).toBe(200)
    const erased = await call(t, 'DELETE', `/admin/users/${bob.id}`, { token: admin.token })
    expect(erased.status).toBe(200)
    expect((await search(`?q=${bob.id}`)).body.users).toEqual([])
    expect((await session(bob.token)).status).toBe(401)
  })
})
