import { hostname } from 'node:os'
import { KoyaError } from '../../shared/errors.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import { statementsOf } from '../data/statement-cache.ts'
import { JOB_STATUSES, SQL, type JobRow, type JobStatus } from './queue-sql.ts'
import type { KindRateLimit } from './rate-limits.ts'
import { DEFAULT_RETRY, type RetryPolicy } from './retry-policy.ts'
import { createWorker, scrubbedPayload, type QueueLogger, type Worker } from './worker.ts'

/**
 * What one run of a kind is given besides its payload.
 */
export interface JobRunContext {
  /** The row's id: stable across retries (a webhook may use it as its delivery id). */
  readonly id: number
  readonly kind: string
  /** 1 for the first run, 2 for the first retry… */
  readonly attempt: number
  /** Aborted on timeout, cancellation or shutdown (its `reason` is a KoyaError saying which). */
  readonly signal: AbortSignal
  /** Record how far the run got (any JSON value), readable by id (`queue.get(id).progress`). */
  progress(value: unknown): void
}

/**
 * A kind of work the queue runs: a feature registers it once (`queue.define`) before the queue
 * starts. `run` resolving is success; throwing is a failed attempt, retried per `retry` unless the
 * error is a KoyaError with `details.retry === false` (see `doNotRetry`), which is dead at once.
 * A KoyaError with `details.retryAfterSeconds` (a write refused by maintenance mode) is "not now":
 * the run goes back to the queue for then, its attempt not counted.
 */
export interface JobKind<P = unknown> {
  /** Unique in the queue: `email`, `job:digest`, `webhook:taskDone`. */
  readonly name: string
  run(payload: P, run: JobRunContext): unknown
  /** Default DEFAULT_RETRY. A row's own `maxAttempts` (enqueue option) overrides `attempts`. */
  readonly retry?: RetryPolicy
  /** Abort a run after this long (KL_JOB_TIMEOUT, retried). Default: none. */
  readonly timeoutMs?: number | null
  /** Runs of the kind at once in this process. Default: the worker's concurrency. */
  readonly concurrency?: number | null
  /**
   * Runs started per window, across processes: of the whole kind, and of each group key (runs
   * enqueued with `group: { key }`). A run over the limit waits for the next window.
   */
  readonly rateLimit?: KindRateLimit | null
  /** Rewrite the stored payload once a run succeeds (an email's one-time links blanked). */
  readonly scrub?: (payload: P) => P
}

export interface EnqueueOptions {
  /** Run no earlier than this many milliseconds from now. */
  readonly delayMs?: number
  /** Run no earlier than this instant. */
  readonly runAt?: Date
  /** Higher runs first among ready rows. Default 0. */
  readonly priority?: number
  /** At most one pending row of the kind with this key: enqueueing again returns the pending row's id. */
  readonly uniqueKey?: string
  /** With `uniqueKey`: a pending row takes the new payload and waits this long again (debounce). */
  readonly debounceMs?: number
  /** At most `limit` (default 1) running rows of the kind with this key, across processes (a tenant, a user). */
  readonly group?: { readonly key: string; readonly limit?: number }
  /** A cron slot: (kind, slot) is unique for ever. */
  readonly slot?: string
  /** Runs in all for this row, over the kind's `retry.attempts`. */
  readonly maxAttempts?: number
}

/** A run as `get` and `list` show it. Times are ISO 8601; payload, progress and result parsed. */
export interface JobRunView {
  readonly id: number
  readonly kind: string
  readonly status: JobStatus
  readonly payload: unknown
  readonly priority: number
  readonly attempts: number
  readonly maxAttempts: number
  readonly runAt: string
  readonly createdAt: string
  readonly startedAt: string | null
  readonly finishedAt: string | null
  readonly progress: unknown
  readonly result: unknown
  readonly lastError: string | null
  readonly uniqueKey: string | null
  readonly slot: string | null
  readonly groupKey: string | null
}

export interface ListRunsFilter {
  readonly kind?: string
  readonly status?: JobStatus
  /** Runs with a smaller id (the next page). */
  readonly before?: number
  readonly limit?: number
}

export interface QueueOptions {
  readonly clock?: () => Date
  readonly log?: QueueLogger
  /** How long a claim holds without a heartbeat. Default 30 s; heartbeats every third of it. */
  readonly leaseMs?: number
  /** How often an idle worker looks for work other processes enqueued or that became due. Default 200 ms. */
  readonly pollMs?: number
  /** Runs at once in this process. Default 16. */
  readonly concurrency?: number
  /** Finished (done, cancelled) rows are deleted after this long. Default 7 days. Dead rows stay. */
  readonly retentionMs?: number
  /**
   * With a backlog, claim up to this many rows in one transaction (one commit for them all).
   * Default 1: each claim is its own commit (a batch holds the write lock for all its claims).
   */
  readonly claimBatch?: number
}

/**
 * The durable queue over `_koya_jobs`. Synchronous writes on the app's connection: `enqueue`
 * called inside a transaction (a transaction-phase write subscriber, `db.transaction(…)`) is part
 * of it, so the job exists exactly when the change that caused it committed.
 *
 * @example
 * const queue = createQueue(db)
 * queue.define({ name: 'thumbnail', retry: { attempts: 5, initialDelayMs: 1000, maxDelayMs: 60_000 }, async run(payload, run) { … } })
 * queue.start()
 * data.events.subscribe({ phase: 'transaction', tables: ['attachments'], operations: ['create'], handle(events) {
 *   for (const e of events) queue.enqueue('thumbnail', { id: e.new!.id }, { uniqueKey: String(e.new!.id) })
 * } })
 * await queue.close() // drains
 */
export interface Queue {
  readonly workerId: string
  define<P>(kind: JobKind<P>): void
  kinds(): readonly string[]
  /** Insert a row (one statement, on the app's connection); returns its id (the pending row's, for a unique key or slot already taken). */
  enqueue(kind: string, payload?: unknown, options?: EnqueueOptions): number
  get(id: number): JobRunView | undefined
  list(filter?: ListRunsFilter): JobRunView[]
  /** A pending run is cancelled; a running one has its signal aborted (here, or by its process within a heartbeat). */
  cancel(id: number): JobRunView | undefined
  /** Run a finished (done, dead, cancelled) run again, under the same id, attempts from 0. */
  retry(id: number): JobRunView | undefined
  /** Start claiming. Every kind should be defined first. */
  start(): void
  /** Stop claiming, let running runs finish for up to `drainMs` (default 10 s), abort the rest and put them back. */
  close(drainMs?: number): Promise<void>
}

/**
 * Mark an error as final: the run is dead at once, not retried (a 4xx from a provider).
 *
 * @example
 * throw doNotRetry(new KoyaError('KL_JOB_EMAIL_REJECTED', 'The address is malformed.'))
 */
export function doNotRetry(error: KoyaError): KoyaError {
  return new KoyaError(error.code, error.message, { hint: error.hint, cause: error.cause, details: { ...error.details, retry: false } })
}

const DEFAULT_OPTIONS = { leaseMs: 30_000, pollMs: 200, concurrency: 16, retentionMs: 7 * 86_400_000, claimBatch: 1 }

export function createQueue(db: SqliteDatabase, options: QueueOptions = {}): Queue {
  const clock = options.clock ?? (() => new Date())
  const statements = statementsOf(db)
  const kinds = new Map<string, JobKind<unknown>>()
  const workerId = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`
  let worker: Worker | undefined

  const now = () => clock().getTime()
  const view = (row: JobRow | undefined): JobRunView | undefined => (row === undefined ? undefined : toView(row, kinds.get(row.kind)?.retry ?? DEFAULT_RETRY))
  const getRow = (id: number) => statements.all(SQL.get, [id])[0] as JobRow | undefined

  return {
    workerId,
    define(kind) {
      if (kinds.has(kind.name)) throw new KoyaError('KL_INT_UNEXPECTED', `Job kind "${kind.name}" is defined twice.`)
      kinds.set(kind.name, kind as JobKind<unknown>)
    },
    kinds: () => [...kinds.keys()].sort(),
    enqueue(kind, payload = null, opts = {}) {
      const at = now()
      const text = JSON.stringify(payload ?? null)
      if (text === undefined) throw new KoyaError('KL_JOB_INVALID', `The payload of a "${kind}" job is not JSON.`)
      if (opts.delayMs !== undefined && !(opts.delayMs >= 0)) throw new KoyaError('KL_JOB_INVALID', `delay of a "${kind}" job is negative.`)
      if (opts.debounceMs !== undefined && opts.uniqueKey === undefined) throw new KoyaError('KL_JOB_INVALID', 'debounce needs a key: the pending job it replaces.')
      if (opts.group !== undefined && (opts.group.limit ?? 1) < 1) throw new KoyaError('KL_JOB_INVALID', 'A group limit is at least 1.')
      const runAt = opts.runAt?.getTime() ?? at + (opts.debounceMs ?? opts.delayMs ?? 0)
      const parameters = [kind, text, opts.priority ?? 0, runAt, opts.maxAttempts ?? null, opts.uniqueKey ?? null, opts.slot ?? null, opts.group?.key ?? null, opts.group === undefined ? null : (opts.group.limit ?? 1), at]
      if (opts.uniqueKey === undefined && opts.slot === undefined) {
        const id = Number(statements.prepared(SQL.insert).run(...(parameters as never[])).lastInsertRowid)
        worker?.wake()
        return id
      }
      const sql = opts.debounceMs !== undefined ? SQL.insertDebounced : SQL.insertOnce
      const inserted = statements.prepared(sql).run(...(parameters as never[]))
      worker?.wake()
      // lastInsertRowid is stale after DO NOTHING / DO UPDATE: look the row up by its key.
      const existing = (opts.slot !== undefined ? statements.all(SQL.bySlot, [kind, opts.slot]) : statements.all(SQL.pendingByKey, [kind, opts.uniqueKey]))[0] as { id: number } | undefined
      return existing?.id ?? Number(inserted.lastInsertRowid)
    },
    get: (id) => view(getRow(id)),
    list(filter = {}) {
      const where: string[] = []
      const parameters: unknown[] = []
      if (filter.kind !== undefined) (where.push('"kind" = ?'), parameters.push(filter.kind))
      if (filter.status !== undefined) (where.push('"status" = ?'), parameters.push(filter.status))
      if (filter.before !== undefined) (where.push('"id" < ?'), parameters.push(filter.before))
      const sql = `SELECT * FROM "_koya_jobs"${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY "id" DESC LIMIT +?`
      return (statements.all(sql, [...parameters, Math.min(Math.max(filter.limit ?? 100, 1), 1000)]) as JobRow[]).map((row) => view(row)!)
    },
    cancel(id) {
      const row = getRow(id)
      if (row === undefined) return undefined
      if (row.status === 'pending') statements.run(SQL.cancelPending, [now(), scrubbedPayload(kinds.get(row.kind), row.payload), id])
      else if (row.status === 'running') {
        statements.run(SQL.requestCancel, [id])
        worker?.abort(id, new KoyaError('KL_JOB_CANCELLED', `Run ${id} of "${row.kind}" was cancelled.`))
      }
      return view(getRow(id))
    },
    retry(id) {
      const row = getRow(id)
      if (row === undefined) return undefined
      if (row.status === 'pending' || row.status === 'running') throw new KoyaError('KL_JOB_NOT_FINISHED', `Run ${id} of "${row.kind}" is ${row.status}: only a finished run can be retried.`)
      statements.run(SQL.retry, [now(), id])
      worker?.wake()
      return view(getRow(id))
    },
    start() {
      worker ??= createWorker({ db, kinds, workerId, clock, log: options.log, ...DEFAULT_OPTIONS, ...definedOf(options) })
      worker.start()
    },
    async close(drainMs = 10_000) {
      await worker?.close(drainMs)
    },
  }
}

function definedOf(options: QueueOptions): Partial<typeof DEFAULT_OPTIONS> {
  return Object.fromEntries(Object.entries({ leaseMs: options.leaseMs, pollMs: options.pollMs, concurrency: options.concurrency, retentionMs: options.retentionMs, claimBatch: options.claimBatch }).filter(([, v]) => v !== undefined))
}

/**
 * @example
 * isJobStatus('dead') // true
 */
export function isJobStatus(value: string): value is JobStatus {
  return (JOB_STATUSES as readonly string[]).includes(value)
}

function toView(row: JobRow, retry: RetryPolicy): JobRunView {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())
  const parse = (text: string | null): unknown => (text === null ? null : JSON.parse(text))
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    payload: parse(row.payload),
    priority: row.priority,
    attempts: row.attempts,
    maxAttempts: row.maxAttempts ?? retry.attempts,
    runAt: iso(row.runAt)!,
    createdAt: iso(row.createdAt)!,
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
    progress: parse(row.progress),
    result: parse(row.result),
    lastError: row.lastError,
    uniqueKey: row.uniqueKey,
    slot: row.slot,
    groupKey: row.groupKey,
  }
}
