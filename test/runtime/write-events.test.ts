import type { FastifyInstance } from 'fastify'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDataLayer, type DataLayer } from '../../engine/runtime/data/data-layer.ts'
import type { WriteEvent } from '../../engine/runtime/data/write-events.ts'
import type { SqliteDatabase } from '../../engine/shared/sqlite.ts'
import { policyApp } from '../helpers/policy-app.ts'
import { actors, policyTestModel, SEED_SQL } from '../helpers/policy-fixture.ts'
import { policyDb } from '../helpers/policy-schema.ts'

let db: SqliteDatabase
let data: DataLayer
let subscriberErrors: unknown[]

beforeEach(() => {
  const model = policyTestModel()
  db = policyDb(model)
  db.exec(SEED_SQL)
  // A stand-in for a feature's outbox table (jobs, webhooks, the audit log).
  db.exec('CREATE TABLE outbox (n INTEGER PRIMARY KEY, event TEXT NOT NULL)')
  subscriberErrors = []
  data = createDataLayer(model, db, { onSubscriberError: (error) => subscriberErrors.push(error) })
})
afterEach(() => db.close())

const title = (id: string) => (db.prepare('SELECT title FROM tasks WHERE id = ?').get(id) as { title: string } | undefined)?.title
const outbox = () => (db.prepare('SELECT event FROM outbox ORDER BY n').all() as { event: string }[]).map((r) => r.event)

/** Record what a transaction-phase subscriber on `tables` hears, and write it to the outbox in the same transaction. */
function recordInTransaction(tables?: string[]): WriteEvent[] {
  const heard: WriteEvent[] = []
  data.events.subscribe({
    phase: 'transaction',
    ...(tables ? { tables } : {}),
    handle(events, tx) {
      heard.push(...events)
      for (const e of events) tx.statements.run('INSERT INTO outbox (event) VALUES (?)', [`${e.table}.${e.operation}.${String((e.new ?? e.old)!.id)}`])
    },
  })
  return heard
}

describe('write events', () => {
  it('an update yields old and new rows as objects, the actor and the request id', () => {
    const heard = recordInTransaction(['tasks'])
    data.update(actors.ada, { table: 'tasks', target: { id: 't1' }, patch: { title: 'Spec v2' } }, { requestId: 'req-7' })
    expect(heard).toEqual([
      {
        table: 'tasks',
        operation: 'update',
        old: { id: 't1', projectId: 'p1', title: 'Write spec', status: 'done', priority: 1, assigneeId: 'ada', ownerId: 'ada' },
        new: { id: 't1', projectId: 'p1', title: 'Spec v2', status: 'done', priority: 1, assigneeId: 'ada', ownerId: 'ada' },
        actor: actors.ada,
        requestId: 'req-7',
      },
    ])
    expect(outbox()).toEqual(['tasks.update.t1'])
  })

  it('bulk writes yield one event per row: create, update by filter, delete by filter', () => {
    const heard = recordInTransaction()
    const created = data.insert(actors.system, { table: 'tasks', rows: [{ projectId: 'p2', title: 'A', status: 'todo', ownerId: 'bob' }, { projectId: 'p2', title: 'B', status: 'todo', ownerId: 'bob' }], returning: [{ kind: 'column', column: 'id' }] }, { as: 'objects' })
    expect(heard.map((e) => [e.operation, e.old, (e.new as { title: string }).title])).toEqual([['create', null, 'A'], ['create', null, 'B']])
    expect(heard[0]!.new).toMatchObject({ status: 'todo', priority: null }) // the row as stored, unset columns null
    heard.length = 0
    data.update(actors.system, { table: 'tasks', target: { where: { kind: 'compare', column: 'projectId', operator: 'eq', value: 'p2' } }, patch: { priority: 2 } })
    expect(heard.map((e) => [e.operation, (e.old as { priority: unknown }).priority, (e.new as { priority: unknown }).priority])).toEqual([['update', 3, 2], ['update', null, 2], ['update', null, 2]])
    heard.length = 0
    data.delete(actors.system, { table: 'tasks', target: { where: { kind: 'in', column: 'id', values: created.rows!.map((r) => r.id as string) } } })
    expect(heard.map((e) => [e.operation, (e.old as { title: string }).title, e.new])).toEqual([['delete', 'A', null], ['delete', 'B', null]])
    expect(outbox()).toHaveLength(7)
  })

  it('an upsert that merges is an update with the old row; one that is ignored yields nothing', () => {
    const heard = recordInTransaction(['members'])
    const conflict = { columns: ['workspaceId', 'userId'] }
    data.insert(actors.system, { table: 'members', rows: [{ workspaceId: 'w1', userId: 'cid', role: 'editor' }], onConflict: { ...conflict, resolution: 'merge' } })
    expect(heard.map((e) => [e.operation, (e.old as { role: string }).role, (e.new as { role: string }).role])).toEqual([['update', 'viewer', 'editor']])
    heard.length = 0
    data.insert(actors.system, { table: 'members', rows: [{ workspaceId: 'w1', userId: 'cid', role: 'owner' }], onConflict: { ...conflict, resolution: 'ignore' } })
    expect(heard).toEqual([])
  })

  it('a transaction subscriber that throws rolls the write back, with its outbox rows, and the writer gets the error', () => {
    recordInTransaction()
    data.events.subscribe({
      phase: 'transaction',
      handle() {
        throw new Error('webhook outbox full')
      },
    })
    expect(() => data.update(actors.ada, { table: 'tasks', target: { id: 't1' }, patch: { title: 'Lost' } })).toThrow('webhook outbox full')
    expect(title('t1')).toBe('Write spec')
    expect(outbox()).toEqual([])
  })

  it('commit subscribers hear after the commit; their errors never reach the writer', async () => {
    const seen: { inTransaction: boolean; stored: string | undefined }[] = []
    data.events.subscribe({ phase: 'commit', tables: ['tasks'], handle: (events) => void seen.push({ inTransaction: db.inTransaction, stored: title(String(events[0]!.new!.id)) }) })
    data.events.subscribe({ phase: 'commit', handle: () => Promise.reject(new Error('realtime down')) })
    data.events.subscribe({ phase: 'commit', operations: ['delete'], handle: () => void seen.push({ inTransaction: true, stored: 'wrongly heard an update' }) })
    data.update(actors.ada, { table: 'tasks', target: { id: 't3' }, patch: { title: 'Shipped' } })
    expect(seen).toEqual([{ inTransaction: false, stored: 'Shipped' }])
    await Promise.resolve()
    expect(subscriberErrors.map((e) => (e as Error).message)).toEqual(['realtime down'])
  })

  it('a transaction subscriber may write through the data layer: commit subscribers hear both writes after the outer commit, or neither', () => {
    const committed: { table: string; inTransaction: boolean }[] = []
    data.events.subscribe({ phase: 'commit', handle: (events) => void committed.push(...events.map((e) => ({ table: e.table, inTransaction: db.inTransaction }))) })
    data.events.subscribe({
      phase: 'transaction',
      tables: ['tasks'],
      handle: () => void data.insert(actors.system, { table: 'workspaces', rows: [{ name: 'Spawned', ownerId: 'ada' }] }),
    })
    data.update(actors.ada, { table: 'tasks', target: { id: 't1' }, patch: { title: 'Spawns' } })
    expect(committed).toEqual([{ table: 'workspaces', inTransaction: false }, { table: 'tasks', inTransaction: false }])
    committed.length = 0
    const stop = data.events.subscribe({
      phase: 'transaction',
      tables: ['tasks'],
      handle() {
        throw new Error('no')
      },
    })
    expect(() => data.update(actors.ada, { table: 'tasks', target: { id: 't1' }, patch: { title: 'Spawns again' } })).toThrow('no')
    expect(committed).toEqual([])
    expect((db.prepare("SELECT count(*) AS n FROM workspaces WHERE name = 'Spawned'").get() as { n: number }).n).toBe(1)
    stop()
  })

  it('without a subscriber a write reads no row for events: its statements are the same as before', () => {
    const prepared: string[] = []
    const prepare = db.prepare.bind(db)
    db.prepare = ((text: string) => {
      prepared.push(text)
      return prepare(text)
    }) as typeof db.prepare
    data.update(actors.ada, { table: 'tasks', target: { id: 't1' }, patch: { title: 'Quiet' } })
    data.delete(actors.system, { table: 'tasks', target: { id: 't2' } })
    expect(prepared.filter((text) => text.includes('json_object'))).toEqual([])
    data.events.subscribe({ phase: 'commit', tables: ['tasks'], operations: ['update'], handle: () => {} })
    data.update(actors.ada, { table: 'tasks', target: { id: 't1' }, patch: { title: 'Heard' } })
    expect(prepared.filter((text) => text.includes('json_object')).length).toBeGreaterThan(0)
  })

  it('a write that touches nothing, or is refused, yields nothing; unsubscribing stops events', () => {
    const heard: WriteEvent[] = []
    const stop = data.events.subscribe({ phase: 'transaction', handle: (events) => void heard.push(...events) })
    data.update(actors.ada, { table: 'tasks', target: { id: 't4' }, patch: { title: 'x' } }) // hidden: a missing row
    expect(() => data.update(actors.cid, { table: 'tasks', target: { id: 't1' }, patch: { title: 'x' } })).toThrow() // refused
    expect(heard).toEqual([])
    stop()
    data.update(actors.ada, { table: 'tasks', target: { id: 't1' }, patch: { title: 'x' } })
    expect(heard).toEqual([])
  })
})

describe('write events over HTTP', () => {
  let app: FastifyInstance
  afterEach(async () => app?.close())

  it('a REST write carries its request id', async () => {
    const heard = recordInTransaction(['tasks'])
    app = await policyApp(policyTestModel(), db, data)
    const reply = await app.inject({ method: 'PATCH', url: '/api/tasks/t1', headers: { 'x-test-user': 'ada' }, payload: { title: 'Over HTTP' } })
    expect(reply.statusCode).toBe(200)
    expect(heard).toHaveLength(1)
    expect(heard[0]).toMatchObject({ operation: 'update', actor: { kind: 'user', userId: 'ada' } })
    expect(heard[0]!.requestId).toMatch(/^req-/)
  })
})
