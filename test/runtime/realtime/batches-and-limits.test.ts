import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDataLayer } from '../../../engine/runtime/data/data-layer.ts'
import { logWrites } from '../../../engine/runtime/realtime/change-log.ts'
import { openDatabase } from '../../../engine/shared/sqlite.ts'
import { Client, createTask, realtimeApp, seed, settle, type RealtimeTestApp } from './realtime-helpers.ts'

let t: RealtimeTestApp
let s: Awaited<ReturnType<typeof seed>>
beforeAll(async () => {
  // A slow poll, so that writes of another connection land in one batch.
  t = await realtimeApp({ pollIntervalMs: 400, maxViewRows: 3, maxSubscriptionsPerConnection: 2 })
  s = await seed(t)
})
afterAll(() => t.close())

describe('realtime: batches, identity switches and limits', () => {
  it('a row written three times in one batch is three events, each with the contents it had then', async () => {
    const ada = await Client.open(t, s.ada.token)
    const bob = await Client.open(t, s.bob.token)
    await ada.subscribe('b', 'tasks')
    await bob.subscribe('b', 'tasks')
    // Another connection to the same file, with its own data layer: its writes reach the server
    // only through the change log, at the next poll.
    const db = openDatabase(t.file)
    const data = createDataLayer(t.model, db)
    const stop = logWrites(data, () => new Date())
    const system = { kind: 'system' } as const
    const [row] = data.insert(system, { table: 'tasks', rows: [{ projectId: s.p1.id, createdBy: s.ada.id, title: 'first' }], returning: [{ kind: 'all' }] }, { as: 'objects' }).rows!
    const id = String(row!.id)
    data.update(system, { table: 'tasks', target: { id }, patch: { title: 'second' } })
    data.update(system, { table: 'tasks', target: { id }, patch: { title: 'third (in bob\'s project)', projectId: s.p2.id } })
    data.delete(system, { table: 'tasks', target: { id } })
    stop()
    db.close()
    await bob.next((m) => m.type === 'change' && m.event === 'delete', 3000)
    await settle(100)
    expect(ada.changes('b').map((m) => [m.event, m.row?.title ?? null])).toEqual([['create', 'first'], ['update', 'second'], ['leave', null]])
    expect(bob.changes('b').map((m) => [m.event, m.row?.title ?? null])).toEqual([['enter', 'third (in bob\'s project)'], ['delete', 'third (in bob\'s project)']])
    const seqs = ada.changes('b').map((m) => m.seq)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    ada.close()
    bob.close()
  })

  it('an auth message switches the connection\'s identity: what the new user may read enters, without reconnecting', async () => {
    const task = await createTask(t, s.p1.id, s.ada.id, 'seen once signed in')
    const client = await Client.open(t)
    await client.subscribe('a', 'tasks', { filter: `id=eq.${task.id}` })
    client.send({ type: 'auth', token: s.ada.token })
    expect(await client.next((m) => m.type === 'authenticated')).toEqual({ type: 'authenticated', userId: s.ada.id })
    expect(await client.next((m) => m.type === 'change')).toMatchObject({ event: 'enter', rowId: task.id, row: { title: 'seen once signed in' } })
    client.send({ type: 'auth', token: 'not-a-session' })
    expect(await client.next((m) => m.type === 'error' && m.code === 'KL_AUTH_REQUIRED')).toBeDefined()
    client.close()
  })

  it('refuses a view larger than maxViewRows and more subscriptions than a connection may hold, with coded errors', async () => {
    for (let i = 0; i < 4; i++) await createTask(t, s.p2.id, s.bob.id, `bob ${i}`)
    const bob = await Client.open(t, s.bob.token)
    expect(await bob.subscribe('big', 'tasks')).toMatchObject({ type: 'error', id: 'big', code: 'KL_API_REALTIME_VIEW_TOO_LARGE' })
    expect(await bob.subscribe('one', 'tasks', { filter: 'title=eq.bob 0' })).toMatchObject({ type: 'subscribed' })
    expect(await bob.subscribe('two', 'tasks', { filter: 'title=eq.bob 1' })).toMatchObject({ type: 'subscribed' })
    expect(await bob.subscribe('three', 'tasks', { filter: 'title=eq.bob 2' })).toMatchObject({ type: 'error', code: 'KL_API_REALTIME_TOO_MANY' })
    expect(await bob.subscribe('one', 'tasks')).toMatchObject({ type: 'error', code: 'KL_API_REALTIME_BAD_MESSAGE' })
    bob.close()
  })
})
