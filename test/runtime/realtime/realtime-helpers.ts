import WebSocket from 'ws'
import type { RealtimeModuleOptions } from '../../../engine/runtime/realtime/realtime-module.ts'
import { authApp, call, SERVICE_KEY, signedInUser, type AuthTestApp } from '../../helpers/auth-app.ts'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Message = any

export interface RealtimeTestApp extends AuthTestApp {
  readonly url: string
}

/** The reference app on a fresh SQLite file, listening on 127.0.0.1 (real WebSockets and SSE). */
export async function realtimeApp(realtime: RealtimeModuleOptions = {}): Promise<RealtimeTestApp> {
  const t = await authApp({ realtime: { pollIntervalMs: 20, ...realtime } })
  const url = await t.app.listen({ port: 0, host: '127.0.0.1' })
  return Object.assign(t, { url })
}

/** A write through REST as the service key (the system role); the created rows. */
export async function asSystem(t: AuthTestApp, method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<Message> {
  const reply = await call(t, method, path, { token: SERVICE_KEY, headers: { prefer: 'return=representation' }, ...(body === undefined ? {} : { body }) })
  if (reply.status >= 300) throw new Error(`${method} ${path}: ${reply.status} ${reply.raw}`)
  return reply.body
}

/** Two workspaces (ada is a member of w1, bob of w2, cy of none), a project in each. */
export async function seed(t: AuthTestApp) {
  const ada = await signedInUser(t, 'ada')
  const bob = await signedInUser(t, 'bob')
  const cy = await signedInUser(t, 'cy')
  const [w1] = await asSystem(t, 'POST', '/api/workspaces', { name: 'One', slug: `one-${ada.id.slice(-6)}`, ownerId: ada.id })
  const [w2] = await asSystem(t, 'POST', '/api/workspaces', { name: 'Two', slug: `two-${bob.id.slice(-6)}`, ownerId: bob.id })
  await asSystem(t, 'POST', '/api/members', [{ workspaceId: w1.id, userId: ada.id, role: 'owner' }, { workspaceId: w2.id, userId: bob.id, role: 'owner' }])
  const [p1] = await asSystem(t, 'POST', '/api/projects', { workspaceId: w1.id, name: 'P1' })
  const [p2] = await asSystem(t, 'POST', '/api/projects', { workspaceId: w2.id, name: 'P2' })
  return { ada, bob, cy, w1, w2, p1, p2 }
}

export async function createTask(t: AuthTestApp, projectId: string, createdBy: string, title: string, extra: Record<string, unknown> = {}): Promise<Message> {
  const [task] = await asSystem(t, 'POST', '/api/tasks', { projectId, createdBy, title, ...extra })
  return task
}

/** A WebSocket client of /realtime that keeps every message it receives. */
export class Client {
  readonly messages: Message[] = []
  closed: { code: number; reason: string } | undefined
  private waiters: (() => void)[] = []

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()))
      this.notify()
    })
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() }
      this.notify()
    })
  }

  static async open(t: RealtimeTestApp, token?: string, headers: Record<string, string> = {}): Promise<Client> {
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/realtime`, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } })
    const client = new Client(ws)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)))
      ws.once('error', reject)
    })
    return client
  }

  private notify() {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message))
  }

  /** The first message from `from` on that `match` admits, waiting for it up to `ms`. */
  async next(match: (m: Message) => boolean, ms = 3000, from = 0): Promise<Message> {
    const deadline = Date.now() + ms
    for (;;) {
      const found = this.messages.slice(from).find(match)
      if (found) return found
      if (Date.now() > deadline) throw new Error(`no matching message in ${ms} ms; got ${JSON.stringify(this.messages.slice(-10))}`)
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve)
        setTimeout(resolve, 50)
      })
    }
  }

  async subscribe(id: string, table: string, options: { filter?: string; events?: string[]; initial?: boolean; after?: number } = {}): Promise<Message> {
    const from = this.messages.length
    this.send({ type: 'subscribe', id, table, ...options })
    return this.next((m) => m.id === id && (m.type === 'subscribed' || m.type === 'resync' || m.type === 'error'), 3000, from)
  }

  /** The changes of subscription `id` received so far. */
  changes(id: string): Message[] {
    return this.messages.filter((m) => m.type === 'change' && m.id === id)
  }

  async waitClosed(ms = 5000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + ms
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('the connection stayed open')
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    return this.closed
  }

  close(): void {
    this.ws.close()
  }
}

/** Let every write so far reach the subscribers (the poll interval is 20 ms in these tests). */
export const settle = (ms = 150) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Bulk-insert large tasks until the server logs that it cut a slow consumer off (at most 40 writes
 * of 30 rows of 19 KB): what a client that stopped reading is sent. Whether it was cut.
 */
export async function floodUntilCut(t: AuthTestApp, projectId: string, createdBy: string): Promise<boolean> {
  const body = 'x'.repeat(19_000)
  const cut = () => t.logs.some((line) => line.includes('KL_API_REALTIME_SLOW_CONSUMER'))
  for (let batch = 0; batch < 40 && !cut(); batch++) {
    await asSystem(t, 'POST', '/api/tasks', Array.from({ length: 30 }, (_, i) => ({ projectId, createdBy, title: `bulk ${batch}-${i}`, body })))
    await settle(30)
  }
  return cut()
}
