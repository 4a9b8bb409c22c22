import { Kysely, SqliteDialect, sql, type RawBuilder } from 'kysely'
import type { ProjectIR } from '../../ir/project-ir.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import { uuidv7 } from '../../shared/uuid.ts'
import type { ParsedQuery } from '../rest/query-grammar.ts'
import { columnOf, indexModel, type IndexedTable, type ModelIndex } from './model-index.ts'
import { createAccess, fillSlots, ID_SLOT, slotPositions, type PolicyRole, type SlotPositions } from './access.ts'
import { planRead, planReadByIds, type ReadPlan, type SqlValue } from './read-plan.ts'
import { printChangedRows, printNewRows, proposeNewRow, storedValue } from './proposed-rows.ts'
import { printCountQuery, printIdsQuery, printRowsQuery, type SourceOf } from './read-sql.ts'
import { constraintError } from './sql-errors.ts'
import { createStatementCache, type StatementCache } from './statement-cache.ts'

/**
 * Who is asking. The system role (the service key, jobs acting as the system) bypasses access
 * rules; everyone else is subject to the policies (`auth.userId` is null for anonymous callers).
 */
export type Actor =
  | { readonly kind: 'system' }
  | { readonly kind: 'anonymous' }
  | {
      readonly kind: 'user'
      readonly userId: string
      readonly roles: readonly string[]
      /** The session the request came with (absent for actors made in code, e.g. jobs). */
      readonly sessionId?: string
      /** Set while an admin impersonates this user: the admin's user id (for the audit log). */
      readonly impersonatorId?: string
    }

export type Operation = 'read' | 'create' | 'update' | 'delete'

export interface ListResult {
  /** Each row as JSON text, in order. */
  readonly rows: readonly string[]
  /** With `count: true`: the number of rows the filters match, ignoring limit and offset. */
  readonly total: number | undefined
}

export interface WriteOptions {
  /** Read back the written rows (with the query's select): `Prefer: return=representation`. */
  readonly returning: boolean
  /**
   * `Accept: application/vnd.pgrst.object+json`: the write must touch exactly one row, or it is
   * rolled back with KL_API_NOT_ACCEPTABLE, as PostgREST does.
   */
  readonly single?: boolean
}

export interface InsertOptions extends WriteOptions {
  /** `Prefer: resolution=…`: on a conflict with `onConflict` columns, update or skip. */
  readonly resolution?: 'merge' | 'ignore'
}

export interface WriteResult {
  /** The written rows as JSON text (only with `returning`). */
  readonly rows: readonly string[] | undefined
  readonly count: number
}

/**
 * The data layer: every read and write of application tables, from every path (REST, GraphQL,
 * search, jobs, functions), goes through it. It is the one place where access is decided:
 * `sourceOf` gives each table's FROM item for the actor.
 *
 * @example
 * const data = createDataLayer(model, db)
 * const page = data.list({ kind: 'system' }, 'tasks', parseQuery(new URLSearchParams('status=eq.todo&limit=20')), { count: false })
 */
export interface DataLayer {
  readonly model: ModelIndex
  list(actor: Actor, table: string, query: ParsedQuery, options: { count: boolean }): ListResult
  get(actor: Actor, table: string, id: string, query: ParsedQuery): string | undefined
  insert(actor: Actor, table: string, rows: readonly Record<string, unknown>[], query: ParsedQuery, options: InsertOptions): WriteResult
  update(actor: Actor, table: string, target: Target, patch: Record<string, unknown>, query: ParsedQuery, options: WriteOptions): WriteResult
  delete(actor: Actor, table: string, target: Target, query: ParsedQuery, options: WriteOptions): WriteResult
}

/** The answer to a request for one object (`Accept: application/vnd.pgrst.object+json`) that found `rows` rows. */
export function notOneRowError(rows: number): KoyaError {
  return new KoyaError('KL_API_NOT_ACCEPTABLE', `A single object was asked for, but the result has ${rows} rows.`)
}

/** Inside a write's transaction: refuse (and so roll back) a single-object write that touched other than one row. */
function checkSingle(options: WriteOptions, ids: readonly string[]): readonly string[] {
  if (options.single && ids.length !== 1) throw notOneRowError(ids.length)
  return ids
}

const MAX_CACHED_READS = 256

/** Which rows a write touches: one by id, or those the query's filters match. */
export type Target = { readonly id: string } | { readonly filtered: true }

export function createDataLayer(model: ProjectIR, db: SqliteDatabase): DataLayer {
  const index = indexModel(model)
  const access = createAccess(model)
  // Kysely builds and compiles the SQL; statements run through a cache of prepared ones. The
  // caller's facts (user id, roles) are slots in the compiled parameters, filled per request.
  const kysely = new Kysely<Record<string, never>>({ dialect: new SqliteDialect({ database: db }) })
  const statements = createStatementCache(db)
  const run = <R>(actor: Actor, query: RawBuilder<R>): R[] => {
    const compiled = query.compile(kysely)
    return statements.all(compiled.sql, fillSlots(compiled.parameters, slotPositions(compiled.parameters), actor, undefined)) as R[]
  }
  // Reads are compiled once per shape (actor, table, parsed query): building and compiling the
  // SQL costs more than running it. A get's id and the caller's id and roles go into parameter
  // slots per request, so the key holds only what changes the SQL text: the actor's kind (the
  // system role reads tables bare; anonymous and signed-in callers differ in the errors a
  // missing policy gives, which are thrown while building and so never cached).
  type CompiledRead = { sql: string; parameters: readonly unknown[]; slots: SlotPositions }
  const reads = new Map<string, CompiledRead>()
  const actorKey = (actor: Actor) => actor.kind
  const compileCached = (key: string, build: () => RawBuilder<unknown>): CompiledRead => {
    let compiled = reads.get(key)
    if (compiled) reads.delete(key)
    else {
      const { sql: text, parameters } = build().compile(kysely)
      compiled = { sql: text, parameters, slots: slotPositions(parameters) }
      if (reads.size >= MAX_CACHED_READS) reads.delete(reads.keys().next().value!)
    }
    reads.set(key, compiled)
    return compiled
  }
  const runCached = <R>(actor: Actor, key: string, build: () => RawBuilder<R>, id?: string): R[] => {
    const compiled = compileCached(key, build)
    return statements.all(compiled.sql, fillSlots(compiled.parameters, compiled.slots, actor, id)) as R[]
  }
  /** One row by id with the query's select: what `get` answers, and a one-row write reads back. */
  const readOne = (actor: Actor, table: IndexedTable, query: ParsedQuery) => ({
    key: `get\0${actorKey(actor)}\0${table.name}\0${JSON.stringify(query)}`,
    build: () => printRowsQuery(planReadByIds(index, table, query, [ID_SLOT]), sourceOf(actor, 'read')),
  })

  /** The single access decision point: each table's FROM item for the actor and operation. */
  const sourceOf =
    (actor: Actor, operation: Operation): SourceOf =>
    (table, filter) =>
      access.source(actor, operation, table, filter)

  const readRows = (actor: Actor, plan: ReadPlan) => run(actor, printRowsQuery(plan, sourceOf(actor, 'read'))).map((r) => r.row)
  /**
   * The written rows with the caller's select, through the read policy. A write that cannot be
   * read back in full answers KL_API_RESULT_NOT_READABLE after it commits (the caller learns it
   * happened, and must not retry it).
   */
  const readBack = (actor: Actor, table: IndexedTable, query: ParsedQuery, ids: readonly string[]): string[] => {
    if (ids.length === 0) return []
    if (ids.length === 1) {
      const { key, build } = readOne(actor, table, query)
      return runCached(actor, key, build, ids[0]).map((r) => r.row)
    }
    return readRows(actor, planReadByIds(index, table, query, ids))
  }
  const notReadable = (table: IndexedTable, written: number, verb: string) =>
    new KoyaError('KL_API_RESULT_NOT_READABLE', `${written === 1 ? 'The row was' : `${written} rows were`} ${verb}, but the read policy of "${table.name}" does not let you read ${written === 1 ? 'it' : 'them all'} back.`)
  const returned = (actor: Actor, table: IndexedTable, query: ParsedQuery, options: WriteOptions, ids: readonly string[], verb: string): WriteResult => {
    if (!options.returning) return { rows: undefined, count: ids.length }
    const rows = readBack(actor, table, query, ids)
    if (rows.length !== ids.length) throw notReadable(table, ids.length, verb)
    return { rows, count: ids.length }
  }

  /** Ids of the proposed rows (proposed-rows.ts) that fail the policy, judged before the write. */
  const failing = (actor: Actor, role: PolicyRole, table: IndexedTable, proposed: RawBuilder<unknown>): string[] => {
    if (actor.kind === 'system') return []
    const { predicate } = access.policy(actor, role, table.name)
    const statement = sql`SELECT "row"."id" AS "id" FROM ${proposed} AS "row" WHERE NOT COALESCE(${predicate}, 0)`
    return run(actor, statement as RawBuilder<{ id: string }>).map((r) => r.id)
  }
  /**
   * Plan and compile the read-back of a write before the write: an unknown column in `select`, or
   * a table the caller may not read, refuses the request while nothing is written yet. The
   * compiled statement is cached, so a one-row write reads back without planning again.
   */
  const prepareReadBack = (actor: Actor, table: IndexedTable, query: ParsedQuery): void => {
    const { key, build } = readOne(actor, table, query)
    compileCached(key, build)
  }
  /**
   * Whether the row `id` exists and passes every listed policy (the system role passes
   * everything). @throws as `access.source` when the table lacks one of them.
   */
  const admits = (actor: Actor, roles: readonly PolicyRole[], table: IndexedTable, id: string): boolean => {
    const statement = sql`SELECT "id" FROM ${access.source(actor, roles, table.name, undefined)} AS "t" WHERE "id" = ${id}`
    return run(actor, statement as RawBuilder<{ id: string }>).length > 0
  }

  /**
   * The existing rows a write touches, found inside its transaction: rows the caller may read
   * and that pass the operation's policy, the caller's filters evaluated on those alone. A row
   * the caller cannot read is a missing row (404 by id, not counted by filter), whatever the
   * operation's own rule says, so no answer (count, 406, "refused N of M") tells about it.
   */
  const targetIds = (actor: Actor, operation: 'update' | 'delete', table: IndexedTable, target: Target, query: ParsedQuery): string[] => {
    if ('id' in target) {
      if (actor.kind === 'system') return admits(actor, [], table, target.id) ? [target.id] : []
      access.policy(actor, operation, table.name) // no rule for the operation: 401/403 before anything else
      if (!access.has('read', table.name) || !admits(actor, ['read'], table, target.id)) return []
      if (admits(actor, ['read', operation], table, target.id)) return [target.id]
      throw access.denied(operation, table.name, `does not allow you to ${operation} that row`)
    }
    if (query.filters.length === 0) {
      throw new KoyaError('KL_API_FILTER_REQUIRED', `${operation === 'update' ? 'PATCH' : 'DELETE'} /api/${table.name} needs a filter.`)
    }
    if (actor.kind !== 'system') access.policy(actor, operation, table.name)
    const plan = planRead(index, table, { ...query, select: [{ kind: 'all' }] })
    return run(actor, printIdsQuery(plan, (name, filter) => access.source(actor, name === table.name ? ['read', operation] : ['read'], name, filter))).map((r) => r.id)
  }

  return {
    model: index,

    list(actor, tableName, query, options) {
      const table = index.table(tableName)
      const key = `${actorKey(actor)}\0${table.name}\0${JSON.stringify(query)}`
      let plan: ReadPlan | undefined
      const planned = () => (plan ??= planRead(index, table, query))
      const rows = runCached(actor, `rows\0${key}`, () => printRowsQuery(planned(), sourceOf(actor, 'read'))).map((r) => r.row)
      const total = options.count ? runCached(actor, `count\0${key}`, () => printCountQuery(planned(), sourceOf(actor, 'read')))[0]!.count : undefined
      return { rows, total }
    },

    get(actor, tableName, id, query) {
      const { key, build } = readOne(actor, index.table(tableName), query)
      return runCached(actor, key, build, id)[0]?.row
    },

    insert(actor, tableName, rows, query, options) {
      const table = index.table(tableName)
      if (actor.kind !== 'system') access.policy(actor, 'create', table.name)
      const conflict = query.onConflict ?? ['id']
      checkConflictTarget(table, conflict)
      if (options.returning) prepareReadBack(actor, table, query)
      const now = new Date().toISOString()
      const ids = writeTransaction(db, () => {
        const planned = rows.map((row) => {
          const values = toStored(table, checkAuthManaged(actor, table, row), 'insert')
          const proposed = proposeNewRow(table, uuidv7(), values, now)
          // An upsert that meets an existing row acts on it: found with the defaults filled in,
          // as SQLite's ON CONFLICT will compare them.
          const existing = options.resolution === undefined ? undefined : conflictingId(actor, table, conflict, proposed)
          return { values, proposed, existing }
        })
        checkProposedInserts(actor, table, planned, conflict, options.resolution, now)
        const written = planned.flatMap(({ values, proposed, existing }) => {
          const columns = Object.keys(proposed)
          const upsert = options.resolution === undefined ? sql`` : printUpsert(table, conflict, Object.keys(values), options.resolution, now)
          const statement = sql`INSERT INTO ${sql.id(table.name)} (${sql.join(columns.map((c) => sql.id(c)))}) VALUES (${sql.join(columns.map((c) => proposed[c]!))})${upsert} RETURNING "id"`
          const ids = run(actor, statement as RawBuilder<{ id: string }>).map((r) => r.id)
          // The row written is the one proposed, or the existing one the checks saw: any other
          // is a row this request wrote a moment ago, which no check judged.
          if (ids.some((id) => id !== proposed.id && id !== existing)) {
            throw new KoyaError('KL_API_CONFLICT', `Two rows of the request have the same ${conflict.join(', ')}.`, { hint: 'Send each row once.' })
          }
          return ids
        })
        return checkSingle(options, written)
      })
      return returned(actor, table, query, options, ids, 'written')
    },

    update(actor, tableName, target, patch, query, options) {
      const table = index.table(tableName)
      const values = toStored(table, checkAuthManaged(actor, table, patch), 'update')
      if (Object.keys(values).length === 0) throw new KoyaError('KL_API_VALIDATION', 'The update sets no column.', { hint: `Send at least one column of "${table.name}".` })
      if (table.updatedAt) values[table.updatedAt.name] = new Date().toISOString()
      if (options.returning) prepareReadBack(actor, table, query)
      const ids = writeTransaction(db, () => {
        const touched = checkSingle(options, targetIds(actor, 'update', table, target, query))
        if (touched.length === 0) return []
        const refused = failing(actor, 'updateCheck', table, printChangedRows(table, touched, values))
        if (refused.length > 0) throw access.denied('updateCheck', table.name, touched.length === 1 ? 'refused the changed row' : `refused ${refused.length} of the ${touched.length} changed rows`)
        const assignments = Object.entries(values).map(([column, value]) => sql`${sql.id(column)} = ${value}`)
        const statement = sql`UPDATE ${sql.id(table.name)} SET ${sql.join(assignments)} WHERE "id" IN (${sql.join(touched)}) RETURNING "id"`
        return run(actor, statement as RawBuilder<{ id: string }>).map((r) => r.id)
      })
      return returned(actor, table, query, options, ids, 'updated')
    },

    delete(actor, tableName, target, query, options) {
      const table = index.table(tableName)
      if (options.returning) prepareReadBack(actor, table, query)
      // The rows are read before they go; a shortfall is reported once the delete has committed.
      const result = writeTransaction(db, () => {
        const touched = checkSingle(options, targetIds(actor, 'delete', table, target, query))
        const rows = options.returning ? readBack(actor, table, query, touched) : undefined
        // The count is the touched rows, which exist: RETURNING would leave out one that ON DELETE
        // CASCADE removed first (a reply deleted along with its parent), though it is gone all the same.
        if (touched.length > 0) run(actor, sql`DELETE FROM ${sql.id(table.name)} WHERE "id" IN (${sql.join(touched)}) RETURNING "id"`)
        return { rows, count: touched.length }
      })
      if (result.rows !== undefined && result.rows.length !== result.count) throw notReadable(table, result.count, 'deleted')
      return result
    },
  }

  /**
   * Judge an insert's proposed rows before anything is written: new rows by `create`; rows an
   * upsert merges onto by `update.using` (the stored row) and `update.check` (the row merged).
   * A refusal throws, and the transaction writes nothing.
   */
  function checkProposedInserts(
    actor: Actor,
    table: IndexedTable,
    planned: readonly { values: Record<string, SqlValue>; proposed: Record<string, SqlValue>; existing: string | undefined }[],
    conflict: readonly string[],
    resolution: InsertOptions['resolution'],
    now: string,
  ): void {
    if (actor.kind === 'system') return
    const created = planned.filter((p) => p.existing === undefined).map((p) => p.proposed)
    if (created.length > 0) {
      const refused = failing(actor, 'create', table, printNewRows(table, created))
      if (refused.length > 0) throw access.denied('create', table.name, refused.length === 1 && created.length === 1 ? 'refused the new row' : `refused ${refused.length} of the ${created.length} new rows`)
    }
    if (resolution !== 'merge') return // ignore-duplicates leaves an existing row as it is
    const { updatedAt } = table
    for (const { values, existing } of planned) {
      if (existing === undefined) continue
      if (!admits(actor, ['update'], table, existing)) throw access.denied('update', table.name, 'does not allow the upsert to change the existing row it conflicts with')
      const merged = Object.fromEntries(Object.entries(values).filter(([column]) => !conflict.includes(column)))
      if (updatedAt) merged[updatedAt.name] = now
      if (failing(actor, 'updateCheck', table, printChangedRows(table, [existing], merged)).length > 0) {
        throw access.denied('updateCheck', table.name, 'refused the row as the upsert would change it')
      }
    }
  }

  /** The id of the existing row an upsert's values conflict with, if any (a null never conflicts). */
  function conflictingId(actor: Actor, table: IndexedTable, conflict: readonly string[], values: Record<string, SqlValue>): string | undefined {
    const keys = conflict.map((column) => values[column])
    if (keys.some((value) => value === undefined || value === null)) return undefined
    const where = sql.join(conflict.map((column, i) => sql`${sql.id(column)} = ${keys[i]!}`), sql` AND `)
    return run(actor, sql`SELECT "id" FROM ${sql.id(table.name)} WHERE ${where}` as RawBuilder<{ id: string }>)[0]?.id
  }
}

/** `ON CONFLICT (…) DO UPDATE SET c = excluded.c, …` or `DO NOTHING`. */
function printUpsert(table: IndexedTable, conflict: readonly string[], columns: readonly string[], resolution: 'merge' | 'ignore', now: string): RawBuilder<unknown> {
  const target = sql`(${sql.join(conflict.map((c) => sql.id(c)))})`
  const updated = columns.filter((c) => !conflict.includes(c))
  const { updatedAt } = table
  if (resolution === 'ignore' || (updated.length === 0 && !updatedAt)) return sql` ON CONFLICT ${target} DO NOTHING`
  const sets = updated.map((c) => sql`${sql.id(c)} = excluded.${sql.id(c)}`)
  if (updatedAt) sets.push(sql`${sql.id(updatedAt.name)} = ${now}`)
  return sql` ON CONFLICT ${target} DO UPDATE SET ${sql.join(sets)}`
}

/**
 * `on_conflict` must name the primary key or the columns of a unique index, as SQLite's ON
 * CONFLICT requires (else the statement itself fails).
 */
function checkConflictTarget(table: IndexedTable, conflict: readonly string[]): void {
  for (const column of conflict) columnOf(table, column, 'on_conflict')
  const same = (columns: readonly string[]) => columns.length === conflict.length && columns.every((c) => conflict.includes(c))
  const keys = [['id'], ...table.ir.columns.filter((c) => c.unique).map((c) => [c.name]), ...table.ir.indexes.filter((i) => i.unique).map((i) => i.columns)]
  if (keys.some(same)) return
  const unique = [...new Set(keys.map((columns) => columns.join(',')))]
  throw new KoyaError('KL_API_VALIDATION', `on_conflict=${conflict.join(',')} is not a unique key of "${table.name}".`, {
    hint: `Unique keys of "${table.name}": ${unique.map((u) => `on_conflict=${u}`).join(', ')}.`,
  })
}

/**
 * The users table's address and its verified flag belong to /auth: a caller who could write them
 * could claim someone else's address, and OAuth links accounts by verified address. Only the
 * system role writes them through the API.
 */
const AUTH_MANAGED = ['email', 'emailVerified'] as const

function checkAuthManaged(actor: Actor, table: IndexedTable, values: Record<string, unknown>): Record<string, unknown> {
  if (actor.kind === 'system' || !table.ir.isUsers) return values
  const managed = AUTH_MANAGED.find((name) => name in values)
  if (managed !== undefined) {
    throw new KoyaError('KL_API_VALIDATION', `"${managed}" of "${table.name}" is managed by /auth and cannot be written through the API.`, {
      hint: managed === 'email' ? 'Sign up with POST /auth/signup; only the service key changes an address here.' : 'Verify the address with the emailed link (POST /auth/verify-email).',
    })
  }
  return values
}

/** A body's values as SQLite stores them: booleans as 0/1, JSON as text. Unknown or read-only columns are refused. */
function toStored(table: IndexedTable, values: Record<string, unknown>, operation: 'insert' | 'update'): Record<string, SqlValue> {
  const stored: Record<string, SqlValue> = {}
  for (const [name, value] of Object.entries(values)) {
    const column = columnOf(table, name, operation === 'insert' ? 'The new row' : 'The update')
    if (column.readOnly) throw new KoyaError('KL_API_VALIDATION', `"${name}" is set by the system and cannot be written.`, { hint: `Leave "${name}" out of the body.` })
    // A null clears the column (SQL NULL), for a json column too: not the JSON text 'null'.
    stored[name] = value === null || value === undefined ? null : storedValue(column, value)
  }
  return stored
}

/** Run in a transaction; a constraint failure becomes its API error (and rolls back). */
function writeTransaction<T>(db: SqliteDatabase, work: () => T): T {
  try {
    return db.transaction(work)()
  } catch (error) {
    throw constraintError(error) ?? error
  }
}

export type { StatementCache }
