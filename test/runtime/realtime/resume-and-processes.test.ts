import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { asSystem, Client, createTask, floodUntilCut, realtimeApp, seed, settle, type Message, type RealtimeTestApp } from './realtime-helpers.ts'

let t: RealtimeTestApp
let s: Awaited<ReturnType<typeof seed>>
beforeAll(async () => {
  t = await realtimeApp({ maxBufferedBytes: 64 * 1024 })
  s = await seed(t)
})
afterAll(() => t.close())

/** An SSE stream read with fetch: the events so far, parsed. */
async function openStream(query: string, headers: Record<string, string>) {
  const controller = new AbortController()
  const response = await fetch(`${t.url}/realtime/events?${query}`, { headers, signal: controller.signal })
  const events: { event: string; id: string | undefined; data: Message }[] = []
  const reader = response.body!.getReader()
  let buffer = ''
  const done = (async () => {
    const decoder = new TextDecoder()
    try {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) return
        buffer += decoder.decode(value, { stream: true })
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          if (block.startsWith(':')) continue
          const field = (name: string) => block.split('\n').find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2)
          events.push({ event: field('event')!, id: field('id'), data: JSON.parse(field('data')!) })
        }
      }
    } catch {
      // aborted
    }
  })()
  const until = async (match: (e: (typeof events)[number]) => boolean, ms = 3000) => {
    const deadline = Date.now() + ms
    while (!events.some(match)) {
      if (Date.now() > deadline) throw new Error(`no matching event; got ${JSON.stringify(events)}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    return events.find(match)!
  }
  return { response, events, until, close: async () => (controller.abort(), await done) }
}

describe('realtime: resumption, server-sent events, slow consumers, other processes', () => {
  it('a WebSocket client that reconnects with its last event id receives exactly the changes it missed', async () => {
    const first = await Client.open(t, s.ada.token)
    await first.subscribe('r', 'tasks')
    const seen = await createTask(t, s.p1.id, s.ada.id, 'seen before the drop')
    const last = (await first.next((m) => m.type === 'change' && m.rowId === seen.id)).seq
    first.close()
    await first.waitClosed()

    const missed1 = await createTask(t, s.p1.id, s.ada.id, 'missed 1')
    await createTask(t, s.p2.id, s.bob.id, 'not ada\'s')
    await asSystem(t, 'PATCH', `/api/tasks/${seen.id}`, { status: 'done' })
    await asSystem(t, 'DELETE', `/api/tasks/${missed1.id}`)
    await settle()

    const again = await Client.open(t, s.ada.token)
    const answer = await again.subscribe('r', 'tasks', { after: last })
    expect(answer.type).toBe('subscribed')
    await again.next((m) => m.type === 'change' && m.event === 'delete')
    await settle()
    expect(again.changes('r').map((m) => [m.event, m.rowId, m.row?.title ?? null])).toEqual([
      ['create', missed1.id, 'missed 1'],
      ['update', seen.id, 'seen before the drop'],
      ['delete', missed1.id, 'missed 1'],
    ])
    // Seen in log order, each after the resume point.
    const seqs = again.changes('r').map((m) => m.seq)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    expect(seqs[0]).toBeGreaterThan(last)
    again.close()
  })

  it('asks for a resync when the retention window no longer holds the resume point', async () => {
    const client = await Client.open(t, s.ada.token)
    t.db.prepare('DELETE FROM "_koya_realtime_events"').run()
    expect(await client.subscribe('old', 'tasks', { after: 1, initial: true })).toMatchObject({ type: 'resync', rows: expect.any(Array) })
    client.close()
  })

  it('an SSE stream delivers the same changes, and resumes from Last-Event-ID', async () => {
    const stream = await openStream('table=tasks', { authorization: `Bearer ${s.ada.token}` })
    expect(stream.response.headers.get('content-type')).toContain('text/event-stream')
    const subscribed = await stream.until((e) => e.event === 'subscribed')
    expect(subscribed.id).toBe(String(subscribed.data.last))
    const task = await createTask(t, s.p1.id, s.ada.id, 'over SSE')
    const change = await stream.until((e) => e.event === 'change')
    expect(change).toMatchObject({ id: String(change.data.seq), data: { event: 'create', rowId: task.id, row: { title: 'over SSE' } } })
    await createTask(t, s.p2.id, s.bob.id, 'not for ada over SSE')
    await settle()
    expect(stream.events.filter((e) => e.event === 'change')).toHaveLength(1)
    await stream.close()

    await asSystem(t, 'PATCH', `/api/tasks/${task.id}`, { title: 'changed while away' })
    await settle()
    const resumed = await openStream('table=tasks', { authorization: `Bearer ${s.ada.token}`, 'last-event-id': change.id! })
    const missed = await resumed.until((e) => e.event === 'change')
    expect(missed.data).toMatchObject({ event: 'update', rowId: task.id, row: { title: 'changed while away' } })
    await settle()
    expect(resumed.events.filter((e) => e.event === 'change')).toHaveLength(1)
    await resumed.close()
  })

  it('an SSE stream of a stranger sees nothing, and a bad query is a coded 400', async () => {
    const bad = await fetch(`${t.url}/realtime/events?table=tasks&events=nope`, { headers: { authorization: `Bearer ${s.ada.token}` } })
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ code: 'KL_API_REALTIME_BAD_MESSAGE' })
    // The route contract's query schema: a table the app does not have, an unknown parameter.
    for (const query of ['table=nope', 'table=tasks&select=id']) {
      const refused = await fetch(`${t.url}/realtime/events?${query}`, { headers: { authorization: `Bearer ${s.ada.token}` } })
      expect(refused.status, query).toBe(400)
      expect(await refused.json()).toMatchObject({ code: 'KL_API_VALIDATION' })
    }
    const dead = await fetch(`${t.url}/realtime/events?table=tasks`, { headers: { authorization: 'Bearer not-a-session' } })
    expect(dead.status).toBe(401)
    // A refused subscription ends its stream, after a `failure` event that says why.
    const refused = await fetch(`${t.url}/realtime/events?table=tasks&filter=${encodeURIComponent('nope=eq.1')}`, { headers: { authorization: `Bearer ${s.ada.token}` } })
    const body = await refused.text()
    expect(body).toContain('event: failure')
    expect(body).toContain('KL_API_UNKNOWN_COLUMN')
    const stream = await openStream('table=tasks', { authorization: `Bearer ${s.cy.token}` })
    await stream.until((e) => e.event === 'subscribed')
    await createTask(t, s.p1.id, s.ada.id, 'hidden from cy')
    await settle()
    expect(stream.events.filter((e) => e.event === 'change')).toEqual([])
    await stream.close()
  })

  it('cuts off a consumer that stops reading, with a coded reason, instead of buffering without bound', async () => {
    const slow = await Client.open(t, s.ada.token)
    await slow.subscribe('s', 'tasks')
    const reader = await Client.open(t, s.ada.token)
    await reader.subscribe('s', 'tasks')
    // The slow client stops reading: the kernel's buffers fill, then the server's.
    const socket = (slow.ws as unknown as { _socket: import('node:net').Socket })._socket
    socket.pause()
    expect(await floodUntilCut(t, s.p1.id, s.ada.id)).toBe(true)
    socket.resume()
    expect(await slow.waitClosed()).toEqual({ code: 4008, reason: 'KL_API_REALTIME_SLOW_CONSUMER' })
    // A reading client is not affected.
    expect(reader.closed).toBeUndefined()
    await reader.next((m) => m.type === 'change' && m.row?.title === 'bulk 0-0')
    reader.close()
  }, 30_000)

  it('delivers a write made by another server process on the same database file', async () => {
    const client = await Client.open(t, s.ada.token)
    await client.subscribe('p', 'tasks')
    const script = path.join(import.meta.dirname, 'second-writer.ts')
    const { stdout } = await promisify(execFile)(process.execPath, [script, t.file, s.p1.id, s.ada.id, 'from another process'], { timeout: 20_000 })
    const [created] = JSON.parse(stdout) as Message[]
    const change = await client.next((m) => m.type === 'change' && m.rowId === created.id, 5000)
    expect(change).toMatchObject({ event: 'create', row: { title: 'from another process' } })
    client.close()
  }, 30_000)
})
