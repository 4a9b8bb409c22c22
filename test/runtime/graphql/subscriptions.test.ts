import { createClient, type Client as GqlClient } from 'graphql-ws'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call } from '../../helpers/auth-app.ts'
import { asSystem, Client, createTask, realtimeApp, seed, settle, type Message, type RealtimeTestApp } from '../realtime/realtime-helpers.ts'

let t: RealtimeTestApp
let s: Awaited<ReturnType<typeof seed>>
beforeAll(async () => {
  t = await realtimeApp()
  s = await seed(t)
})
afterAll(() => t.close())

/** A real graphql-ws client (the graphql-transport-ws protocol) on /graphql, keeping what each subscription receives. */
class Subscriber {
  readonly values: Message[] = []
  readonly errors: Message[] = []
  closed: { code: number; reason: string } | undefined
  private readonly stops: (() => void)[] = []
  readonly client: GqlClient

  constructor(connectionParams: Record<string, unknown> | undefined, headers: Record<string, string> = {}) {
    this.client = createClient({
      url: `${t.url.replace('http', 'ws')}/graphql`,
      webSocketImpl: class extends WebSocket {
        constructor(url: string, protocols: string[]) {
          super(url, protocols, { headers })
        }
      },
      ...(connectionParams ? { connectionParams } : {}),
      retryAttempts: 0,
      lazy: true,
      on: {
        closed: (event) => {
          const e = event as { code: number; reason: string }
          this.closed = { code: e.code, reason: String(e.reason) }
        },
      },
    })
  }

  subscribe(query: string, variables: Record<string, unknown> = {}): void {
    this.stops.push(
      this.client.subscribe(
        { query, variables },
        {
          next: (value) => this.values.push(value),
          error: (error) => this.errors.push(error),
          complete: () => {},
        },
      ),
    )
  }

  /** The first value (or error) that `match` admits, waiting up to `ms`. */
  async next(match: (m: Message) => boolean, ms = 3000): Promise<Message> {
    const deadline = Date.now() + ms
    for (;;) {
      const found = [...this.values, ...this.errors].find(match)
      if (found) return found
      if (Date.now() > deadline) throw new Error(`nothing matched in ${ms} ms; got ${JSON.stringify([...this.values, ...this.errors].slice(-5))}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  changes(field = 'tasksChanges'): Message[] {
    return this.values.map((v) => v.data?.[field]).filter(Boolean)
  }

  async stop(): Promise<void> {
    for (const stop of this.stops) stop()
    await this.client.dispose()
  }
}

const CHANGES = 'subscription ($where: TaskWhere, $initial: Boolean, $after: ID, $events: [ChangeOperation!]) { tasksChanges(where: $where, initial: $initial, after: $after, events: $events) { event seq rowId row { id title state: status } rows { id title } } }'

/** Until the subscription is registered on the server (graphql-ws acknowledges nothing): a task it sees in `project` arrives. */
async function ready(sub: Subscriber, project: { id: string } = s.p1, createdBy: string = s.ada.id): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const probe = await createTask(t, project.id, createdBy, `probe ${attempt}`)
    const seen = await sub.next((m) => m.data?.tasksChanges?.rowId === probe.id, 500).catch(() => undefined)
    if (seen) return
  }
  throw new Error('the subscription never started')
}

describe('GraphQL subscriptions over graphql-ws, per persona, from the realtime hub', () => {
  it('a member receives the changes of their workspace\'s tasks, shaped by the selection (aliases); another member and a stranger receive none', async () => {
    const ada = new Subscriber({ token: s.ada.token })
    const bob = new Subscriber({ authorization: `Bearer ${s.bob.token}` })
    const cy = new Subscriber(undefined, { authorization: `Bearer ${s.cy.token}` })
    for (const sub of [ada, bob, cy]) sub.subscribe(CHANGES)
    await ready(ada)
    await ready(bob, s.p2, s.bob.id)
    const task = await createTask(t, s.p1.id, s.ada.id, 'Ship it')
    await asSystem(t, 'PATCH', `/api/tasks/${task.id}`, { status: 'doing' })
    const bobs = await createTask(t, s.p2.id, s.bob.id, 'Bob only')
    await settle()

    const updated = await ada.next((m) => m.data?.tasksChanges?.event === 'UPDATE' && m.data.tasksChanges.rowId === task.id)
    const created = ada.changes().find((c) => c.event === 'CREATE' && c.rowId === task.id)
    expect(created).toEqual({ event: 'CREATE', seq: expect.any(String), rowId: task.id, row: { id: task.id, title: 'Ship it', state: 'todo' }, rows: null })
    expect(updated.data.tasksChanges.row).toEqual({ id: task.id, title: 'Ship it', state: 'doing' })
    expect(Number(updated.data.tasksChanges.seq)).toBeGreaterThan(Number(created.seq))
    await bob.next((m) => m.data?.tasksChanges?.rowId === bobs.id)
    expect(bob.changes().map((c) => c.row.title).filter((title) => !title.startsWith('probe'))).toEqual(['Bob only'])
    expect(cy.changes()).toEqual([])
    for (const sub of [ada, bob, cy]) await sub.stop()
  })

  it('a row moving out of one member\'s view is a LEAVE without its contents, and an ENTER with them for the other', async () => {
    const task = await createTask(t, s.p1.id, s.ada.id, 'Moving')
    const ada = new Subscriber({ token: s.ada.token })
    const bob = new Subscriber({ token: s.bob.token })
    ada.subscribe(CHANGES)
    bob.subscribe(CHANGES)
    await ready(ada)
    await asSystem(t, 'PATCH', `/api/tasks/${task.id}`, { projectId: s.p2.id, title: 'Moved (secret to ada)' })
    const left = await ada.next((m) => m.data?.tasksChanges?.event === 'LEAVE')
    expect(left.data.tasksChanges).toEqual({ event: 'LEAVE', seq: expect.any(String), rowId: task.id, row: null, rows: null })
    const entered = await bob.next((m) => m.data?.tasksChanges?.event === 'ENTER')
    expect(entered.data.tasksChanges.row).toEqual({ id: task.id, title: 'Moved (secret to ada)', state: 'todo' })
    expect(JSON.stringify(ada.values)).not.toContain('secret to ada')
    await ada.stop()
    await bob.stop()
  })

  it('a membership granted while subscribed brings the workspace\'s rows in as ENTER events, without reconnecting', async () => {
    const task = await createTask(t, s.p1.id, s.ada.id, 'Seen after joining')
    const cy = new Subscriber({ token: s.cy.token })
    cy.subscribe(CHANGES, { where: { id: { eq: task.id } } })
    await settle(300)
    const [membership] = await asSystem(t, 'POST', '/api/members', { workspaceId: s.w1.id, userId: s.cy.id, role: 'viewer' })
    const entered = await cy.next((m) => m.data?.tasksChanges?.event === 'ENTER')
    expect(entered.data.tasksChanges).toMatchObject({ rowId: task.id, row: { title: 'Seen after joining' } })
    await asSystem(t, 'DELETE', `/api/members/${membership.id}`)
    const left = await cy.next((m) => m.data?.tasksChanges?.event === 'LEAVE')
    expect(left.data.tasksChanges).toMatchObject({ rowId: task.id, row: null })
    await cy.stop()
  })

  it('initial rows come first (relations read as the subscriber), then filtered changes of the chosen kinds', async () => {
    const a = await createTask(t, s.p1.id, s.ada.id, 'Urgent initial', { priority: 3 })
    await createTask(t, s.p1.id, s.ada.id, 'Calm initial', { priority: 0 })
    const ada = new Subscriber({ token: s.ada.token })
    ada.subscribe('subscription { tasksChanges(where: { priority: { gte: 3 } }, events: [DELETE], initial: true) { event rows { title project { name } } row { title } } }')
    const initial = await ada.next((m) => m.data?.tasksChanges?.event === 'INITIAL')
    const expected = (await call(t, 'GET', '/api/tasks?priority=gte.3&select=title,project(name)', { token: s.ada.token })).body
    expect(initial.data.tasksChanges.rows).toEqual(expected)
    expect(initial.data.tasksChanges.rows).toContainEqual({ title: 'Urgent initial', project: { name: 'P1' } })
    await createTask(t, s.p1.id, s.ada.id, 'Urgent but a create', { priority: 3 })
    await asSystem(t, 'DELETE', `/api/tasks/${a.id}`)
    const deleted = await ada.next((m) => m.data?.tasksChanges?.event === 'DELETE')
    expect(deleted.data.tasksChanges.row).toEqual({ title: 'Urgent initial' })
    expect(ada.changes().map((c) => c.event)).toEqual(['INITIAL', 'DELETE'])
    await ada.stop()
  })

  it('is the same stream as /realtime: the same seq for the same change, and `after` resumes exactly what was missed', async () => {
    const rt = await Client.open(t, s.ada.token)
    await rt.subscribe('all', 'tasks')
    const ada = new Subscriber({ token: s.ada.token })
    ada.subscribe(CHANGES)
    await ready(ada)
    const first = await createTask(t, s.p1.id, s.ada.id, 'Before the drop')
    const seen = await ada.next((m) => m.data?.tasksChanges?.rowId === first.id)
    const viaRealtime = await rt.next((m) => m.type === 'change' && m.rowId === first.id)
    expect(seen.data.tasksChanges.seq).toBe(String(viaRealtime.seq))
    await ada.stop()
    const missed = await createTask(t, s.p1.id, s.ada.id, 'Missed while away')
    await createTask(t, s.p2.id, s.bob.id, 'Never for ada')
    const again = new Subscriber({ token: s.ada.token })
    again.subscribe(CHANGES, { after: seen.data.tasksChanges.seq })
    const resumed = await again.next((m) => m.data?.tasksChanges?.rowId === missed.id)
    expect(resumed.data.tasksChanges).toMatchObject({ event: 'CREATE', row: { title: 'Missed while away' } })
    await settle()
    expect(again.changes().map((c) => c.row?.title)).toEqual(['Missed while away'])
    await again.stop()
    rt.close()
  })

  it('logout closes the subscription\'s socket with 4001 and the realtime code', async () => {
    const user = await (await import('../../helpers/auth-app.ts')).signedInUser(t, 'gqlleaver')
    const sub = new Subscriber({ token: user.token })
    sub.subscribe(CHANGES)
    await settle(200)
    expect((await call(t, 'POST', '/auth/logout', { token: user.token })).status).toBeLessThan(300)
    const deadline = Date.now() + 3000
    while (!sub.closed && Date.now() < deadline) await settle(20)
    expect(sub.closed).toEqual({ code: 4001, reason: 'KL_API_REALTIME_SESSION_ENDED' })
    await sub.stop()
  })

  it('refuses a token that is no session at connection_init, and an invalid or too deep subscription with a coded error', async () => {
    const stranger = new Subscriber({ token: 'not-a-session-token-at-all' })
    stranger.subscribe(CHANGES)
    const deadline = Date.now() + 3000
    while (!stranger.closed && Date.now() < deadline) await settle(20)
    // The graphql-transport-ws protocol's code for a refused connection_init.
    expect(stranger.closed).toEqual({ code: 4403, reason: 'Forbidden' })
    expect(stranger.values).toEqual([])
    await stranger.stop()

    const ada = new Subscriber({ token: s.ada.token })
    ada.subscribe('subscription { tasksChanges { event nope } }')
    const invalid = await ada.next((m) => Array.isArray(m))
    expect(invalid[0].extensions.code).toBe('KL_API_GRAPHQL_INVALID')
    ada.subscribe('subscription { tasksChanges(where: { title: { eq: null } }) { event } }')
    const refused = await ada.next((m) => Array.isArray(m) && m[0].extensions.code !== 'KL_API_GRAPHQL_INVALID')
    expect(refused[0].extensions.code).toMatch(/^KL_API_/)
    await ada.stop()
  })
})
