import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client, realtimeApp, seed, settle, type RealtimeTestApp } from './realtime-helpers.ts'

let t: RealtimeTestApp
let s: Awaited<ReturnType<typeof seed>>
beforeAll(async () => {
  t = await realtimeApp({ channels: { authorize: (actor, channel, action) => actor.kind !== 'anonymous' && !(channel === 'announcements' && action === 'broadcast' && !(actor.kind === 'user' && actor.roles.includes('admin'))) } })
  s = await seed(t)
})
afterAll(() => t.close())

describe('realtime broadcast channels and presence', () => {
  it('relays a broadcast to the channel\'s other members, and lists who is present as they join and part', async () => {
    const ada = await Client.open(t, s.ada.token)
    const bob = await Client.open(t, s.bob.token)
    ada.send({ type: 'join', channel: 'room:1', presence: { status: 'typing' } })
    expect(await ada.next((m) => m.type === 'joined')).toEqual({ type: 'joined', channel: 'room:1', presence: [{ key: expect.any(String), userId: s.ada.id, presence: { status: 'typing' } }] })
    bob.send({ type: 'join', channel: 'room:1' })
    const joined = await bob.next((m) => m.type === 'joined')
    expect(joined.presence.map((p: { userId: string }) => p.userId).sort()).toEqual([s.ada.id, s.bob.id].sort())
    expect(await ada.next((m) => m.type === 'presence')).toMatchObject({ channel: 'room:1', joins: [{ userId: s.bob.id }], leaves: [] })

    bob.send({ type: 'broadcast', channel: 'room:1', event: 'cursor', payload: { x: 1, y: 2 } })
    expect(await ada.next((m) => m.type === 'broadcast')).toEqual({ type: 'broadcast', channel: 'room:1', event: 'cursor', payload: { x: 1, y: 2 }, from: s.bob.id })
    await settle(50)
    expect(bob.messages.filter((m) => m.type === 'broadcast')).toEqual([])

    bob.close()
    expect(await ada.next((m) => m.type === 'presence' && m.leaves.length > 0)).toMatchObject({ leaves: [{ userId: s.bob.id }] })
    ada.close()
  })

  it('refuses anonymous callers by default, and applies a configured channel policy', async () => {
    const anonymous = await Client.open(t)
    anonymous.send({ type: 'join', channel: 'room:1' })
    expect(await anonymous.next((m) => m.type === 'error')).toMatchObject({ code: 'KL_API_REALTIME_CHANNEL_DENIED' })
    const ada = await Client.open(t, s.ada.token)
    ada.send({ type: 'join', channel: 'announcements' })
    await ada.next((m) => m.type === 'joined')
    ada.send({ type: 'broadcast', channel: 'announcements', event: 'hello' })
    expect(await ada.next((m) => m.type === 'error')).toMatchObject({ code: 'KL_API_REALTIME_CHANNEL_DENIED' })
    // Broadcasting needs a join first.
    ada.send({ type: 'broadcast', channel: 'elsewhere', event: 'hello' })
    expect(await ada.next((m) => m.type === 'error' && m.message.includes('elsewhere'))).toMatchObject({ code: 'KL_API_REALTIME_CHANNEL_DENIED' })
    anonymous.close()
    ada.close()
  })
})
