import { sql, type RawBuilder } from 'kysely'
import { KoyaError } from '../../shared/errors.ts'
import { uuidv7 } from '../../shared/uuid.ts'
import type { PolicyRole } from './access.ts'
import { storedValue } from './column-values.ts'
import type { Actor, WriteOptions, WriteResult } from './data-layer.ts'
import { columnOf, type IndexedTable } from './model-index.ts'
import { printChangedRows, printJudgedInsert, printNewRows, proposeNewRow } from './proposed-rows.ts'
import type { DeleteQuery, InsertQuery, SelectItem, UpdateQuery } from './query.ts'
import type { SqlValue } from './read-plan.ts'
import type { DataContext, Reads } from './reads.ts'
import type { ReadObservers } from './read-observers.ts'
import { constraintError } from './sql-errors.ts'
import { admits, targetIds } from './write-targets.ts'
import type { RowObject, WriteEvent, WriteOperation } from './write-events.ts'

/** The answer to a request for one object (`Accept: application/vnd.pgrst.object+json`) that found `rows` rows. */
export function notOneRowError(rows: number): KoyaError {
  return new KoyaError('KL_API_NOT_ACCEPTABLE', `A single object was asked for, but the result has ${rows} rows.`)
}

/** Inside a write's transaction: refuse (and so roll back) a single-object write that touched other than one row. */
function checkSingle(options: WriteSettings, ids: readonly string[]): readonly string[] {
  if (options.single && ids.length !== 1) throw notOneRowError(ids.length)
  return ids
}

/** What writes read of the options (the row format is the caller's business). */
type WriteSettings = Pick<WriteOptions, 'single' | 'requestId'>

export interface Writes {
  insert(actor: Actor, query: InsertQuery, options: WriteSettings): WriteResult<string>
  update(actor: Actor, query: UpdateQuery, options: WriteSettings): WriteResult<string>
  delete(actor: Actor, query: DeleteQuery, options: WriteSettings): WriteResult<string>
}

/**
 * Writes: each runs in one transaction that finds its targets, judges the rows against the
 * policies before anything is written, writes, and hands its events to transaction subscribers
 * (who may write on the same connection, or throw to roll it all back). Commit subscribers
 * hear of it after the commit. Events cost nothing when no subscriber listens to the table.
 */
export function createWrites(ctx: DataContext, reads: Reads, observers: ReadObservers): Writes {
  const { index, access, runner, events, db } = ctx
  const run = runner.run

  /** The written rows with the caller's select, through the read policy. */
  /**
   * The rows a write answers (`returning`) are a read: read observers (the PHI audit) see them as
   * `create`/`update`/`delete` reads, in the read-back's own transaction.
   */
  const readBack = (actor: Actor, table: IndexedTable, select: readonly SelectItem[], ids: readonly string[], via: 'create' | 'update' | 'delete', requestId: string | undefined): string[] =>
    observers.active ? observers.observed(actor, via, table, select, requestId, () => reads.byIds(actor, table, select, ids), (rows) => rows) : reads.byIds(actor, table, select, ids)
  const returned = (actor: Actor, table: IndexedTable, select: readonly SelectItem[] | undefined, ids: readonly string[], verb: string, via: 'create' | 'update', requestId: string | undefined): WriteResult<string> => {
    if (select === undefined) return { rows: undefined, count: ids.length }
    const rows = readBack(actor, table, select, ids, via, requestId)
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
   * The first reference among `rows` that the actor cannot follow: for the system role, one that
   * names no row (the write failed on its foreign key); for anyone else, one that names no row
   * they may read. Missing and hidden parents read alike for a caller under policies, so naming
   * the column tells them nothing a read would not (decision 49).
   */
  const brokenReference = (actor: Actor, table: IndexedTable, rows: readonly Record<string, SqlValue | undefined>[]): { column: string; parent: string } | undefined => {
    for (const column of table.ir.columns) {
      const parent = column.references?.table
      if (parent === undefined) continue
      const wanted = [...new Set(rows.map((row) => row[column.name]).filter((value): value is string | number => value !== undefined && value !== null))]
      if (wanted.length === 0) continue
      let found: Set<unknown>
      try {
        const source = actor.kind === 'system' ? sql.id(parent) : access.source(actor, ['read'], parent, undefined)
        found = new Set(run(actor, sql`SELECT "id" FROM ${source} AS "t" WHERE "id" IN (${sql.join(wanted)})` as RawBuilder<{ id: unknown }>).map((r) => r.id))
      } catch (error) {
        if (error instanceof KoyaError) found = new Set() // no read policy: nothing of it is readable
        else throw error
      }
      if (wanted.some((value) => !found.has(value))) return { column: column.name, parent }
    }
    return undefined
  }
  /** A policy refusal, naming a reference the caller cannot follow when there is one. */
  const refusal = (actor: Actor, role: PolicyRole, table: IndexedTable, what: string, rows: readonly Record<string, SqlValue | undefined>[]): KoyaError => {
    const broken = brokenReference(actor, table, rows)
    return access.denied(role, table.name, broken === undefined ? what : `${what}: "${broken.column}" names no "${broken.parent}" row you can read`)
  }
  /**
   * Run a write; a foreign-key failure names the column. The system role is told the row does
   * not exist; anyone else, as in a refusal, that it names no row they can read (the message
   * adds nothing to what the failure itself tells: decision 49).
   */
  const naming = <T>(actor: Actor, table: IndexedTable, rows: readonly Record<string, SqlValue | undefined>[], write: () => T): T => {
    try {
      return write()
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_CONSTRAINT_FOREIGNKEY') throw error
      const broken = brokenReference(actor, table, rows)
      if (broken === undefined) throw error
      const { column, parent } = broken
      const message = actor.kind === 'system' ? `"${column}" of "${table.name}" refers to a row of "${parent}" that does not exist.` : `"${column}" of "${table.name}" names no "${parent}" row you can read.`
      throw new KoyaError('KL_API_CONSTRAINT', message, { hint: `Give "${column}" the id of an existing "${parent}" row.`, cause: error })
    }
  }

  /**
   * Run `work` in a transaction, with its events: `work` writes and returns the ids it wrote and
   * what their events need; events are built (old rows read before, new rows after) only when a
   * subscriber listens. A constraint failure becomes its API error (and rolls back).
   */
  // A transaction subscriber may itself write through the data layer: that write's events are
  // handed to commit subscribers only when the outermost write commits. (A transaction the caller
  // opened around the data layer, as auth's markVerified does, is not seen: its commit subscribers
  // hear when the data layer's own write completes.)
  let depth = 0
  let committing: WriteEvent[] = []
  const transaction = <T>(actor: Actor, options: WriteSettings, work: (emit: Emitter) => T): T => {
    const emitted: WriteEvent[] = []
    const emit: Emitter = {
      wants: (table, operation) => events.wants(table.name, operation, actor),
      push: (event) => emitted.push({ ...event, actor, requestId: options.requestId }),
    }
    let result: T
    depth++
    try {
      result = db.transaction(() => {
        const value = work(emit)
        if (emitted.length > 0) events.inTransaction(emitted, { db, statements: runner.statements })
        return value
      })()
    } catch (error) {
      if (depth === 1) committing = []
      throw constraintError(error) ?? error
    } finally {
      depth--
    }
    committing.push(...emitted)
    if (depth === 0 && committing.length > 0) {
      const done = committing
      committing = []
      events.afterCommit(done)
    }
    return result
  }

  /** Insert one row if the create policy admits it (a refusal writes nothing), with its event. */
  const insertJudged = (actor: Actor, table: IndexedTable, proposed: Record<string, SqlValue>, emit: Emitter): string[] => {
    const key = `insert\0${actor.kind === 'system' ? 'system' : 'caller'}\0${table.name}`
    const build = () => printJudgedInsert(table, actor.kind === 'system' ? undefined : access.policy(actor, 'create', table.name).predicate)
    const values = table.ir.columns.map((c) => proposed[c.name] ?? null)
    const ids = naming(actor, table, [proposed], () => runner.runCached(actor, key, build, values).map((r) => r.id))
    if (ids.length === 0) throw refusal(actor, 'create', table, 'refused the new row', [proposed])
    if (emit.wants(table, 'create')) emit.push({ table: table.name, operation: 'create', old: null, new: reads.storedRows(table, ids).get(ids[0]!) ?? null })
    return ids
  }

  return {
    insert(actor, query, options) {
      const table = index.table(query.table)
      if (actor.kind !== 'system') access.policy(actor, 'create', table.name)
      const conflict = query.onConflict?.columns ?? ['id']
      const resolution = query.onConflict?.resolution
      checkConflictTarget(table, conflict)
      if (query.returning !== undefined) reads.prepareOne(actor, table, query.returning)
      const now = ctx.clock().toISOString()
      const ids = transaction(actor, options, (emit) => {
        const planned = query.rows.map((row) => {
          const values = toStored(table, checkAuthManaged(actor, table, row), 'insert')
          const proposed = proposeNewRow(table, uuidv7(), values, now)
          // An upsert that meets an existing row acts on it: found with the defaults filled in,
          // as SQLite's ON CONFLICT will compare them.
          const existing = resolution === undefined ? undefined : conflictingId(actor, table, conflict, proposed)
          return { values, proposed, existing }
        })
        // The common create, one new row: judged and written by one statement compiled once.
        if (resolution === undefined && planned.length === 1) return checkSingle(options, insertJudged(actor, table, planned[0]!.proposed, emit))
        checkProposedInserts(actor, table, planned, conflict, resolution, now)
        const merged = resolution === 'merge' ? planned.flatMap((p) => (p.existing === undefined ? [] : [p.existing])) : []
        const before = merged.length > 0 && emit.wants(table, 'update') ? reads.storedRows(table, merged) : undefined
        const written = planned.flatMap(({ values, proposed, existing }) => {
          const columns = Object.keys(proposed)
          const upsert = resolution === undefined ? sql`` : printUpsert(table, conflict, Object.keys(values), resolution, now)
          const statement = sql`INSERT INTO ${sql.id(table.name)} (${sql.join(columns.map((c) => sql.id(c)))}) VALUES (${sql.join(columns.map((c) => proposed[c]!))})${upsert} RETURNING "id"`
          const ids = naming(actor, table, [proposed], () => run(actor, statement as RawBuilder<{ id: string }>).map((r) => r.id))
          // The row written is the one proposed, or the existing one the checks saw: any other
          // is a row this request wrote a moment ago, which no check judged.
          if (ids.some((id) => id !== proposed.id && id !== existing)) {
            throw new KoyaError('KL_API_CONFLICT', `Two rows of the request have the same ${conflict.join(', ')}.`, { hint: 'Send each row once.' })
          }
          return ids
        })
        checkSingle(options, written)
        if (emit.wants(table, 'create') || before !== undefined) {
          const after = reads.storedRows(table, written)
          for (const id of written) {
            const old = before?.get(id)
            if (merged.includes(id)) {
              if (old !== undefined) emit.push({ table: table.name, operation: 'update', old, new: after.get(id) ?? null })
            } else if (emit.wants(table, 'create')) emit.push({ table: table.name, operation: 'create', old: null, new: after.get(id) ?? null })
          }
        }
        return written
      })
      return returned(actor, table, query.returning, ids, 'written', 'create', options.requestId)
    },

    update(actor, query, options) {
      const table = index.table(query.table)
      const values = toStored(table, checkAuthManaged(actor, table, query.patch), 'update')
      if (Object.keys(values).length === 0) throw new KoyaError('KL_API_VALIDATION', 'The update sets no column.', { hint: `Send at least one column of "${table.name}".` })
      if (table.updatedAt) values[table.updatedAt.name] = ctx.clock().toISOString()
      if (query.returning !== undefined) reads.prepareOne(actor, table, query.returning)
      const ids = transaction(actor, options, (emit) => {
        const touched = checkSingle(options, targetIds(ctx, actor, 'update', table, query.target))
        if (touched.length === 0) return []
        const refused = failing(actor, 'updateCheck', table, printChangedRows(table, touched, values))
        if (refused.length > 0) throw refusal(actor, 'updateCheck', table, touched.length === 1 ? 'refused the changed row' : `refused ${refused.length} of the ${touched.length} changed rows`, [values])
        const before = emit.wants(table, 'update') ? reads.storedRows(table, touched) : undefined
        const assignments = Object.entries(values).map(([column, value]) => sql`${sql.id(column)} = ${value}`)
        const statement = sql`UPDATE ${sql.id(table.name)} SET ${sql.join(assignments)} WHERE "id" IN (${sql.join(touched)}) RETURNING "id"`
        const written = naming(actor, table, [values], () => run(actor, statement as RawBuilder<{ id: string }>).map((r) => r.id))
        if (before !== undefined) {
          const after = reads.storedRows(table, written)
          for (const id of written) emit.push({ table: table.name, operation: 'update', old: before.get(id) ?? null, new: after.get(id) ?? null })
        }
        return written
      })
      return returned(actor, table, query.returning, ids, 'updated', 'update', options.requestId)
    },

    delete(actor, query, options) {
      const table = index.table(query.table)
      if (query.returning !== undefined) reads.prepareOne(actor, table, query.returning)
      // The rows are read before they go; a shortfall is reported once the delete has committed.
      const result = transaction(actor, options, (emit) => {
        const touched = checkSingle(options, targetIds(ctx, actor, 'delete', table, query.target))
        const rows = query.returning !== undefined ? readBack(actor, table, query.returning, touched, 'delete', options.requestId) : undefined
        const before = touched.length > 0 && emit.wants(table, 'delete') ? reads.storedRows(table, touched) : undefined
        // The count is the touched rows, which exist: RETURNING would leave out one that ON DELETE
        // CASCADE removed first (a reply deleted along with its parent), though it is gone all the same.
        if (touched.length > 0) run(actor, sql`DELETE FROM ${sql.id(table.name)} WHERE "id" IN (${sql.join(touched)}) RETURNING "id"`)
        if (before !== undefined) for (const id of touched) emit.push({ table: table.name, operation: 'delete', old: before.get(id) ?? null, new: null })
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
    resolution: 'merge' | 'ignore' | undefined,
    now: string,
  ): void {
    if (actor.kind === 'system') return
    // An existing row the caller cannot read does not exist for them: the proposed row is judged
    // as a new one, and if the create rule admits it, it meets the unique key as a plain insert
    // would (409). It is never changed or described (the read rule of writes, issue 10).
    const readable = (id: string) => access.has('read', table.name) && admits(ctx, actor, ['read'], table, id)
    const hidden = new Set(planned.filter((p) => p.existing !== undefined && !readable(p.existing)))
    const created = planned.filter((p) => p.existing === undefined || hidden.has(p)).map((p) => p.proposed)
    if (created.length > 0) {
      const refused = failing(actor, 'create', table, printNewRows(table, created))
      if (refused.length > 0) throw refusal(actor, 'create', table, refused.length === 1 && created.length === 1 ? 'refused the new row' : `refused ${refused.length} of the ${created.length} new rows`, created)
    }
    if (resolution !== 'merge') return // ignore-duplicates leaves an existing row as it is
    const { updatedAt } = table
    for (const plan of planned) {
      const { values, existing } = plan
      if (existing === undefined) continue
      if (hidden.has(plan)) throw new KoyaError('KL_API_CONFLICT', `A row with the same ${conflict.join(', ')} already exists.`, { hint: 'Choose another value.' })
      if (!admits(ctx, actor, ['read', 'update'], table, existing)) throw access.denied('update', table.name, 'does not allow the upsert to change the existing row it conflicts with')
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

/** How a write reports its rows' events (only asked to when a subscriber listens). */
interface Emitter {
  wants(table: IndexedTable, operation: WriteOperation): boolean
  push(event: { table: string; operation: WriteOperation; old: RowObject | null; new: RowObject | null }): void
}

/**
 * A write that cannot be read back in full answers KL_API_RESULT_NOT_READABLE after it commits
 * (the caller learns it happened, and must not retry it).
 */
function notReadable(table: IndexedTable, written: number, verb: string): KoyaError {
  return new KoyaError('KL_API_RESULT_NOT_READABLE', `${written === 1 ? 'The row was' : `${written} rows were`} ${verb}, but the read policy of "${table.name}" does not let you read ${written === 1 ? 'it' : 'them all'} back.`)
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

function checkAuthManaged(actor: Actor, table: IndexedTable, values: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
  if (actor.kind === 'system' || !table.ir.isUsers) return values
  const managed = AUTH_MANAGED.find((name) => name in values)
  if (managed !== undefined) {
    throw new KoyaError('KL_API_VALIDATION', `"${managed}" of "${table.name}" is managed by /auth and cannot be written through the API.`, {
      hint: managed === 'email' ? 'Sign up with POST /auth/signup; only the service key changes an address here.' : 'Verify the address with the emailed link (POST /auth/verify-email).',
    })
  }
  return values
}

/** A body's values as SQLite stores them: booleans as 0/1, JSON as text, instants in UTC. Unknown or read-only columns are refused. */
function toStored(table: IndexedTable, values: Readonly<Record<string, unknown>>, operation: 'insert' | 'update'): Record<string, SqlValue> {
  const stored: Record<string, SqlValue> = {}
  for (const [name, value] of Object.entries(values)) {
    const column = columnOf(table, name, operation === 'insert' ? 'The new row' : 'The update')
    if (column.readOnly) throw new KoyaError('KL_API_VALIDATION', `"${name}" is set by the system and cannot be written.`, { hint: `Leave "${name}" out of the body.` })
    // A null clears the column (SQL NULL), for a json column too: not the JSON text 'null'.
    stored[name] = storedValue(column, value)
  }
  return stored
}
