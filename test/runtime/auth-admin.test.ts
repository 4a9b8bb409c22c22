import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authApp, call, ORIGIN, SERVICE_KEY, signedInUser, type AuthTestApp } from '../helpers/auth-app.ts'

let t: AuthTestApp
let admin: Awaited<ReturnType<typeof signedInUser>>
let otherAdmin: Awaited<ReturnType<typeof signedInUser>>
let ada: Awaited<ReturnType<typeof signedInUser>>
let bob: Awaited<ReturnType<typeof signedInUser>>

const MINUTE = 60 * 1000
const grant = (userId: string, role: string, token = SERVICE_KEY) => call(t, 'POST', `/admin/users/${userId}/roles`, { token, body: { role } })
const revoke = (userId: string, role: string, token = SERVICE_KEY) => call(t, 'DELETE', `/admin/users/${userId}/roles/${role}`, { token })
const session = (token: string) => call(t, 'GET', '/auth/session', { token })
/** A new session for a user whose earlier one the moved clock may have ended. */
const fresh = async <U extends { email: string; password: string; token: string }>(user: U): Promise<U> => ({
  ...user,
  token: (await call(t, 'POST', '/auth/login', { body: { email: user.email, password: user.password } })).body.session.token,
})

/** The server's id of the one request that came with this X-Request-Id, read from its log lines. */
function serverRequestIdOf(clientRequestId: string): string {
  const lines = t.logs.flatMap((chunk) => chunk.split('\n')).filter((line) => line !== '').map((line) => JSON.parse(line) as { reqId?: string; clientRequestId?: string })
  const ids = [...new Set(lines.filter((line) => line.clientRequestId === clientRequestId).map((line) => line.reqId))]
  expect(ids).toHaveLength(1)
  return ids[0]!
}

beforeAll(async () => {
  t = await authApp()
  admin = await signedInUser(t, 'admin')
  otherAdmin = await signedInUser(t, 'admin2')
  ada = await signedInUser(t, 'ada')
  bob = await signedInUser(t, 'bob')
  expect((await grant(admin.id, 'admin')).status).toBe(200)
  expect((await grant(otherAdmin.id, 'admin')).status).toBe(200)
})
afterAll(() => t.close())

describe('RBAC: role grants', () => {
  it('the service key grants and revokes declared roles; the actor\'s roles follow at once', async () => {
    expect((await grant(ada.id, 'support')).body).toEqual({ userId: ada.id, roles: ['support'] })
    expect((await session(ada.token)).body.roles).toEqual(['support'])
    expect((await revoke(ada.id, 'support')).body).toEqual({ userId: ada.id, roles: [] })
    expect((await session(ada.token)).body.roles).toEqual([])
  })

  it('an admin grants with their session (cookie writes need the Origin)', async () => {
    expect((await grant(bob.id, 'support', admin.token)).body.roles).toEqual(['support'])
    const cookie = await call(t, 'POST', `/admin/users/${ada.id}/roles`, { cookie: admin.token, headers: ORIGIN, body: { role: 'support' } })
    expect(cookie.body.roles).toEqual(['support'])
    await revoke(ada.id, 'support', admin.token)
  })

  it('refuses non-admins, anonymous callers, unknown roles and unknown users', async () => {
    expect(await grant(ada.id, 'admin', bob.token)).toMatchObject({ status: 403, body: { code: 'KL_AUTH_FORBIDDEN' } })
    expect((await revoke(admin.id, 'admin', bob.token)).body.code).toBe('KL_AUTH_FORBIDDEN')
    expect((await call(t, 'POST', `/admin/users/${ada.id}/roles`, { body: { role: 'admin' } })).body.code).toBe('KL_AUTH_REQUIRED')
    expect(await grant(ada.id, 'superuser')).toMatchObject({ status: 400, body: { code: 'KL_AUTH_UNKNOWN_ROLE' } })
    expect((await revoke(ada.id, 'superuser')).body.code).toBe('KL_AUTH_UNKNOWN_ROLE')
    expect(await grant('0190c5d2-0000-7000-8000-000000000000', 'support')).toMatchObject({ status: 404, body: { code: 'KL_AUTH_USER_NOT_FOUND' } })
    expect((await session(ada.token)).body.roles).toEqual([])
  })

  it('grants are audited', async () => {
    const entries = (await call(t, 'GET', `/admin/audit?subject=${bob.id}&action=role.grant`, { token: SERVICE_KEY })).body
    expect(entries).toEqual([expect.objectContaining({ actorId: admin.id, subjectId: bob.id, action: 'role.grant', detail: { role: 'support' }, requestId: expect.any(String) })])
  })
})

describe('impersonation', () => {
  it('an admin acts as a user with a time-boxed session that shows its impersonator', async () => {
    const started = await call(t, 'POST', '/auth/impersonate', { token: admin.token, body: { userId: ada.id, reason: 'ticket #42' }, headers: { 'x-request-id': 'req-start-1' } })
    expect(started.status).toBe(201)
    expect(started.body).toMatchObject({ user: { id: ada.id }, impersonator: { id: admin.id }, session: { token: expect.any(String) } })
    expect(started.body.session.expiresAt).toBe(new Date(t.now().getTime() + 60 * MINUTE).toISOString())
    expect(started.cookies).toEqual([]) // the admin's own cookie is left alone
    const token = started.body.session.token as string

    const seen = await session(token)
    expect(seen.body).toMatchObject({ user: { id: ada.id }, roles: [], impersonator: { id: admin.id, email: admin.email, reason: 'ticket #42' } })

    // Non-refreshable: it does not slide, and ends after an hour however it is used. (The admin
    // keeps their own session alive meanwhile: the impersonation ends with it too.)
    t.advance(20 * MINUTE)
    expect((await session(admin.token)).status).toBe(200)
    t.advance(20 * MINUTE)
    expect((await session(token)).body.session.expiresAt).toBe(started.body.session.expiresAt)
    expect((await session(admin.token)).status).toBe(200)
    t.advance(21 * MINUTE)
    expect((await session(token)).status).toBe(401)
    expect((await session(admin.token)).status).toBe(200)
  })

  it('ends when the admin\'s own session idles out, though the impersonation is in use', async () => {
    admin = await fresh(admin)
    const token = (await call(t, 'POST', '/auth/impersonate', { token: admin.token, body: { userId: ada.id, reason: 'ticket 1' } })).body.session.token as string
    const displayName = () => (t.db.prepare('SELECT "displayName" FROM "users" WHERE "id" = ?').get(ada.id) as { displayName: string }).displayName
    t.advance(20 * MINUTE)
    expect((await call(t, 'PATCH', `/api/users/${ada.id}`, { token, body: { displayName: 'Ada, while the admin is there' } })).status).toBe(200)
    // The admin's session idles out at 30 minutes (using the impersonation does not renew it).
    t.advance(15 * MINUTE)
    const late = await call(t, 'PATCH', `/api/users/${ada.id}`, { token, body: { displayName: 'Ada, after the admin left' } })
    expect(late).toMatchObject({ status: 401, body: { code: 'KL_AUTH_REQUIRED' } })
    expect(displayName()).toBe('Ada, while the admin is there')
    expect((await session(token)).status).toBe(401)
    expect((await session(admin.token)).status).toBe(401)
  })

  it('ends when its target is granted admin', async () => {
    admin = await fresh(admin)
    const token = (await call(t, 'POST', '/auth/impersonate', { token: admin.token, body: { userId: bob.id, reason: 'ticket 9' } })).body.session.token as string
    expect((await session(token)).status).toBe(200)
    expect((await grant(bob.id, 'admin')).status).toBe(200)
    const after = await session(token)
    expect(after.status).toBe(401)
    expect(after.body).not.toHaveProperty('roles')
    expect((await grant(ada.id, 'support', token)).body.code).toBe('KL_AUTH_REQUIRED')
    // Revoking the grant again does not bring it back.
    expect((await revoke(bob.id, 'admin')).status).toBe(200)
    expect((await session(token)).status).toBe(401)
    expect((await session(admin.token)).status).toBe(200)
  })

  it('every write during an impersonation is audited with the reason and request id; start and stop too', async () => {
    admin = await fresh(admin)
    const started = await call(t, 'POST', '/auth/impersonate', { token: admin.token, body: { userId: bob.id, reason: 'support request 7' }, headers: { 'x-request-id': 'req-start-2' } })
    const token = started.body.session.token as string
    const write = await call(t, 'POST', '/auth/logout-all', { token, headers: { 'x-request-id': 'req-write-1' } })
    expect(write.body.code).toBe('KL_AUTH_IMPERSONATION') // refused writes are not "writes made"
    const read = await call(t, 'GET', '/auth/session', { token, headers: { 'x-request-id': 'req-read-1' } })
    expect(read.status).toBe(200)
    // A write through the REST API, as the user (policies/users.ts: a user updates their own row).
    const patch = await call(t, 'PATCH', `/api/users/${bob.id}`, { token, body: { displayName: 'Bobby' }, headers: { 'x-request-id': 'req-write-2' } })
    expect(patch.status).toBe(200)
    expect(patch.body.displayName).toBe('Bobby')
    const stop = await call(t, 'POST', '/auth/impersonate/stop', { token, headers: { 'x-request-id': 'req-stop-2' } })
    expect(stop.status).toBe(204)
    expect((await session(token)).status).toBe(401)

    const entries = (await call(t, 'GET', `/admin/audit?subject=${bob.id}&actor=${admin.id}`, { token: admin.token })).body as { action: string; reason: string; requestId: string; detail: unknown }[]
    const log = entries.filter((e) => e.action.startsWith('impersonation.') && e.reason === 'support request 7')
    // The request ids are the server's; the client's X-Request-Id is beside them in the logs.
    expect(log.map((e) => [e.action, e.reason, e.requestId])).toEqual([
      ['impersonation.stop', 'support request 7', serverRequestIdOf('req-stop-2')],
      ['impersonation.write', 'support request 7', serverRequestIdOf('req-write-2')],
      ['impersonation.start', 'support request 7', serverRequestIdOf('req-start-2')],
    ])
    for (const entry of log) expect(entry.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
    // Written in the write's own transaction: the table, the operation and the rows.
    expect(log[1]!.detail).toEqual({ table: 'users', operation: 'update', rows: 1, ids: [bob.id] })
  })

  it('a client\'s X-Request-Id never becomes an audited request id', async () => {
    admin = await fresh(admin)
    const started = await call(t, 'POST', '/auth/impersonate', { token: admin.token, body: { userId: bob.id, reason: 'forged id' } })
    const token = started.body.session.token as string
    const auditOf = async (action: string) => ((await call(t, 'GET', `/admin/audit?subject=${bob.id}&action=${action}&limit=1`, { token: SERVICE_KEY })).body as { requestId: string; reason: string }[])[0]!
    const start = await auditOf('impersonation.start')
    expect(start.reason).toBe('forged id')
    // The write claims the start's request id, to make the two entries look like one request.
    const patch = await call(t, 'PATCH', `/api/users/${bob.id}`, { token, body: { displayName: 'Bob (forged id)' }, headers: { 'x-request-id': start.requestId } })
    expect(patch.status).toBe(200)
    const write = await auditOf('impersonation.write')
    expect(write.requestId).not.toBe(start.requestId)
    expect(write.requestId).toBe(serverRequestIdOf(start.requestId))
    await call(t, 'POST', '/auth/impersonate/stop', { token })
  })

  it('refuses: another admin, oneself, a non-admin, no reason, nested, the service key, an unknown user', async () => {
    ;[admin, bob] = [await fresh(admin), await fresh(bob)]
    const refused = async (token: string, body: object) => (await call(t, 'POST', '/auth/impersonate', { token, body })).body.code
    expect(await refused(admin.token, { userId: otherAdmin.id, reason: 'curious' })).toBe('KL_AUTH_IMPERSONATION')
    expect(await refused(admin.token, { userId: admin.id, reason: 'curious' })).toBe('KL_AUTH_IMPERSONATION')
    expect(await refused(bob.token, { userId: ada.id, reason: 'curious' })).toBe('KL_AUTH_FORBIDDEN')
    expect(await refused(admin.token, { userId: ada.id })).toBe('KL_API_VALIDATION')
    expect(await refused(admin.token, { userId: ada.id, reason: '   ' })).toBe('KL_API_VALIDATION')
    expect(await refused(SERVICE_KEY, { userId: ada.id, reason: 'automation' })).toBe('KL_AUTH_IMPERSONATION')
    expect(await refused(admin.token, { userId: 'no-such-user', reason: 'x' })).toBe('KL_AUTH_USER_NOT_FOUND')
    const token = (await call(t, 'POST', '/auth/impersonate', { token: admin.token, body: { userId: ada.id, reason: 'nesting' } })).body.session.token
    expect(await refused(token, { userId: bob.id, reason: 'nested' })).toBe('KL_AUTH_IMPERSONATION')
    // While impersonating, the admin API and credential changes are closed.
    expect((await grant(bob.id, 'support', token)).body.code).toBe('KL_AUTH_FORBIDDEN')
    expect((await call(t, 'POST', '/auth/password/change', { token, body: { currentPassword: ada.password, newPassword: 'taken over now!' } })).body.code).toBe('KL_AUTH_IMPERSONATION')
    await call(t, 'POST', '/auth/impersonate/stop', { token })
  })

  it('ends when the admin signs out, or loses the admin role', async () => {
    const login = async () => (await call(t, 'POST', '/auth/login', { body: { email: otherAdmin.email, password: otherAdmin.password } })).body.session.token as string
    let adminToken = await login()
    let token = (await call(t, 'POST', '/auth/impersonate', { token: adminToken, body: { userId: ada.id, reason: 'a' } })).body.session.token
    expect((await session(token)).status).toBe(200)
    await call(t, 'POST', '/auth/logout', { token: adminToken })
    expect((await session(token)).status).toBe(401)

    adminToken = await login()
    token = (await call(t, 'POST', '/auth/impersonate', { token: adminToken, body: { userId: ada.id, reason: 'b' } })).body.session.token
    await revoke(otherAdmin.id, 'admin')
    expect((await session(token)).status).toBe(401)
  })

  it('never outlives the admin\'s session', async () => {
    // An admin session 30 minutes from its absolute end (7 days): the impersonation gets 30 minutes.
    const adminToken = (await call(t, 'POST', '/auth/login', { body: { email: admin.email, password: admin.password } })).body.session.token as string
    const absolute = Date.parse((await session(adminToken)).body.session.absoluteExpiresAt)
    while (absolute - t.now().getTime() > 30 * MINUTE) {
      t.advance(Math.min(20 * MINUTE, absolute - t.now().getTime() - 30 * MINUTE))
      expect((await session(adminToken)).status).toBe(200)
    }
    const started = await call(t, 'POST', '/auth/impersonate', { token: adminToken, body: { userId: bob.id, reason: 'late' } })
    expect(started.body.session.expiresAt).toBe(new Date(absolute).toISOString())
  })
})

describe('DELETE /admin/users/:id/sessions', () => {
  it('signs a user out everywhere, audited; admins and the service key only', async () => {
    const carol = await signedInUser(t, 'carol')
    const second = (await call(t, 'POST', '/auth/login', { body: { email: carol.email, password: carol.password } })).body.session.token as string
    expect((await call(t, 'DELETE', `/admin/users/${carol.id}/sessions`, { token: (await fresh(ada)).token })).body.code).toBe('KL_AUTH_FORBIDDEN')
    expect((await session(carol.token)).status).toBe(200)

    const revoked = await call(t, 'DELETE', `/admin/users/${carol.id}/sessions`, { token: (await fresh(admin)).token })
    expect(revoked.body).toEqual({ userId: carol.id, revoked: 2 })
    expect((await session(carol.token)).status).toBe(401)
    expect((await session(second)).status).toBe(401)
    const entries = await call(t, 'GET', `/admin/audit?subject=${carol.id}&action=sessions.revoke`, { token: SERVICE_KEY })
    expect(entries.body).toEqual([expect.objectContaining({ actorId: admin.id, subjectId: carol.id, action: 'sessions.revoke' })])
    expect((await call(t, 'DELETE', '/admin/users/nobody/sessions', { token: SERVICE_KEY })).body.code).toBe('KL_AUTH_USER_NOT_FOUND')
  })
})

describe('GET /admin/audit', () => {
  it('filters by actor, subject, action and time, newest first, with a limit; admins and the service key only', async () => {
    bob = await fresh(bob)
    const all = (await call(t, 'GET', '/admin/audit?limit=1000', { token: SERVICE_KEY })).body as { at: string; action: string }[]
    expect(all.length).toBeGreaterThan(5)
    expect([...all].sort((a, b) => b.at.localeCompare(a.at)).map((e) => e.at)).toEqual(all.map((e) => e.at))
    const starts = (await call(t, 'GET', '/admin/audit?action=impersonation.start', { token: SERVICE_KEY })).body as { action: string }[]
    expect(starts.length).toBeGreaterThan(0)
    expect(starts.every((e) => e.action === 'impersonation.start')).toBe(true)
    expect((await call(t, 'GET', '/admin/audit?limit=2', { token: SERVICE_KEY })).body).toHaveLength(2)
    const middle = all[Math.floor(all.length / 2)]!.at
    const before = (await call(t, 'GET', `/admin/audit?to=${encodeURIComponent(middle)}&limit=1000`, { token: SERVICE_KEY })).body as { at: string }[]
    const after = (await call(t, 'GET', `/admin/audit?from=${encodeURIComponent(middle)}&limit=1000`, { token: SERVICE_KEY })).body as { at: string }[]
    expect(before.every((e) => e.at < middle) && after.every((e) => e.at >= middle)).toBe(true)
    expect(before.length + after.length).toBe(all.length)
    expect((await call(t, 'GET', '/admin/audit?from=yesterday', { token: SERVICE_KEY })).body.code).toBe('KL_API_BAD_REQUEST')
    expect((await call(t, 'GET', '/admin/audit', { token: bob.token })).body.code).toBe('KL_AUTH_FORBIDDEN')
    expect((await call(t, 'GET', '/admin/audit')).body.code).toBe('KL_AUTH_REQUIRED')
  })
})
