import type { JobContext } from '../shared/handler-context.ts'
import type { JsonValidator } from './column.ts'

/** A duration: a positive whole number and a unit, `ms`, `s`, `m`, `h` or `d`: `'500ms'`, `'10s'`, `'30m'`. */
export type Duration = `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`

/**
 * How a failed run is retried: up to `attempts` runs in all, waiting `initialDelay` after the
 * first failure and twice as long after each next one (with jitter), never more than `maxDelay`.
 * What is left out keeps the queue's default.
 */
export interface RetryDef {
  /** Runs in all, the first included (1 = never retried). */
  readonly attempts?: number
  readonly initialDelay?: Duration
  readonly maxDelay?: Duration
}

/** Runs started per window: `{ max: 10, per: '1s' }`. */
export interface RateDef {
  readonly max: number
  readonly per: Duration
}

/** A job's rate limits: on all its runs (`max` and `per`), on the runs of each key (`perKey`), or both. */
export interface JobRateLimitDef {
  readonly max?: number
  readonly per?: Duration
  readonly perKey?: RateDef
}

/** The function a job runs. Its second parameter's type is the job's payload type. */
export type JobRun<Payload> = (ctx: JobContext, payload: Payload) => Promise<unknown> | unknown

/** What `job()` takes. */
export interface JobOptions<Payload> {
  /**
   * A cron expression (5 fields, or 6 with seconds first) saying when the job runs by itself;
   * without one, the job runs only when enqueued. Checked by `koyalite generate` with croner.
   */
  readonly cron?: string
  /** The IANA time zone the cron expression is read in (`'Europe/Paris'`). Default: UTC. */
  readonly timezone?: string
  readonly retry?: RetryDef
  /**
   * Retries after the first failed run: `retries: 3` is `retry: { attempts: 4 }`. A shorthand
   * for the common case; give one of `retries` and `retry.attempts`.
   */
  readonly retries?: number
  /** A run still going after this long is aborted (`ctx.signal`) and counts as failed. */
  readonly timeout?: Duration
  /** At most this many runs of the job at once. Default: the queue's. */
  readonly concurrency?: number
  /**
   * At most `max` runs started `per` window, shared by every process on the database; `perKey`
   * limits each key the job is enqueued with (`ctx.enqueue(name, payload, { group: { key } })`:
   * a tenant, a user). A run over a limit waits for the next window.
   *
   * @example
   * rateLimit: { max: 100, per: '1m', perKey: { max: 5, per: '1m' } }
   */
  readonly rateLimit?: JobRateLimitDef
  /**
   * A zod schema of the payload. Its type becomes the payload's type in `run`, in the SDK's
   * `koya.admin.runJob(name, payload)` and in OpenAPI's `POST /admin/jobs/<name>/run`; a payload
   * that does not match is refused where it is enqueued (400 on the admin API) and never run.
   */
  readonly payload?: JsonValidator<Payload>
  readonly run: JobRun<Payload>
}

/** A job as `job()` made it: what `defineConfig({ jobs })` takes. */
export interface JobDef<Payload = unknown> extends Omit<JobOptions<Payload>, 'payload'> {
  readonly kind: 'job'
  // Widened here: config takes JobDef<never> (a `run` for any payload), which a typed schema must still fit.
  readonly payload?: JsonValidator
}

/**
 * Background work: run on a schedule (`cron`) or enqueued with a JSON payload. Runs at least
 * once: a run may repeat after a crash, so make it safe to repeat. Its code is bundled by
 * `koyalite generate` into generated/handlers/ and runs without TypeScript.
 *
 * `ctx` has `db` (Kysely, system role), `data` and `as(userId)` (the data layer, as the system or as that user), `email`, `log`, `enqueue`, `progress` and `signal` (docs/jobs.md).
 *
 * @example
 * import { defineConfig, job } from 'koyalite'
 *
 * export default defineConfig({
 *   name: 'koya-tasks',
 *   tables,
 *   jobs: {
 *     digest: job({
 *       cron: '0 8 * * *',
 *       timezone: 'Europe/Paris',
 *       retry: { attempts: 5, initialDelay: '10s', maxDelay: '30m' },
 *       timeout: '2m',
 *       run: async (ctx, payload: { workspaceId?: string }) => {
 *         ctx.log.info('digest', { workspaceId: payload.workspaceId })
 *       },
 *     }),
 *   },
 * })
 */
export function job<Payload = unknown>(options: JobOptions<Payload>): JobDef<Payload> {
  return Object.freeze({ ...options, ...(options.retry ? { retry: Object.freeze({ ...options.retry }) } : {}), kind: 'job' })
}
