import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, SERVICE_KEY } from '../../helpers/auth-app.ts'
import { Client, createTask, realtimeApp, seed, type RealtimeTestApp } from './realtime-helpers.ts'

let t: RealtimeTestApp
let s: Awaited<ReturnType<typeof seed>>
beforeAll(async () => {
  t = await realtimeApp()
  s = await seed(t)
})
afterAll(() => t.close())

const MINUTE = 60_000

describe('realtime: a session\'s end closes its connections', () => {
  it('an admin revoking the user\'s sessions closes their subscriptions at once', async () => {
    const bob = await Client.open(t, s.bob.token)
    await bob.subscribe('x', 'tasks')
    expect((await call(t, 'DELETE', `/admin/users/${s.bob.id}/sessions`, { token: SERVICE_KEY })).status).toBe(200)
    expect(await bob.waitClosed()).toEqual({ code: 4001, reason: 'KL_API_REALTIME_SESSION_ENDED' })
  })

  it('a connection renews its session as requests do, and is closed when the session expires', async () => {
    const ada = await Client.open(t, s.ada.token)
    await ada.subscribe('x', 'tasks')
    const expiresAt = () => (t.db.prepare('SELECT "expiresAt" FROM "_koya_sessions" WHERE "userId" = ?').all(s.ada.id) as { expiresAt: string }[]).map((r) => r.expiresAt)
    const [before] = expiresAt()
    // Past half the idle timeout (30 min), with no request: the connection's own check renews the
    // session, as a request would, so a user who only watches is not signed out.
    t.advance(20 * MINUTE)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(Date.parse(expiresAt()[0]!)).toBe(t.now().getTime() + 30 * MINUTE)
    expect(Date.parse(expiresAt()[0]!)).toBeGreaterThan(Date.parse(before!))
    t.advance(25 * MINUTE)
    await createTask(t, s.p1.id, s.ada.id, 'still here')
    await ada.next((m) => m.type === 'change')
    // Past the absolute timeout (7 days): the session is over.
    t.advance(8 * 24 * 60 * MINUTE)
    expect(await ada.waitClosed()).toEqual({ code: 4001, reason: 'KL_API_REALTIME_SESSION_ENDED' })
  })
})
