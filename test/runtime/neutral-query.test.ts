import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDataLayer, type Actor, type DataLayer } from '../../engine/runtime/data/data-layer.ts'
import type { ReadQuery, Where } from '../../engine/runtime/data/query.ts'
import type { KoyaError } from '../../engine/shared/errors.ts'
import type { SqliteDatabase } from '../../engine/shared/sqlite.ts'
import { actors, policyTestModel, SEED_SQL } from '../helpers/policy-fixture.ts'
import { policyDb } from '../helpers/policy-schema.ts'

/**
 * The neutral query, as GraphQL and in-process features will call it: typed values, relation
 * filters through the related table's read policy, rows as objects. The world (policy-fixture):
 * Ada is in w1 (p1: t1 done, t2 doing, t3 todo); Bob is in w1 and owns w2 (p2: t4 todo, which
 * Ada cannot see).
 */

let db: SqliteDatabase
let data: DataLayer

beforeEach(() => {
  const model = policyTestModel()
  db = policyDb(model)
  db.exec(SEED_SQL)
  data = createDataLayer(model, db)
})
afterEach(() => db.close())

const ids = (actor: Actor, query: ReadQuery) => data.list(actor, { ...query, select: [{ kind: 'column', column: 'id' }] }, { as: 'objects' }).rows.map((r) => r.id).sort()
const status = (value: string): Where => ({ kind: 'compare', column: 'status', operator: 'eq', value })

function refusal(call: () => unknown): KoyaError {
  try {
    call()
  } catch (error) {
    return error as KoyaError
  }
  throw new Error('expected a refusal')
}

describe('relation filters', () => {
  it('some / every / none over a has-many relation', () => {
    expect(ids(actors.bob, { table: 'projects', where: { kind: 'some', relation: 'tasks', where: status('todo') } })).toEqual(['p1', 'p2'])
    expect(ids(actors.bob, { table: 'projects', where: { kind: 'every', relation: 'tasks', where: { kind: 'in', column: 'status', values: ['todo', 'done'] } } })).toEqual(['p2'])
    expect(ids(actors.bob, { table: 'projects', where: { kind: 'none', relation: 'tasks', where: status('doing') } })).toEqual(['p2'])
    expect(ids(actors.bob, { table: 'projects', where: { kind: 'some', relation: 'tasks' } })).toEqual(['p1', 'p2'])
  })

  it('parent: a readable belongs-to row that matches', () => {
    expect(ids(actors.bob, { table: 'tasks', where: { kind: 'parent', relation: 'project', where: { kind: 'compare', column: 'name', operator: 'eq', value: 'Launch' } } })).toEqual(['t1', 't2', 't3'])
  })

  it('sees only related rows the caller may read: a hidden task does not make its owner match', () => {
    const ownsHiddenPlan: Where = { kind: 'some', relation: 'ownedTasks', where: { kind: 'compare', column: 'title', operator: 'eq', value: 'Hidden plan' } }
    expect(ids(actors.system, { table: 'users', where: ownsHiddenPlan })).toEqual(['bob'])
    expect(ids(actors.ada, { table: 'users', where: ownsHiddenPlan })).toEqual([])
    // every over only the readable rows: for Ada, every task Bob owns that she can see is "doing".
    expect(ids(actors.ada, { table: 'users', where: { kind: 'and', where: [{ kind: 'compare', column: 'id', operator: 'eq', value: 'bob' }, { kind: 'every', relation: 'ownedTasks', where: status('doing') }] } })).toEqual(['bob'])
  })

  it('refuses a relation filter on the wrong kind of relation', () => {
    expect(refusal(() => ids(actors.bob, { table: 'tasks', where: { kind: 'some', relation: 'project' } })).code).toBe('KL_API_BAD_FILTER')
    expect(refusal(() => ids(actors.bob, { table: 'projects', where: { kind: 'parent', relation: 'tasks' } })).code).toBe('KL_API_BAD_FILTER')
  })
})

describe('filters, embeds and rows', () => {
  it('not keeps SQL\'s null rule: a null column matches neither a comparison nor its negation', () => {
    const two: Where = { kind: 'compare', column: 'priority', operator: 'eq', value: 2 }
    expect(ids(actors.bob, { table: 'tasks', where: two })).toEqual(['t2'])
    expect(ids(actors.bob, { table: 'tasks', where: { kind: 'not', where: two } })).toEqual(['t1', 't4']) // t3's priority is null
  })

  it('an embed has its own filter, order and page', () => {
    const rows = data.list(actors.bob, {
      table: 'projects',
      select: [{ kind: 'column', column: 'name' }, { kind: 'embed', relation: 'tasks', select: [{ kind: 'column', column: 'title' }], where: { kind: 'not', where: status('done') }, orderBy: [{ column: 'title', direction: 'desc' }], limit: 1 }],
      orderBy: [{ column: 'name' }],
    }, { as: 'objects' }).rows
    expect(rows).toEqual([{ name: 'Launch', tasks: [{ title: 'Ship it' }] }, { name: 'Secret', tasks: [{ title: 'Hidden plan' }] }])
  })

  it('rows come as objects (booleans as booleans) or as JSON text, and findOne gives the first match', () => {
    expect(data.get(actors.ada, 'projects', 'p1', [{ kind: 'column', column: 'archived' }], { as: 'objects' })).toEqual({ archived: false })
    expect(data.get(actors.ada, 'projects', 'p1', [{ kind: 'column', column: 'archived' }])).toBe('{"archived":false}')
    expect(data.get(actors.ada, 'projects', 'p2')).toBeUndefined()
    expect(data.findOne(actors.system, { table: 'users', where: { kind: 'compare', column: 'name', operator: 'eq', value: 'Ada' } }, { as: 'objects' })).toEqual({ id: 'ada', name: 'Ada', level: 1 })
    expect(data.findOne(actors.system, { table: 'users', where: { kind: 'compare', column: 'name', operator: 'eq', value: 'Nobody' } })).toBeUndefined()
  })

  it('counts what the caller may read', () => {
    expect(data.count(actors.ada, { table: 'tasks' })).toBe(3)
    expect(data.count(actors.bob, { table: 'tasks' })).toBe(4)
    expect(data.count(actors.bob, { table: 'tasks', where: status('todo') })).toBe(2)
    expect(data.count(actors.anonymous, { table: 'tasks' })).toBe(0)
  })

  it('checks typed values against the model', () => {
    expect(refusal(() => ids(actors.bob, { table: 'tasks', where: { kind: 'compare', column: 'priority', operator: 'eq', value: '2' } })).code).toBe('KL_API_BAD_FILTER')
    expect(refusal(() => ids(actors.bob, { table: 'tasks', where: status('cancelled') })).message).toContain('not a value of "status"')
    expect(refusal(() => ids(actors.bob, { table: 'tasks', where: { kind: 'compare', column: 'priority', operator: 'like', value: '1%' } })).code).toBe('KL_API_BAD_FILTER')
    expect(refusal(() => ids(actors.bob, { table: 'tasks', where: { kind: 'compare', column: 'nope', operator: 'eq', value: 'x' } })).code).toBe('KL_API_UNKNOWN_COLUMN')
    expect(refusal(() => ids(actors.bob, { table: 'tasks', limit: -1 })).code).toBe('KL_API_BAD_PAGINATION')
  })

  it('checks written values against the model too (in-process callers have no JSON Schema in front)', () => {
    const insert = (row: Record<string, unknown>) => refusal(() => data.insert(actors.system, { table: 'tasks', rows: [{ projectId: 'p1', title: 'T', status: 'todo', ownerId: 'ada', ...row }] }))
    expect(insert({ priority: 'high' })).toMatchObject({ code: 'KL_API_VALIDATION', message: '"priority" must be an integer; got "high".' })
    expect(insert({ status: 'zzz' })).toMatchObject({ code: 'KL_API_VALIDATION', message: '"status" must be one of todo, doing, done; got "zzz".' })
    expect(insert({ title: 42 }).code).toBe('KL_API_VALIDATION')
    expect(refusal(() => data.update(actors.system, { table: 'projects', target: { id: 'p1' }, patch: { archived: 'yes' } })).code).toBe('KL_API_VALIDATION')
  })

  it('writes with neutral targets, returning objects', () => {
    const written = data.update(actors.ada, { table: 'tasks', target: { where: { kind: 'compare', column: 'ownerId', operator: 'eq', value: 'ada' } }, patch: { priority: 3 }, returning: [{ kind: 'column', column: 'id' }, { kind: 'column', column: 'priority' }] }, { as: 'objects' })
    expect(written).toEqual({ count: 2, rows: [{ id: 't1', priority: 3 }, { id: 't3', priority: 3 }] })
  })
})

describe('refusals name the policy\'s source location only in dev mode', () => {
  it('dev: the location is in the message; otherwise only on the error (for the logs)', () => {
    const model = policyTestModel()
    const dev = createDataLayer(model, db, { dev: true })
    const write = (layer: DataLayer) => refusal(() => layer.update(actors.cid, { table: 'tasks', target: { id: 't1' }, patch: { title: 'x' } }))
    expect(write(dev).message).toBe('The update policy of "tasks" (policies/test.ts:1:1) does not allow you to update that row. Nothing was written.')
    const quiet = write(data)
    expect(quiet.message).toBe('The update policy of "tasks" does not allow you to update that row. Nothing was written.')
    expect(quiet.at).toEqual({ file: 'policies/test.ts', line: 1, column: 1 })
    expect(String((quiet.cause as Error).message)).toContain('policies/test.ts:1:1')
  })
})

describe('a strict table evaluates its policy before every filter (issue 10, item 9)', () => {
  it('puts even filters that cannot fail behind the policy, with the same answers', () => {
    const model = policyTestModel()
    const strictModel = { ...model, policies: model.policies.map((p) => (p.table === 'tasks' ? { ...p, strict: true } : p)) }
    const prepared: string[] = []
    const prepare = db.prepare.bind(db)
    db.prepare = ((text: string) => {
      prepared.push(text)
      return prepare(text)
    }) as typeof db.prepare
    const query: ReadQuery = { table: 'tasks', where: status('todo'), select: [{ kind: 'column', column: 'id' }] }
    const plain = data.list(actors.bob, query).rows
    const plainSql = prepared.splice(0).find((text) => text.includes('"status" ='))!
    const strict = createDataLayer(strictModel, db).list(actors.bob, query).rows
    const strictSql = prepared.splice(0).find((text) => text.includes('"status" ='))!
    expect(strict).toEqual(plain)
    // Beside the policy (an index may serve it) vs. inside CASE WHEN <policy> THEN <filter>.
    expect(plainSql).toMatch(/WHERE "row"\."status" = \? AND/)
    expect(strictSql).toMatch(/CASE WHEN .* THEN "row"\."status" = \? ELSE 0 END/)
  })
})
