import { expect } from 'vitest'
import { Kysely, SqliteDialect, sql } from 'kysely'
import type { PolicyExprIR, ProjectIR, TableIR } from '../../engine/ir/project-ir.ts'
import { createAccess, fillSlots, slotPositions, type PolicyRole } from '../../engine/runtime/data/access.ts'
import type { Actor } from '../../engine/runtime/data/data-layer.ts'
import { urlDataLayer as createDataLayer, type UrlDataLayer as DataLayer } from './url-data-layer.ts'
import { parseQuery } from '../../engine/runtime/rest/query-grammar.ts'
import { KoyaError } from '../../engine/shared/errors.ts'
import type { SqliteDatabase } from '../../engine/shared/sqlite.ts'
import { PolicyEvaluator, type EvalCaller, type Row, type Rows } from './policy-evaluator.ts'
import type { Random } from './policy-random.ts'
import { randomNewRow, randomPatch, storedRows } from './policy-rows.ts'

/**
 * The differential check of every operation: for each table and each caller, what the data layer
 * does (list, count, get, a filtered list; update and delete by id and by filter; insert; and
 * every compiled predicate run as SQL) against what the reference evaluator says the intended
 * PolicyIR admits on the same rows.
 *
 * Writes run inside a transaction that is rolled back, so every caller meets the same rows. The
 * rows a write produced (the stored row after an insert or update, with its generated id and
 * timestamps) are captured by temporary triggers calling a JS function, which keeps them even
 * when the write is refused and rolled back: the evaluator judges the row the database held.
 */

export const ROLES: readonly PolicyRole[] = ['read', 'create', 'update', 'updateCheck', 'delete']

/** Which PolicyExprIR the evaluator holds the runtime to; null: the table has no such rule. */
export type Intended = (table: string, role: PolicyRole) => PolicyExprIR | null

export interface TestCaller {
  readonly actor: Actor
  readonly caller: EvalCaller
}

export function anonymousCaller(): TestCaller {
  return { actor: { kind: 'anonymous' }, caller: { userId: null, roles: [] } }
}

export function userCaller(userId: string, roles: readonly string[]): TestCaller {
  return { actor: { kind: 'user', userId, roles }, caller: { userId, roles } }
}

/** The expressions a model's policies were compiled to. */
export function modelPolicies(model: ProjectIR): Intended {
  return (table, role) => {
    const policies = model.policies.find((p) => p.table === table)
    if (!policies) return null
    switch (role) {
      case 'read':
        return policies.read?.expr ?? null
      case 'create':
        return policies.create?.expr ?? null
      case 'update':
        return policies.update?.using.expr ?? null
      case 'updateCheck':
        return policies.update?.check.expr ?? null
      case 'delete':
        return policies.delete?.expr ?? null
    }
  }
}

export interface World {
  readonly model: ProjectIR
  readonly db: SqliteDatabase
  readonly intended: Intended
  readonly callers: readonly TestCaller[]
  /** Draws the patches, new rows and sampled ids. */
  readonly random: Random
  /** Printed with every failure: the seed and the policies. */
  readonly context: string
}

const q = (text: string) => parseQuery(new URLSearchParams(text))
const idsOf = (rows: readonly string[]) => rows.map((r) => (JSON.parse(r) as { id: string }).id).sort()

/** What a call came to, as one comparable line: `count 2`, `KL_API_POLICY_DENIED`, `… (check)`. */
function outcome(run: () => { count: number }): string {
  try {
    return `count ${run().count}`
  } catch (error) {
    if (!(error instanceof KoyaError)) throw error
    return error.message.includes('update check') ? `${error.code} (check)` : error.code
  }
}

function noPolicy(actor: Actor): string {
  return actor.kind === 'anonymous' ? 'KL_API_UNAUTHORIZED' : 'KL_API_POLICY_DENIED'
}

function rolledBack<T>(db: SqliteDatabase, work: () => T): T {
  db.exec('BEGIN')
  try {
    return work()
  } finally {
    db.exec('ROLLBACK')
  }
}

interface Captured {
  readonly event: 'insert' | 'update'
  readonly table: string
  readonly row: Row
}

/** Temporary triggers that hand every inserted or updated row to JS (kept across a rollback). */
function captureWrites(db: SqliteDatabase, tables: readonly TableIR[]): { take(): Captured[] } {
  let captured: Captured[] = []
  db.function('koya_test_capture', (event: unknown, table: unknown, json: unknown) => {
    captured.push({ event: event as Captured['event'], table: String(table), row: JSON.parse(String(json)) as Row })
    return null
  })
  for (const table of tables) {
    const row = `json_object(${table.columns.map((c) => `'${c.name}', NEW."${c.name}"`).join(', ')})`
    for (const event of ['insert', 'update'] as const) {
      db.exec(`CREATE TEMP TRIGGER IF NOT EXISTS "koya_test_${event}_${table.name}" AFTER ${event.toUpperCase()} ON main."${table.name}" BEGIN SELECT koya_test_capture('${event}', '${table.name}', ${row}); END`)
    }
  }
  return {
    take() {
      const taken = captured
      captured = []
      return taken
    },
  }
}

/**
 * The rows a delete of `ids` removes, following ON DELETE CASCADE, and whether a row that stays
 * still references one that goes (the delete then fails on the foreign key).
 */
export function cascade(tables: readonly TableIR[], rows: Rows, table: string, ids: readonly string[]): { deleted: ReadonlyMap<string, ReadonlySet<string>>; blocked: boolean } {
  const deleted = new Map<string, Set<string>>(tables.map((t) => [t.name, new Set()]))
  const blockers: [string, string][] = []
  const queue: [string, string][] = ids.map((id) => [table, id])
  for (const [t, id] of queue) deleted.get(t)!.add(id)
  while (queue.length > 0) {
    const [t, id] = queue.shift()!
    for (const child of tables) {
      for (const column of child.columns) {
        if (column.references?.table !== t) continue
        for (const row of rows[child.name] ?? []) {
          if (row[column.name] !== id) continue
          const childId = String(row.id)
          if (column.references.onDelete === 'cascade') {
            if (!deleted.get(child.name)!.has(childId)) {
              deleted.get(child.name)!.add(childId)
              queue.push([child.name, childId])
            }
          } else if (column.references.onDelete !== 'set null') {
            blockers.push([child.name, childId])
          }
        }
      }
    }
  }
  return { deleted, blocked: blockers.some(([t, id]) => !deleted.get(t)!.has(id)) }
}

const SYSTEM: Actor = { kind: 'system' }

/** Checks every table × caller × operation; fails (expect) with the context on the first difference. */
export function checkEveryOperation(world: World): void {
  const { model, db, intended, random } = world
  const capture = captureWrites(db, model.tables)
  const data = createDataLayer(model, db)
  const access = createAccess(model)
  const kysely = new Kysely<Record<string, never>>({ dialect: new SqliteDialect({ database: db }) })
  const rows = storedRows(db, model.tables)
  const evaluator = new PolicyEvaluator(model.tables, rows)

  /** The ids of `table` a compiled predicate admits, run as the data layer binds it. */
  const sqlAdmits = (actor: Actor, role: PolicyRole, table: string): string[] => {
    const { predicate } = access.policy(actor, role, table)
    const compiled = sql`SELECT "row"."id" AS "id" FROM ${sql.id(table)} AS "row" WHERE ${predicate}`.compile(kysely)
    const found = db.prepare(compiled.sql).all(...(fillSlots(compiled.parameters, slotPositions(compiled.parameters), actor, undefined) as never[])) as { id: string }[]
    return found.map((r) => r.id).sort()
  }

  for (const table of model.tables) {
    const all = rows[table.name] ?? []
    const sample = sampleOf(random, all, 2)
    const patch = randomPatch(random, table, rows)
    const newRow = randomNewRow(random, table, rows)
    const policy = (role: PolicyRole) => intended(table.name, role)
    for (const { actor, caller } of world.callers) {
      const at = (what: string) => `${what} on ${table.name} as ${JSON.stringify(caller)}\n${world.context}`
      const passes = (expr: PolicyExprIR, row: Row, on: PolicyEvaluator = evaluator) => on.passes(expr, table.name, row, caller)
      const read = policy('read')
      const readable = (row: Row) => read !== null && passes(read, row)

      // Every compiled predicate, run as SQL over the table's rows.
      for (const role of ROLES) {
        const expr = policy(role)
        expect(access.has(role, table.name), at(`has ${role}`)).toBe(expr !== null)
        if (expr !== null) expect(sqlAdmits(actor, role, table.name), at(`SQL of ${role}`)).toEqual(evaluator.admitted(expr, table.name, caller))
      }

      checkReads(data, actor, table.name, read === null ? null : evaluator.admitted(read, table.name, caller), all, sample, at)

      // A write targets only rows the caller may read and that pass the operation's rule
      // (issue 10): a hidden row answers as a missing one, whatever the operation's rule says.
      const targets = (expr: PolicyExprIR) => evaluator.admitted(expr, table.name, caller).filter((id) => readable(all.find((r) => String(r.id) === id)!))
      // Update by id: the using rule picks the row (a hidden row answers as a missing one), the
      // check judges the changed row against the world as it was before the write (as
      // PostgreSQL's WITH CHECK does: the write does not vouch for itself). The changed row is
      // what the same write stores for the system role, which no rule stops.
      const using = policy('update')
      const check = policy('updateCheck')
      const asSystem = (write: () => unknown, event: Captured['event']): Captured[] => {
        rolledBack(db, write)
        return capture.take().filter((c) => c.event === event && c.table === table.name)
      }
      if (patch) {
        for (const row of sample) {
          const got = rolledBack(db, () => outcome(() => data.update(actor, table.name, { id: String(row.id) }, patch, q(''), { returning: false })))
          const written = capture.take().filter((c) => c.event === 'update' && c.table === table.name)
          const what = at(`PATCH ${String(row.id)} ${JSON.stringify(patch)}`)
          if (using === null || !readable(row) || !passes(using, row)) {
            expect(written, what).toEqual([])
            expect(got, what).toBe(using === null ? noPolicy(actor) : readable(row) ? 'KL_API_POLICY_DENIED' : 'count 0')
          } else {
            const [proposed] = asSystem(() => data.update(SYSTEM, table.name, { id: String(row.id) }, patch, q(''), { returning: false }), 'update')
            const allowed = passes(check!, proposed!.row)
            expect(written.map((c) => c.row.id), what).toEqual(allowed ? [row.id] : [])
            expect(got, what).toBe(allowed ? 'count 1' : 'KL_API_POLICY_DENIED (check)')
          }
        }
        // Update by filter: exactly the rows the using rule admits, all or none by the check.
        const got = rolledBack(db, () => outcome(() => data.update(actor, table.name, { filtered: true }, patch, q('id=not.is.null'), { returning: false })))
        const written = capture.take().filter((c) => c.event === 'update' && c.table === table.name)
        const what = at(`PATCH by filter ${JSON.stringify(patch)}`)
        if (using === null || read === null) {
          expect(got, what).toBe(noPolicy(actor))
        } else {
          const admitted = targets(using)
          const proposed = admitted.length === 0 ? [] : asSystem(() => data.update(SYSTEM, table.name, { filtered: true }, patch, q(`id=in.(${admitted.join(',')})`), { returning: false }), 'update')
          const refused = proposed.filter((c) => !passes(check!, c.row))
          expect(written.map((c) => String(c.row.id)).sort(), what).toEqual(refused.length > 0 ? [] : admitted)
          expect(got, what).toBe(refused.length > 0 ? 'KL_API_POLICY_DENIED (check)' : `count ${admitted.length}`)
        }
      }

      // Delete by id and by filter.
      const remove = policy('delete')
      for (const row of sample) {
        const got = rolledBack(db, () => outcome(() => data.delete(actor, table.name, { id: String(row.id) }, q(''), { returning: false })))
        const what = at(`DELETE ${String(row.id)}`)
        if (remove === null) expect(got, what).toBe(noPolicy(actor))
        else if (!readable(row)) expect(got, what).toBe('count 0')
        else if (passes(remove, row)) expect(got, what).toBe(cascade(model.tables, rows, table.name, [String(row.id)]).blocked ? 'KL_API_CONSTRAINT' : 'count 1')
        else expect(got, what).toBe(readable(row) ? 'KL_API_POLICY_DENIED' : 'count 0')
      }
      {
        const { got, left } = rolledBack(db, () => {
          const got = outcome(() => data.delete(actor, table.name, { filtered: true }, q('id=not.is.null'), { returning: false }))
          return { got, left: (db.prepare(`SELECT "id" FROM "${table.name}" ORDER BY "id"`).all() as { id: string }[]).map((r) => r.id) }
        })
        const what = at('DELETE by filter')
        const allIds = all.map((r) => String(r.id)).sort()
        if (remove === null || read === null) {
          expect(got, what).toBe(noPolicy(actor))
        } else {
          const admitted = targets(remove)
          const { deleted, blocked } = cascade(model.tables, rows, table.name, admitted)
          expect(got, what).toBe(blocked ? 'KL_API_CONSTRAINT' : `count ${admitted.length}`)
          expect(left, what).toEqual(blocked ? allIds : allIds.filter((id) => !deleted.get(table.name)!.has(id)))
        }
      }

      // Insert: the create rule judges the row as it would be stored (id, defaults, timestamps
      // filled), against the world before the write.
      if (newRow) {
        const got = rolledBack(db, () => outcome(() => data.insert(actor, table.name, [newRow], q(''), { returning: false })))
        const written = capture.take().filter((c) => c.event === 'insert' && c.table === table.name)
        const what = at(`POST ${JSON.stringify(newRow)}`)
        const create = policy('create')
        if (create === null || table.isUsers) {
          // Users are created by /auth: a caller's row names an address, which only /auth writes.
          expect(written, what).toEqual([])
          expect(got, what).toBe(create === null ? noPolicy(actor) : 'KL_API_VALIDATION')
        } else {
          const [proposed] = asSystem(() => data.insert(SYSTEM, table.name, [newRow], q(''), { returning: false }), 'insert')
          const allowed = passes(create, proposed!.row)
          expect(written, what).toHaveLength(allowed ? 1 : 0)
          expect(got, what).toBe(allowed ? 'count 1' : 'KL_API_POLICY_DENIED')
        }
      }
    }
  }
}

/** list (with count), a filtered list (the CASE-guarded path) and get by id. */
function checkReads(data: DataLayer, actor: Actor, table: string, admitted: readonly string[] | null, all: readonly Row[], sample: readonly Row[], at: (what: string) => string): void {
  if (admitted === null) {
    expect(outcome(() => ({ count: data.list(actor, table, q('select=id'), { count: true }).rows.length })), at('GET')).toBe(noPolicy(actor))
    return
  }
  const page = data.list(actor, table, q('select=id'), { count: true })
  expect(idsOf(page.rows), at('GET')).toEqual(admitted)
  expect(page.total, at('GET count')).toBe(admitted.length)
  const first = all[0]
  if (first !== undefined) {
    const filtered = data.list(actor, table, q(`select=id&id=neq.${String(first.id)}`), { count: false })
    expect(idsOf(filtered.rows), at('GET filtered')).toEqual(admitted.filter((id) => id !== first.id))
  }
  for (const row of sample) {
    expect(data.get(actor, table, String(row.id), q('select=id')) !== undefined, at(`GET ${String(row.id)}`)).toBe(admitted.includes(String(row.id)))
  }
}

/** Up to `n` distinct rows, drawn at random. */
function sampleOf(random: Random, rows: readonly Row[], n: number): Row[] {
  const left = [...rows]
  const picked: Row[] = []
  while (picked.length < n && left.length > 0) picked.push(left.splice(random.int(left.length), 1)[0]!)
  return picked
}
