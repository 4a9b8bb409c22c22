import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { floodUntilCut, realtimeApp, seed, settle, type Message, type RealtimeTestApp } from '../realtime/realtime-helpers.ts'

let t: RealtimeTestApp
let s: Awaited<ReturnType<typeof seed>>
beforeAll(async () => {
  t = await realtimeApp({ maxBufferedBytes: 64 * 1024 })
  s = await seed(t)
})
afterAll(() => t.close())

/** A graphql-transport-ws socket spoken by hand, so the test can stop reading it. */
async function subscriber(token: string) {
  const ws = new WebSocket(`${t.url.replace('http', 'ws')}/graphql`, ['graphql-transport-ws'])
  const messages: Message[] = []
  let closed: { code: number; reason: string } | undefined
  ws.on('message', (data) => messages.push(JSON.parse(data.toString())))
  ws.on('close', (code, reason) => (closed = { code, reason: reason.toString() }))
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  ws.send(JSON.stringify({ type: 'connection_init', payload: { token } }))
  const deadline = Date.now() + 5000
  while (!messages.some((m) => m.type === 'connection_ack') && Date.now() < deadline) await settle(20)
  ws.send(JSON.stringify({ type: 'subscribe', id: '1', payload: { query: 'subscription { tasksChanges { event row { title body } } }' } }))
  await settle(300)
  return { ws, messages, closed: () => closed }
}

describe('GraphQL subscriptions under the realtime limits', () => {
  it('cuts off a subscriber that stops reading with 4008, counting what its iterators hold; a reading one goes on', async () => {
    const slow = await subscriber(s.ada.token)
    const reader = await subscriber(s.ada.token)
    const socket = (slow.ws as unknown as { _socket: import('node:net').Socket })._socket
    socket.pause()
    expect(await floodUntilCut(t, s.p1.id, s.ada.id)).toBe(true)
    socket.resume()
    const deadline = Date.now() + 5000
    while (!slow.closed() && Date.now() < deadline) await settle(20)
    expect(slow.closed()).toEqual({ code: 4008, reason: 'KL_API_REALTIME_SLOW_CONSUMER' })
    expect(reader.closed()).toBeUndefined()
    expect(reader.messages.some((m) => m.type === 'next' && m.payload.data.tasksChanges.row.title === 'bulk 0-0')).toBe(true)
    reader.ws.close()
  }, 60_000)
})
