// The policy simulator's realtime verdicts (issue 17): what a user's subscription to a table would
// receive, checked against a real /realtime subscription of that user over WebSocket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call } from '../helpers/auth-app.ts'
import { SERVICE_KEY } from '../helpers/app.ts'
import { asSystem, Client, createTask, realtimeApp, seed, type RealtimeTestApp } from '../runtime/realtime/realtime-helpers.ts'

let t: RealtimeTestApp
let s: Awaited<ReturnType<typeof seed>>
beforeAll(async () => {
  t = await realtimeApp()
  s = await seed(t)
})
afterAll(() => t.close())

interface Simulated { rows: { id: string; allowed: boolean; receives?: boolean }[]; subscription?: { filter: string } }
const simulate = async (body: object) => call(t, 'POST', '/admin/studio/simulate', { token: SERVICE_KEY, body })

describe('simulating a realtime subscription', () => {
  it('says which rows\' changes a user\'s filtered subscription receives, as a real subscription of theirs does', async () => {
    const tasks = [
      await createTask(t, s.p1.id, s.ada.id, 'mine, low', { priority: 0 }),
      await createTask(t, s.p1.id, s.ada.id, 'mine, high', { priority: 3 }),
      await createTask(t, s.p2.id, s.bob.id, 'bob\'s, high', { priority: 3 }),
    ]
    const reply = await simulate({ table: 'tasks', operation: 'read', userId: s.ada.id, subscription: { filter: 'priority=gte.3' } })
    expect(reply.status).toBe(200)
    const simulated = reply.body as Simulated
    expect(simulated.subscription).toEqual({ filter: 'priority=gte.3' })
    const verdicts = Object.fromEntries(simulated.rows.map((r) => [r.id, [r.allowed, r.receives]]))
    expect(verdicts).toEqual({ [tasks[0].id]: [true, false], [tasks[1].id]: [true, true], [tasks[2].id]: [false, false] })

    // Ada's own subscription with that filter, then a change to every row, then a marker she
    // receives: changes arrive in order, so everything before the marker has arrived by then.
    const ada = await Client.open(t, s.ada.token)
    await ada.subscribe('high', 'tasks', { filter: 'priority=gte.3' })
    for (const task of tasks) await asSystem(t, 'PATCH', `/api/tasks/${task.id}`, { title: `${task.title} (edited)` })
    const marker = await createTask(t, s.p1.id, s.ada.id, 'marker', { priority: 3 })
    await ada.next((m) => m.type === 'change' && m.rowId === marker.id)
    const received = new Set(ada.changes('high').map((m) => m.rowId as string).filter((id) => id !== marker.id))
    expect([...received]).toEqual(simulated.rows.filter((r) => r.receives).map((r) => r.id))
    ada.close()
  })

  it('without a filter, receives is the read verdict; a filter on a bucket or another operation, or not a filter, is refused', async () => {
    const all = (await simulate({ table: 'tasks', operation: 'read', userId: s.bob.id, subscription: { filter: '' } })).body as Simulated
    expect(all.rows.length).toBeGreaterThan(0)
    for (const row of all.rows) expect(row.receives).toBe(row.allowed)
    expect((await simulate({ table: 'tasks', operation: 'update', userId: s.bob.id, subscription: { filter: '' } })).body.code).toBe('KL_API_VALIDATION')
    const ordered = await simulate({ table: 'tasks', operation: 'read', userId: s.bob.id, subscription: { filter: 'order=title' } })
    expect([ordered.status, ordered.body.code]).toEqual([400, 'KL_API_VALIDATION'])
  })
})
