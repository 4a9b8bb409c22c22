import type { FastifyBaseLogger } from 'fastify'
import { Kysely, SqliteDialect } from 'kysely'
import { KoyaError } from '../../shared/errors.ts'
import { parseDurationMs } from '../../shared/durations.ts'
import type { DataAs, DataFilter, EnqueueOptions, HandlerLogger, JobContext } from '../../shared/handler-context.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import type { Actor, DataLayer } from '../data/data-layer.ts'
import type { Where } from '../data/query.ts'
import type { RowObject } from '../data/write-events.ts'
import { sendEmail } from '../email/send-email.ts'
import type { EnqueueOptions as QueueEnqueueOptions, JobRunContext, Queue } from '../queue/queue.ts'
import type { PayloadValidator } from '../handlers/load-handlers.ts'
import { jobKind } from './job-kinds.ts'
import { checkJobPayload } from './job-payloads.ts'

/** What every job context shares: made once per server. */
export interface JobContextDeps {
  readonly db: SqliteDatabase
  readonly data: DataLayer
  readonly queue: Queue
  readonly log: FastifyBaseLogger
  readonly jobNames: ReadonlySet<string>
  /** The `payload` schemas of the jobs that declare one. */
  readonly payloads: Readonly<Record<string, PayloadValidator>>
  /** A user's roles, for `ctx.as(userId)`. */
  readonly rolesOf: (userId: string) => readonly string[]
}

/**
 * Build the `ctx` of one run: `db` (Kysely, system role), `data` / `as(userId)` (the data layer as
 * the system or as that user, policies on), `email`, `enqueue`, `log`, `progress`, `signal`.
 *
 * @example
 * const ctx = createJobContext(deps, kysely, 'digest', run)
 * await handlers.jobs.digest(ctx, payload)
 */
export function createJobContext(deps: JobContextDeps, kysely: Kysely<never>, name: string, run: JobRunContext): JobContext {
  const log = deps.log.child({ job: name, runId: run.id, attempt: run.attempt })
  return {
    name,
    runId: run.id,
    attempt: run.attempt,
    signal: run.signal,
    log: handlerLogger(log),
    db: kysely,
    data: dataAs(deps.data, { kind: 'system' }),
    as: (userId) => dataAs(deps.data, { kind: 'user', userId, roles: deps.rolesOf(userId) }),
    email: {
      async send(message) {
        sendEmail(deps.queue, message)
      },
    },
    // Typed per job for the app's code (generated/register.d.ts); here any name, checked at run time.
    enqueue: (async (job: string, payload?: unknown, options?: EnqueueOptions) => {
      if (!deps.jobNames.has(job)) throw new KoyaError('KL_JOB_UNKNOWN_KIND', `ctx.enqueue names job "${job}", which defineConfig({ jobs }) does not have.`)
      checkJobPayload(job, deps.payloads[job], payload ?? {}, 'KL_JOB_PAYLOAD_INVALID')
      deps.queue.enqueue(jobKind(job), payload ?? {}, queueOptions(options))
    }) as JobContext['enqueue'],
    progress: (value) => run.progress(value),
  }
}

/**
 * One Kysely over the app's connection, for every run's `ctx.db`.
 *
 * @example
 * const kysely = createJobKysely(runtime.db)
 */
export function createJobKysely(db: SqliteDatabase): Kysely<never> {
  return new Kysely<never>({ dialect: new SqliteDialect({ database: db }) })
}

/**
 * `ctx.enqueue`'s options (durations as text) as the queue's.
 *
 * @example
 * queueOptions({ delay: '10s', key: 'user-1' }) // { delayMs: 10000, uniqueKey: 'user-1' }
 */
export function queueOptions(options: EnqueueOptions | undefined): QueueEnqueueOptions {
  if (options === undefined) return {}
  const ms = (text: string | undefined, what: string) => {
    if (text === undefined) return undefined
    try {
      return parseDurationMs(text)
    } catch {
      throw new KoyaError('KL_JOB_INVALID', `${what} "${text}" is not a duration.`)
    }
  }
  const delayMs = ms(options.delay, 'delay')
  const debounceMs = ms(options.debounce, 'debounce')
  return {
    ...(delayMs !== undefined ? { delayMs } : {}),
    ...(debounceMs !== undefined ? { debounceMs } : {}),
    ...(options.key !== undefined ? { uniqueKey: options.key } : {}),
    ...(options.priority !== undefined ? { priority: options.priority } : {}),
    ...(options.group !== undefined ? { group: options.group } : {}),
  }
}

/**
 * The data layer bound to an actor, with a small API for handler code (rows as objects).
 *
 * @example
 * dataAs(data, { kind: 'user', userId, roles: [] }).insert('notes', { ownerId: userId, body: 'hi' })
 */
export function dataAs(data: DataLayer, actor: Actor): DataAs {
  const all = [{ kind: 'all' as const }]
  return {
    list: (table, options = {}) =>
      data.list(actor, {
        table,
        ...(options.where !== undefined ? { where: options.where as unknown as Where } : {}),
        ...(options.orderBy !== undefined ? { orderBy: options.orderBy.map((o) => ({ column: o.column, ...(o.direction !== undefined ? { direction: o.direction } : {}) })) } : {}),
        ...(options.limit !== undefined ? { limit: options.limit } : {}),
        ...(options.offset !== undefined ? { offset: options.offset } : {}),
      }, { as: 'objects' }).rows as RowObject[],
    get: (table, id) => data.get(actor, table, id, undefined, { as: 'objects' }),
    count: (table, where?: DataFilter) => data.count(actor, { table, ...(where !== undefined ? { where: where as unknown as Where } : {}) }),
    insert: (table, rows) => [...(data.insert(actor, { table, rows: Array.isArray(rows) ? rows : [rows as RowObject], returning: all }, { as: 'objects' }).rows ?? [])],
    update: (table, id, patch) => data.update(actor, { table, target: { id }, patch, returning: all }, { as: 'objects' }).rows?.[0],
    delete: (table, id) => data.delete(actor, { table, target: { id } }).count,
  }
}

function handlerLogger(log: FastifyBaseLogger): HandlerLogger {
  return {
    debug: (message, fields) => log.debug(fields ?? {}, message),
    info: (message, fields) => log.info(fields ?? {}, message),
    warn: (message, fields) => log.warn(fields ?? {}, message),
    error: (message, fields) => log.error(fields ?? {}, message),
  }
}
