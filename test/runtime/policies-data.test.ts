import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Actor } from '../../engine/runtime/data/data-layer.ts'
import { urlDataLayer as createDataLayer, type UrlDataLayer as DataLayer } from '../helpers/url-data-layer.ts'
import { parseQuery, type ParsedQuery } from '../../engine/runtime/rest/query-grammar.ts'
import type { KoyaError } from '../../engine/shared/errors.ts'
import type { SqliteDatabase } from '../../engine/shared/sqlite.ts'
import { actors, policyTestModel, SEED_SQL } from '../helpers/policy-fixture.ts'
import { policyDb } from '../helpers/policy-schema.ts'

let db: SqliteDatabase
let data: DataLayer

beforeEach(() => {
  const model = policyTestModel()
  db = policyDb(model)
  db.exec(SEED_SQL)
  data = createDataLayer(model, db)
})
afterEach(() => db.close())

const q = (text = ''): ParsedQuery => parseQuery(new URLSearchParams(text))
const ids = (rows: readonly string[] | undefined) => (rows ?? []).map((r) => (JSON.parse(r) as { id: string }).id).sort()
const list = (actor: Actor, table: string, query = '') => ids(data.list(actor, table, q(query), { count: false }).rows)
const titles = () => (db.prepare('SELECT title FROM tasks ORDER BY id').all() as { title: string }[]).map((r) => r.title)

/** The KoyaError a call throws. */
function refusal(call: () => unknown): KoyaError {
  try {
    call()
  } catch (error) {
    return error as KoyaError
  }
  throw new Error('expected a refusal')
}

describe('policies: reads', () => {
  it('a member lists the tasks of their workspaces only; the system role lists all', () => {
    expect(list(actors.ada, 'tasks')).toEqual(['t1', 't2', 't3'])
    expect(list(actors.bob, 'tasks')).toEqual(['t1', 't2', 't3', 't4'])
    expect(list(actors.dee, 'tasks')).toEqual([])
    expect(list(actors.system, 'tasks')).toEqual(['t1', 't2', 't3', 't4'])
  })

  it('an anonymous caller is evaluated with auth.userId null: a membership admits nothing', () => {
    expect(list(actors.anonymous, 'tasks')).toEqual([])
  })

  it('filters, order and limit apply within the admitted rows', () => {
    expect(list(actors.ada, 'tasks', 'status=eq.todo')).toEqual(['t3'])
    expect(list(actors.ada, 'tasks', 'title=eq.Hidden plan')).toEqual([])
    const page = data.list(actors.ada, 'tasks', q('select=id&order=title.asc&limit=2'), { count: true })
    expect(page.rows).toEqual(['{"id":"t2"}', '{"id":"t3"}'])
    expect(page.total).toBe(3)
  })

  it('count=exact counts admitted rows only, with and without filters', () => {
    expect(data.list(actors.ada, 'tasks', q('limit=1'), { count: true }).total).toBe(3)
    expect(data.list(actors.ada, 'tasks', q('status=eq.todo&limit=1'), { count: true }).total).toBe(1)
    expect(data.list(actors.dee, 'tasks', q(), { count: true }).total).toBe(0)
  })

  it('get of a hidden row is undefined, exactly as for a missing one', () => {
    expect(data.get(actors.ada, 'tasks', 't4', q())).toBeUndefined()
    expect(data.get(actors.ada, 'tasks', 'nope', q())).toBeUndefined()
    expect(JSON.parse(data.get(actors.bob, 'tasks', 't4', q('select=title'))!)).toEqual({ title: 'Hidden plan' })
  })

  it('each embedded table applies its own read policy', () => {
    // Members of w1 are readable to Ada; the embedded tasks of p2 are not (p2 itself is hidden).
    const workspaces = data.list(actors.cid, 'workspaces', q('select=id,members(id),projects(id,tasks(id))'), { count: false }).rows.map((r) => JSON.parse(r))
    expect(workspaces).toEqual([{ id: 'w1', members: [{ id: 'm1' }, { id: 'm2' }, { id: 'm3' }], projects: [{ id: 'p1', tasks: [{ id: 't1' }, { id: 't2' }, { id: 't3' }] }] }])
  })

  it('an embedded parent the caller may not read comes back null, and !inner drops the row', () => {
    const model = policyTestModel()
    // Projects readable by everyone signed in, workspaces still by membership.
    const open = { ...model, policies: model.policies.map((p) => (p.table === 'projects' ? { ...p, read: model.policies.find((x) => x.table === 'users')!.read } : p)) }
    const layer = createDataLayer(open, db)
    const rows = layer.list(actors.dee, 'projects', q('select=id,workspace(id)'), { count: false }).rows.map((r) => JSON.parse(r))
    expect(rows).toEqual([{ id: 'p1', workspace: null }, { id: 'p2', workspace: null }])
    expect(layer.list(actors.bob, 'projects', q('select=id,workspace!inner(id)&workspace.name=eq.Bobco'), { count: false }).rows).toEqual(['{"id":"p2","workspace":{"id":"w2"}}'])
    expect(layer.list(actors.ada, 'projects', q('select=id,workspace!inner(id)'), { count: false }).rows).toEqual(['{"id":"p1","workspace":{"id":"w1"}}'])
  })

  it('a table with no read policy: 401 for anonymous callers, 403 naming the table for users', () => {
    const model = policyTestModel()
    const layer = createDataLayer({ ...model, policies: model.policies.filter((p) => p.table !== 'tasks') }, db)
    expect(refusal(() => layer.list(actors.anonymous, 'tasks', q(), { count: false })).code).toBe('KL_API_UNAUTHORIZED')
    const denied = refusal(() => layer.list(actors.ada, 'tasks', q(), { count: false }))
    expect(denied.code).toBe('KL_API_POLICY_DENIED')
    expect(denied.message).toBe('Table "tasks" has no read policy, so only the service key may read its rows.')
    expect(refusal(() => layer.list(actors.ada, 'projects', q('select=id,tasks(id)'), { count: false })).code).toBe('KL_API_POLICY_DENIED')
    expect(list(actors.system, 'tasks')).toHaveLength(4)
  })

  it('the same shape serves different callers from one compiled statement', () => {
    expect(list(actors.ada, 'tasks', 'select=id')).toEqual(['t1', 't2', 't3'])
    expect(list(actors.dee, 'tasks', 'select=id')).toEqual([])
    expect(list(actors.bob, 'tasks', 'select=id')).toEqual(['t1', 't2', 't3', 't4'])
    expect(data.get(actors.admin, 'tasks', 't4', q())).toBeUndefined()
  })
})

describe('policies: no error oracle', () => {
  it('a user filter never runs on a row the policy hides, even when SQLite would run it first', () => {
    // `ilike` is SQLite's LIKE; replacing it with a function that throws on the hidden row's
    // title makes "the filter saw a hidden row" observable. The cheap filter would otherwise be
    // a candidate to run before the policy's EXISTS.
    const seen: string[] = []
    db.function('like', { varargs: true }, (...args: unknown[]) => {
      const value = String(args[1])
      seen.push(value)
      if (value === 'Hidden plan') throw new Error('oracle: the filter saw a hidden row')
      return value.toLowerCase().includes(String(args[0]).replaceAll('%', '').toLowerCase()) ? 1 : 0
    })
    expect(list(actors.ada, 'tasks', 'title=ilike.*i*')).toEqual(['t1', 't2', 't3'])
    expect(data.list(actors.ada, 'tasks', q('title=ilike.*i*&limit=1'), { count: true }).total).toBe(3)
    expect(data.update(actors.ada, 'tasks', { filtered: true }, { priority: 0 }, q('title=ilike.*i*'), { returning: false }).count).toBe(2)
    expect(seen).not.toContain('Hidden plan')
    // The same filter as the system role does see it (the trap is armed).
    expect(refusal(() => list(actors.system, 'tasks', 'title=ilike.*i*')).message).toContain('oracle')
  })
})

describe('policies: writes', () => {
  it('insert: an editor creates a task they own; nothing written when the create policy refuses', () => {
    const created = data.insert(actors.bob, 'tasks', [{ projectId: 'p1', title: 'New', status: 'todo', ownerId: 'bob' }], q(), { returning: true })
    expect(created.count).toBe(1)
    expect(JSON.parse(created.rows![0]!)).toMatchObject({ title: 'New', status: 'todo', ownerId: 'bob' })
    const before = titles()
    const viewer = refusal(() => data.insert(actors.cid, 'tasks', [{ projectId: 'p1', title: 'Nope', status: 'todo', ownerId: 'cid' }], q(), { returning: false }))
    expect(viewer.code).toBe('KL_API_POLICY_DENIED')
    expect(viewer.message).toBe('The create policy of "tasks" (policies/test.ts:1:1) refused the new row. Nothing was written.')
    expect(titles()).toEqual(before)
  })

  it('bulk insert is all or nothing: one refused row rolls back the others', () => {
    const before = titles()
    const error = refusal(() =>
      data.insert(actors.bob, 'tasks', [{ projectId: 'p1', title: 'Fine', status: 'todo', ownerId: 'bob' }, { projectId: 'p1', title: 'Not mine', status: 'todo', ownerId: 'ada' }], q(), { returning: false }),
    )
    expect(error.message).toContain('refused 1 of the 2 new rows')
    expect(titles()).toEqual(before)
  })

  it('a table with no create policy refuses signed-in users with 403 and anonymous callers with 401', () => {
    expect(refusal(() => data.insert(actors.ada, 'members', [{ workspaceId: 'w1', userId: 'dee', role: 'viewer' }], q(), { returning: false })).code).toBe('KL_API_POLICY_DENIED')
    expect(refusal(() => data.insert(actors.anonymous, 'members', [{ workspaceId: 'w1', userId: 'dee', role: 'viewer' }], q(), { returning: false })).code).toBe('KL_API_UNAUTHORIZED')
    expect(data.insert(actors.system, 'members', [{ workspaceId: 'w1', userId: 'dee', role: 'viewer' }], q(), { returning: false }).count).toBe(1)
  })

  it('return=representation of a row the writer cannot read: KL_API_RESULT_NOT_READABLE, and the write stays', () => {
    // Ada may create a workspace she owns, but reads workspaces by membership, and has none in it.
    const error = refusal(() => data.insert(actors.ada, 'workspaces', [{ name: 'Solo', ownerId: 'ada' }], q(), { returning: true }))
    expect(error.code).toBe('KL_API_RESULT_NOT_READABLE')
    expect(error.message).toBe('The row was written, but the read policy of "workspaces" does not let you read it back.')
    expect(db.prepare("SELECT count(*) AS n FROM workspaces WHERE name = 'Solo'").get()).toEqual({ n: 1 })
  })

  it('patch by id: the owner changes a task; a readable task of another owner is 403; a hidden one is as missing', () => {
    expect(data.update(actors.ada, 'tasks', { id: 't1' }, { title: 'Spec v2' }, q(), { returning: true }).rows!.map((r) => JSON.parse(r).title)).toEqual(['Spec v2'])
    const denied = refusal(() => data.update(actors.ada, 'tasks', { id: 't2' }, { title: 'Mine now' }, q(), { returning: true }))
    expect(denied.code).toBe('KL_API_POLICY_DENIED')
    expect(denied.message).toBe('The update policy of "tasks" (policies/test.ts:1:1) does not allow you to update that row. Nothing was written.')
    const hidden = data.update(actors.ada, 'tasks', { id: 't4' }, { title: 'x' }, q(), { returning: true })
    const missing = data.update(actors.ada, 'tasks', { id: 'nope' }, { title: 'x' }, q(), { returning: true })
    expect(hidden).toEqual(missing)
    expect(hidden.count).toBe(0)
    expect(titles()).toEqual(['Spec v2', 'Build it', 'Ship it', 'Hidden plan'])
  })

  it('patch by filter touches only the rows that pass the update policy', () => {
    const result = data.update(actors.ada, 'tasks', { filtered: true }, { status: 'done' }, q('status=neq.done'), { returning: false })
    expect(result.count).toBe(1)
    expect(db.prepare("SELECT id FROM tasks WHERE status = 'done' ORDER BY id").all()).toEqual([{ id: 't1' }, { id: 't3' }])
  })

  it('update check: a change the check refuses is rolled back with 403 naming the check', () => {
    const error = refusal(() => data.update(actors.bob, 'projects', { id: 'p1' }, { archived: true, name: 'Gone' }, q(), { returning: false }))
    expect(error.code).toBe('KL_API_POLICY_DENIED')
    expect(error.message).toBe('The update check of "projects" (policies/test.ts:1:1) refused the changed row. Nothing was written.')
    expect(db.prepare("SELECT name, archived FROM projects WHERE id = 'p1'").get()).toEqual({ name: 'Launch', archived: 0 })
    expect(data.update(actors.bob, 'projects', { id: 'p1' }, { name: 'Launch 2' }, q(), { returning: false }).count).toBe(1)
  })

  it('a change that moves a row out of the caller\'s sight commits, and says it cannot be read back', () => {
    // Ada owns t1 and moves it into Bob's workspace, which she cannot see.
    const error = refusal(() => data.update(actors.ada, 'tasks', { id: 't1' }, { projectId: 'p2' }, q(), { returning: true }))
    expect(error.code).toBe('KL_API_RESULT_NOT_READABLE')
    expect(error.message).toBe('The row was updated, but the read policy of "tasks" does not let you read it back.')
    expect(db.prepare("SELECT projectId FROM tasks WHERE id = 't1'").get()).toEqual({ projectId: 'p2' })
  })

  it('delete: admins only for tasks; a non-admin gets 403 for a readable row, missing for a hidden one', () => {
    expect(refusal(() => data.delete(actors.ada, 'tasks', { id: 't1' }, q(), { returning: false })).code).toBe('KL_API_POLICY_DENIED')
    expect(data.delete(actors.ada, 'tasks', { id: 't4' }, q(), { returning: false }).count).toBe(0)
    expect(data.delete(actors.admin, 'tasks', { id: 't1' }, q(), { returning: true }).rows!.map((r) => JSON.parse(r).id)).toEqual(['t1'])
    expect(titles()).toEqual(['Build it', 'Ship it', 'Hidden plan'])
  })

  it('delete by filter removes only the rows the delete policy admits', () => {
    // Ada owns w1: she may delete its members, not w2's.
    expect(data.delete(actors.ada, 'members', { filtered: true }, q('role=in.(owner,editor)'), { returning: false }).count).toBe(2)
    expect(db.prepare('SELECT id FROM members ORDER BY id').all()).toEqual([{ id: 'm3' }, { id: 'm4' }])
  })

  it('delete of a row the caller cannot read: nothing targeted, nothing deleted (issue 10)', () => {
    const model = policyTestModel()
    const layer = createDataLayer({ ...model, policies: model.policies.map((p) => (p.table === 'tasks' ? { ...p, read: model.policies.find((x) => x.table === 'users')!.read && p.read } : p)) }, db)
    const result = layer.delete({ kind: 'user', userId: 'dee', roles: ['admin'] }, 'tasks', { id: 't4' }, q(), { returning: true })
    expect(result.count).toBe(0)
    expect(db.prepare("SELECT count(*) AS n FROM tasks WHERE id = 't4'").get()).toEqual({ n: 1 })
  })

  it('upsert: a new row is checked by the create policy, a conflicting one by update using and check', () => {
    const upsert = (actor: Actor, row: Record<string, unknown>) => data.insert(actor, 'workspaces', [row], q('on_conflict=id'), { returning: false, resolution: 'merge' })
    // Bob inserts a workspace he owns: create admits it.
    expect(upsert(actors.bob, { name: 'Bob 2', ownerId: 'bob' }).count).toBe(1)
    expect(refusal(() => upsert(actors.bob, { name: 'For Ada', ownerId: 'ada' })).message).toContain('The create policy of "workspaces"')
  })

  it('upsert on a unique column: the existing row must pass update, the merged row the update check', () => {
    db.exec('CREATE UNIQUE INDEX workspaces_name_key ON workspaces (name)')
    // The model declares the key too: on_conflict must name a unique key the model knows.
    const model = policyTestModel()
    const keyed = { ...model, tables: model.tables.map((t) => (t.name === 'workspaces' ? { ...t, indexes: [...t.indexes, { name: 'workspaces_name_key', columns: ['name'], unique: true, origin: 'table' as const }] } : t)) }
    const withKey = createDataLayer(keyed, db)
    const upsert = (actor: Actor, row: Record<string, unknown>) => withKey.insert(actor, 'workspaces', [row], q('on_conflict=name'), { returning: false, resolution: 'merge' })
    // Bob conflicts with Ada's "Acme": the update policy (owner) refuses.
    const error = refusal(() => upsert(actors.bob, { name: 'Acme', ownerId: 'bob' }))
    expect(error.message).toBe('The update policy of "workspaces" (policies/test.ts:1:1) does not allow the upsert to change the existing row it conflicts with. Nothing was written.')
    // Ada may update Acme, but not hand it to Bob (the check is the same rule on the new row).
    expect(refusal(() => upsert(actors.ada, { name: 'Acme', ownerId: 'bob' })).message).toContain('The update check of "workspaces"')
    expect(db.prepare("SELECT ownerId FROM workspaces WHERE name = 'Acme'").get()).toEqual({ ownerId: 'ada' })
    expect(upsert(actors.ada, { name: 'Acme', ownerId: 'ada' }).count).toBe(1)
    // A key the model does not declare is refused before SQLite would fail on it.
    expect(refusal(() => data.insert(actors.ada, 'workspaces', [{ name: 'Acme', ownerId: 'ada' }], q('on_conflict=ownerId'), { returning: false, resolution: 'merge' })).code).toBe('KL_API_VALIDATION')
  })

  it('upsert whose conflict column is left to its default still meets the existing row, and its update policy', () => {
    // tasks get a `slot` (default 'main') unique per project; t1 is p1's 'main'.
    db.exec(`ALTER TABLE tasks ADD COLUMN slot TEXT NOT NULL DEFAULT 'main';
      UPDATE tasks SET slot = id WHERE id <> 't1';
      CREATE UNIQUE INDEX tasks_projectId_slot_key ON tasks (projectId, slot)`)
    const model = policyTestModel()
    const slot = { name: 'slot', type: 'text' as const, nullable: false, default: { kind: 'value' as const, value: 'main' }, unique: false, min: null, max: null, values: null, references: null, readOnly: false, jsonSchema: null, renamedFrom: null }
    const keyed = {
      ...model,
      tables: model.tables.map((t) => (t.name === 'tasks' ? { ...t, columns: [...t.columns, slot], indexes: [...t.indexes, { name: 'tasks_projectId_slot_key', columns: ['projectId', 'slot'], unique: true, origin: 'table' as const }] } : t)),
    }
    const withSlot = createDataLayer(keyed, db)
    // Bob may not update Ada's t1; leaving out `slot` must not make the merge look like an insert.
    const error = refusal(() => withSlot.insert(actors.bob, 'tasks', [{ projectId: 'p1', title: 'Mine now', ownerId: 'bob' }], q('on_conflict=projectId,slot'), { returning: false, resolution: 'merge' }))
    expect(error.code).toBe('KL_API_POLICY_DENIED')
    expect(titles()[0]).toBe('Write spec')
    expect(db.prepare("SELECT ownerId FROM tasks WHERE id = 't1'").get()).toEqual({ ownerId: 'ada' })
  })
})
