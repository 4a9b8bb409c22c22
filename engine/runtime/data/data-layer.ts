import type { ProjectIR } from '../../ir/project-ir.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import { createAccess } from './access.ts'
import { indexModel, type ModelIndex } from './model-index.ts'
import type { DeleteQuery, InsertQuery, ReadQuery, SelectItem, UpdateQuery, Where } from './query.ts'
import { createReads, type DataContext } from './reads.ts'
import { listForActors } from './many-actors.ts'
import { createReadObservers, type ReadObserver } from './read-observers.ts'
import { simulatePolicies, type PolicySimulation, type SimulationPage } from './policy-simulation.ts'
import { readableImages } from './row-images.ts'
import { createSqlRunner } from './sql-runner.ts'
import { createWriteEventBus, type RowObject, type WriteEvents } from './write-events.ts'
import { createWrites } from './writes.ts'
import { tracedMethods } from './data-spans.ts'
import type { SpanRunner } from '../observability/spans.ts'

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
      /** The reason the admin gave for the impersonation (for the audit log). */
      readonly impersonationReason?: string
    }

export type Operation = 'read' | 'create' | 'update' | 'delete'

/**
 * How rows come back: `json`, each row as the JSON text SQLite built (the REST hot path: no
 * object per row in JavaScript), or `objects` (GraphQL, jobs, functions).
 */
export type RowFormat = 'json' | 'objects'
export type RowOf<F extends RowFormat> = F extends 'objects' ? RowObject : string

export interface ReadOptions<F extends RowFormat = 'json'> {
  readonly as?: F
  /** The request the read serves, for logs and traces. */
  readonly requestId?: string
}

export interface ListOptions<F extends RowFormat = 'json'> extends ReadOptions<F> {
  /** Also count the rows the filters match, ignoring limit and offset (`Prefer: count=exact`). */
  readonly count?: boolean
}

export interface ListResult<R = string> {
  /** The rows, in order. */
  readonly rows: readonly R[]
  /** With `count: true`: the number of rows the filters match, ignoring limit and offset. */
  readonly total: number | undefined
}

export interface WriteOptions<F extends RowFormat = 'json'> {
  /** The format of `returning` rows. */
  readonly as?: F
  /**
   * The write must touch exactly one row, or it is rolled back with KL_API_NOT_ACCEPTABLE
   * (`Accept: application/vnd.pgrst.object+json`, as PostgREST does).
   */
  readonly single?: boolean
  /** The request the write came with: carried on its write events (audit log, webhooks). */
  readonly requestId?: string
}

export interface WriteResult<R = string> {
  /** The written rows (only when the query has `returning`). */
  readonly rows: readonly R[] | undefined
  readonly count: number
}

export interface DataLayerOptions {
  /** Development mode (`koyalite dev`): refusals name the policy's source location. Default false. */
  readonly dev?: boolean
  /** Where errors of commit-phase write subscribers go (they cannot fail the write). Default: ignored. */
  readonly onSubscriberError?: (error: unknown) => void
  /** The clock of createdAt, updatedAt and `now` defaults. Default: the system clock. */
  readonly clock?: () => Date
}

/**
 * The data layer: every read and write of application tables, from every path (REST, GraphQL,
 * search, jobs, functions), goes through it, as a neutral query (query.ts). It is the one place
 * where access is decided, and where write events are emitted inside the write's transaction.
 *
 * @example
 * const data = createDataLayer(model, db)
 * const page = data.list(actor, { table: 'tasks', where: { kind: 'compare', column: 'status', operator: 'eq', value: 'todo' }, limit: 20 }, { as: 'objects' })
 * const ada = data.findOne({ kind: 'system' }, { table: 'users', where: { kind: 'compare', column: 'email', operator: 'eq', value: 'ada@example.com' } }, { as: 'objects' })
 * data.update(actor, { table: 'tasks', target: { id }, patch: { status: 'done' } }, { requestId: 'req-7' })
 */
export interface DataLayer {
  readonly model: ModelIndex
  /** Subscribe to the rows every write commits (write-events.ts). */
  readonly events: WriteEvents
  list<F extends RowFormat = 'json'>(actor: Actor, query: ReadQuery, options?: ListOptions<F>): ListResult<RowOf<F>>
  /** How many rows the caller may read that `where` matches (`Prefer: count=exact` without the rows). */
  count(actor: Actor, query: { readonly table: string; readonly where?: Where }, options?: { readonly requestId?: string }): number
  /** One row by id with `select` (default every column), or undefined when missing or not readable. */
  get<F extends RowFormat = 'json'>(actor: Actor, table: string, id: string, select?: readonly SelectItem[], options?: ReadOptions<F>): RowOf<F> | undefined
  /** The first row `where` matches (in `orderBy` order), or undefined. */
  findOne<F extends RowFormat = 'json'>(actor: Actor, query: { readonly table: string; readonly where: Where; readonly select?: readonly SelectItem[]; readonly orderBy?: ReadQuery['orderBy'] }, options?: ReadOptions<F>): RowOf<F> | undefined
  /**
   * The ids of `images` (whole rows as write events carry them, e.g. the `old` row of a delete)
   * the actor could read and `where` matches, judged as if each were in the table now, against
   * the rest of the database as it is (row-images.ts). Realtime uses it to decide who could read
   * a row before it changed.
   */
  readableImages(actor: Actor, table: string, images: readonly RowObject[], where?: Where): Set<string>
  /**
   * The rows `where` matches on `table` for each of many signed-in or anonymous actors, as
   * objects, in one statement per 300 actors (many-actors.ts): realtime judges one change for
   * every subscribed user at once.
   */
  listForActors(actors: readonly Actor[], query: { readonly table: string; readonly where?: Where }): RowObject[][]
  /**
   * Be told of every list, get and findOne whose table or an embedded one is among the observer's,
   * inside the read's transaction (read-observers.ts): the PHI read audit. Without an observer
   * reads run as before. Returns the function that removes it.
   */
  observeReads(observer: ReadObserver): () => void
  /**
   * Tell the read observers (the PHI audit) of rows answered without a data-layer read: realtime
   * pushes the row a write event carried. A throw means the rows must not be sent.
   */
  observeDelivered(actor: Actor, via: 'realtime', table: string, rows: readonly RowObject[]): void
  /** Whether a read observer is registered (reads then write, e.g. the PHI audit's entries). */
  hasReadObservers(): boolean
  /**
   * Studio's policy simulator: a page of the table's rows (by id) with each policy's verdict for
   * `actor` on `operation`, and the compiled predicates (policy-simulation.ts).
   */
  simulate(actor: Actor, table: string, operation: Operation, page: SimulationPage): PolicySimulation
  insert<F extends RowFormat = 'json'>(actor: Actor, query: InsertQuery, options?: WriteOptions<F>): WriteResult<RowOf<F>>
  update<F extends RowFormat = 'json'>(actor: Actor, query: UpdateQuery, options?: WriteOptions<F>): WriteResult<RowOf<F>>
  delete<F extends RowFormat = 'json'>(actor: Actor, query: DeleteQuery, options?: WriteOptions<F>): WriteResult<RowOf<F>>
  /**
   * From now on, run list, count, get, findOne, insert, update and delete each in a span
   * (data-spans.ts). The tracing module calls it once at boot when tracing is on; until then the
   * methods are the plain ones, so a server that does not trace pays nothing per call.
   */
  trace(spans: SpanRunner): void
}

export function createDataLayer(model: ProjectIR, db: SqliteDatabase, options: DataLayerOptions = {}): DataLayer {
  const ctx: DataContext = {
    db,
    index: indexModel(model),
    access: createAccess(model, { dev: options.dev === true }),
    runner: createSqlRunner(db),
    events: createWriteEventBus(options.onSubscriberError ?? (() => {})),
    clock: options.clock ?? (() => new Date()),
  }
  const reads = createReads(ctx)
  const observers = createReadObservers(db, ctx.index)
  const writes = createWrites(ctx, reads, observers)
  const format = <F extends RowFormat>(rows: readonly string[], as: F | undefined): RowOf<F>[] => (as === 'objects' ? rows.map((r) => JSON.parse(r) as RowOf<F>) : (rows as RowOf<F>[]))
  const written = <F extends RowFormat>(result: WriteResult<string>, as: F | undefined): WriteResult<RowOf<F>> => ({ count: result.count, rows: result.rows === undefined ? undefined : format(result.rows, as) })
  const layer: DataLayer = {
    model: ctx.index,
    events: ctx.events,
    list(actor, query, options = {}) {
      const { table, ...shape } = query
      const indexed = ctx.index.table(table)
      // Without an observer (the common case) the read is exactly what it was: no closure, no transaction.
      const page = observers.active
        ? observers.observed(actor, 'list', indexed, shape.select, options.requestId, () => reads.page(actor, indexed, shape, options.count === true), (p) => p.rows)
        : reads.page(actor, indexed, shape, options.count === true)
      return { rows: format(page.rows, options.as), total: page.total }
    },
    count(actor, query) {
      return reads.count(actor, ctx.index.table(query.table), query.where === undefined ? {} : { where: query.where })
    },
    get(actor, table, id, select, options = {}) {
      const indexed = ctx.index.table(table)
      const row = observers.active
        ? observers.observed(actor, 'get', indexed, select, options.requestId, () => reads.one(actor, indexed, id, select), (r) => (r === undefined ? [] : [r]))
        : reads.one(actor, indexed, id, select)
      return row === undefined ? undefined : format([row], options.as)[0]
    },
    findOne(actor, query, options = {}) {
      const { table, ...shape } = query
      const indexed = ctx.index.table(table)
      const row = observers.active
        ? observers.observed(actor, 'findOne', indexed, shape.select, options.requestId, () => reads.page(actor, indexed, { ...shape, limit: 1 }, false).rows[0], (r) => (r === undefined ? [] : [r]))
        : reads.page(actor, indexed, { ...shape, limit: 1 }, false).rows[0]
      return row === undefined ? undefined : format([row], options.as)[0]
    },
    listForActors: (actors, query) => listForActors(ctx, actors, ctx.index.table(query.table), query.where),
    observeReads: (observer) => observers.add(observer),
    hasReadObservers: () => observers.active,
    observeDelivered(actor, via, table, rows) {
      if (observers.active) observers.delivered(actor, via, ctx.index.table(table), rows, undefined)
    },
    readableImages: (actor, table, images, where) => readableImages(ctx, actor, ctx.index.table(table), images, where),
    simulate: (actor, table, operation, page) => simulatePolicies(ctx, actor, ctx.index.table(table), operation, page),
    insert: (actor, query, options = {}) => written(writes.insert(actor, query, options), options.as),
    update: (actor, query, options = {}) => written(writes.update(actor, query, options), options.as),
    delete: (actor, query, options = {}) => written(writes.delete(actor, query, options), options.as),
    trace(spans) {
      // The layer's own methods are swapped, once: callers hold the layer, not its methods.
      const { list, count, get, findOne, insert, update, delete: remove } = layer
      Object.assign(layer, tracedMethods({ list, count, get, findOne, insert, update, delete: remove }, model, spans))
    },
  }
  return layer
}

export { notOneRowError } from './writes.ts'
export type { PolicySimulation } from './policy-simulation.ts'
export type { StatementCache } from './statement-cache.ts'
