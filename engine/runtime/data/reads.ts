import type { SqliteDatabase } from '../../shared/sqlite.ts'
import { ID_SLOT, type Access } from './access.ts'
import type { Actor, Operation } from './data-layer.ts'
import type { IndexedTable, ModelIndex } from './model-index.ts'
import { ALL, type SelectItem } from './query.ts'
import { planRead, planReadByIds, type ReadPlan, type ReadShape, type SqlValue } from './read-plan.ts'
import { printCountQuery, printRowsQuery, printSearchRowsQuery, type SourceOf } from './read-sql.ts'
import type { SqlRunner } from './sql-runner.ts'
import type { RowObject, WriteEventBus } from './write-events.ts'

/** What the parts of the data layer (reads, targets, writes) share. */
export interface DataContext {
  readonly db: SqliteDatabase
  readonly index: ModelIndex
  readonly access: Access
  readonly runner: SqlRunner
  readonly events: WriteEventBus
  /** The server's clock: createdAt, updatedAt, `now` defaults. */
  readonly clock: () => Date
}

const SYSTEM: Actor = { kind: 'system' }

/** The single access decision point: each table's FROM item for the actor and operation. */
export const sourceOf =
  (access: Access, actor: Actor, operation: Operation): SourceOf =>
  (table, filter) =>
    access.source(actor, operation, table, filter)

/**
 * Reads as JSON texts built by SQLite: a page (ids first, then JSON for the page alone), one row
 * by id, and the rows a write touched. Compiled once per shape; the cache key holds only what
 * changes the SQL text: the actor's kind (the system role reads tables bare; anonymous and
 * signed-in callers differ in the errors a missing policy gives, which are thrown while
 * building and so never cached), the table and the query (values included, as in REST URLs).
 */
export interface Reads {
  page(actor: Actor, table: IndexedTable, shape: ReadShape, count: boolean): { rows: string[]; total: number | undefined }
  /** How many rows the caller may read that `shape`'s filters match (its select, order and page ignored). */
  count(actor: Actor, table: IndexedTable, shape: ReadShape): number
  one(actor: Actor, table: IndexedTable, id: string, select: readonly SelectItem[] | undefined): string | undefined
  /** Compile (and cache) a one-row read-back before a write: a bad select refuses while nothing is written. */
  prepareOne(actor: Actor, table: IndexedTable, select: readonly SelectItem[] | undefined): void
  /** The rows `ids` with `select`, through the read policy (fewer when some are not readable). */
  byIds(actor: Actor, table: IndexedTable, select: readonly SelectItem[] | undefined, ids: readonly string[]): string[]
  /** Whole rows as stored, read as the system inside a write's transaction (for write events). */
  storedRows(table: IndexedTable, ids: readonly string[]): Map<string, RowObject>
}

/** The plan a count runs: a ranked search counts the rows its match admits (readable ones only, as every count). */
function countable(plan: ReadPlan): ReadPlan {
  return plan.search ? { ...plan, filters: [...plan.filters, { kind: 'searched', search: plan.search }] } : plan
}

/** vec0's largest `k`. */
const KNN_MAX = 4096

function withK(plan: ReadPlan, k: number): ReadPlan {
  return { ...plan, search: { ...plan.search!, vector: { ...plan.search!.vector!, k } } }
}

export function createReads(ctx: DataContext): Reads {
  const { index, access, runner } = ctx
  const oneKey = (actor: Actor, table: IndexedTable, select: readonly SelectItem[] | undefined) => `get\0${actor.kind}\0${table.name}\0${JSON.stringify(select ?? ALL)}`
  const buildOne = (actor: Actor, table: IndexedTable, select: readonly SelectItem[] | undefined) => () =>
    printRowsQuery(planReadByIds(index, table, select, [ID_SLOT]), sourceOf(access, actor, 'read'))
  /** The direct form of a page, unless SQLite would sort for it (read-sql.ts printRowsQuery). */
  const pageQuery = (actor: Actor, plan: ReadPlan) => {
    if (plan.search) return printSearchRowsQuery(plan, sourceOf(access, actor, 'read'))
    const direct = printRowsQuery(plan, sourceOf(access, actor, 'read'), 'direct')
    return runner.sorts(actor, direct) ? printRowsQuery(plan, sourceOf(access, actor, 'read'), 'deferred') : direct
  }
  const reads: Reads = {
    page(actor, table, shape, count) {
      // A search vector is bound (value slot 0), not part of the shape's key: each query has its own.
      const vector = shape.search?.vector
      const key = `${actor.kind}\0${table.name}\0${JSON.stringify(vector ? { ...shape, search: { ...shape.search, vector: vector.length } } : shape)}`
      const values = vector ? [Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength) as unknown as SqlValue] : undefined
      let plan: ReadPlan | undefined
      const planned = () => (plan ??= planRead(index, table, shape))
      let rows: string[] | undefined
      const wanted = shape.limit === undefined ? undefined : (shape.offset ?? 0) + shape.limit
      if (vector && shape.search?.query === undefined && wanted !== undefined && wanted > 0 && wanted <= KNN_MAX) {
        // vec0's k nearest of the whole table first: when enough of them are readable and pass the
        // filters, they are the page; when the page comes back short, every readable row is measured.
        const k = Math.min(KNN_MAX, Math.max(64, wanted * 4))
        const knn = runner.runCached(actor, `rows\0k${k}\0${key}`, () => pageQuery(actor, withK(planned(), k)), values).map((r) => r.row)
        if (knn.length === shape.limit) rows = knn
      }
      rows ??= runner.runCached(actor, `rows\0${key}`, () => pageQuery(actor, planned()), values).map((r) => r.row)
      const total = count ? runner.runCached(actor, `count\0${key}`, () => printCountQuery(countable(planned()), sourceOf(access, actor, 'read')), values)[0]!.count : undefined
      return { rows, total }
    },
    count(actor, table, shape) {
      const counted = { where: shape.where }
      const key = `count\0${actor.kind}\0${table.name}\0${JSON.stringify(counted)}`
      return runner.runCached(actor, key, () => printCountQuery(planRead(index, table, counted), sourceOf(access, actor, 'read')))[0]!.count
    },
    one(actor, table, id, select) {
      return runner.runCached(actor, oneKey(actor, table, select), buildOne(actor, table, select), [id])[0]?.row
    },
    prepareOne(actor, table, select) {
      runner.prepare(oneKey(actor, table, select), buildOne(actor, table, select))
    },
    byIds(actor, table, select, ids) {
      if (ids.length === 0) return []
      if (ids.length === 1) {
        const row = reads.one(actor, table, ids[0]!, select)
        return row === undefined ? [] : [row]
      }
      return runner.run(actor, printRowsQuery(planReadByIds(index, table, select, ids), sourceOf(access, actor, 'read'))).map((r) => r.row)
    },
    storedRows(table, ids) {
      const rows = new Map<string, RowObject>()
      if (ids.length === 0) return rows
      for (const text of reads.byIds(SYSTEM, table, ALL, ids)) {
        const row = JSON.parse(text) as RowObject
        rows.set(String(row.id), row)
      }
      return rows
    },
  }
  return reads
}
