import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { referenceIr, writeSdk } from '../../sdk/sdk-files.ts'
import { asSystem, Client, createTask, realtimeApp, seed, settle, type Message, type RealtimeTestApp } from './realtime-helpers.ts'

/** The emitted SDK, imported as JavaScript (typed loosely here; types.test.ts checks its types). */
interface Koya {
  tasks: { subscribe(options: object, callback: (change: Message) => void): () => void }
  channel(name: string): { join(presence?: object): void; broadcast(event: string, payload?: unknown): void; on(callback: (event: Message) => void): () => void; members(): Message[]; leave(): void }
  realtime: { close(): void; reconnect(): void }
}
interface Sdk {
  createClient(options: { url: string; token?: string; webSocket?: (url: string) => unknown }): Koya
}

let t: RealtimeTestApp
let s: Awaited<ReturnType<typeof seed>>
let sdk: Sdk
let files: ReturnType<typeof writeSdk>
beforeAll(async () => {
  files = writeSdk(referenceIr(), 'realtime')
  sdk = (await import(files.index)) as Sdk
  t = await realtimeApp()
  s = await seed(t)
})
afterAll(async () => {
  await t?.close()
  files?.remove()
})

const until = async (check: () => boolean, ms = 3000) => {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('SDK: koya.<table>.subscribe and koya.channel over the global WebSocket', () => {
  it('delivers the changes a user may read, with initial rows, and stops on unsubscribe', async () => {
    const koya = sdk.createClient({ url: t.url, token: s.ada.token })
    const seen: Message[] = []
    const existing = await createTask(t, s.p1.id, s.ada.id, 'there before', { status: 'doing' })
    const stop = koya.tasks.subscribe({ where: { status: { in: ['todo', 'doing'] } }, initial: true }, (change) => seen.push(change))
    await until(() => seen.some((c) => c.event === 'initial'))
    expect(seen[0].rows.map((r: Message) => r.id)).toContain(existing.id)
    const task = await createTask(t, s.p1.id, s.ada.id, 'via the SDK')
    await createTask(t, s.p2.id, s.bob.id, 'bob\'s')
    await asSystem(t, 'PATCH', `/api/tasks/${task.id}`, { status: 'done' })
    await until(() => seen.some((c) => c.event === 'leave'))
    expect(seen.slice(1).map((c) => [c.event, c.rowId])).toEqual([['create', task.id], ['leave', task.id]])
    stop()
    await createTask(t, s.p1.id, s.ada.id, 'after unsubscribe')
    await settle()
    expect(seen).toHaveLength(3)
    koya.realtime.close()
  })

  it('reconnects after the connection drops and resumes with exactly the missed changes', async () => {
    const sockets: WebSocket[] = []
    const koya = sdk.createClient({
      url: t.url,
      token: s.ada.token,
      webSocket: (url) => {
        const socket = new WebSocket(url)
        sockets.push(socket)
        return socket
      },
    })
    const seen: Message[] = []
    koya.tasks.subscribe({}, (change) => seen.push(change))
    await until(() => sockets[0]?.readyState === WebSocket.OPEN)
    await settle(100)
    const first = await createTask(t, s.p1.id, s.ada.id, 'before the drop')
    await until(() => seen.some((c) => c.rowId === first.id))
    // The server side goes away for this socket: the SDK reconnects and resumes.
    sockets[0]!.close()
    const missed = await createTask(t, s.p1.id, s.ada.id, 'while away')
    await until(() => seen.some((c) => c.rowId === missed.id), 5000)
    expect(sockets.length).toBe(2)
    expect(seen.map((c) => [c.event, c.row.title])).toEqual([['create', 'before the drop'], ['create', 'while away']])
    koya.realtime.close()
  })

  it('koya.channel broadcasts to the other members and tracks presence', async () => {
    const ada = sdk.createClient({ url: t.url, token: s.ada.token })
    const bob = sdk.createClient({ url: t.url, token: s.bob.token })
    const heard: Message[] = []
    const room = ada.channel('room:sdk')
    room.on((event) => heard.push(event))
    room.join({ name: 'Ada' })
    const bobRoom = bob.channel('room:sdk')
    bobRoom.join({ name: 'Bob' })
    await until(() => room.members().length === 2 && bobRoom.members().length === 2)
    bobRoom.broadcast('wave', { hand: 'left' })
    await until(() => heard.some((e) => e.type === 'broadcast'))
    expect(heard.find((e) => e.type === 'broadcast')).toEqual({ type: 'broadcast', event: 'wave', payload: { hand: 'left' }, from: s.bob.id })
    bobRoom.leave()
    await until(() => room.members().length === 1)
    expect(room.members()[0]).toMatchObject({ userId: s.ada.id, presence: { name: 'Ada' } })
    ada.realtime.close()
    bob.realtime.close()
  })

  it('a raw client is still refused a subscription it may not hold (sanity of the shared server)', async () => {
    const client = await Client.open(t)
    expect(await client.subscribe('x', 'tasks', { filter: 'nope=eq.1' })).toMatchObject({ type: 'error', code: 'KL_API_UNKNOWN_COLUMN' })
    client.close()
  })
})
