import { KoyaError } from '../../shared/errors.ts'
import { parseDurationMs } from '../../shared/durations.ts'
import type { Env } from '../auth/auth-settings.ts'
import { defineModule } from '../modules/feature-module.ts'
import { createQueue, type QueueOptions } from './queue.ts'
import { QUEUE_MIGRATIONS } from './queue-schema.ts'

export interface QueueModuleOptions extends Omit<QueueOptions, 'clock' | 'log'> {
  /** Claim and run work in this process. Default true; false for a process that only enqueues. */
  readonly workers?: boolean
  /** How long the server waits on close for running work before aborting it. Default 10 s. */
  readonly drainMs?: number
}

/**
 * The durable queue (`_koya_jobs`), one per server, given to the modules after it as
 * `runtime.queue()`: jobs, email (and webhooks) define their kinds on it while they register; its
 * worker starts once the server is ready and drains when it closes.
 *
 * Settings from the environment, under the module's options: `KOYA_JOBS_LEASE` (default 30s),
 * `KOYA_JOBS_POLL` (200ms), `KOYA_JOBS_CONCURRENCY` (16), `KOYA_JOBS_DRAIN` (10s),
 * `KOYA_JOBS_WORKERS=off` (enqueue only).
 */
export const queueModule = defineModule<QueueModuleOptions | undefined>({
  name: 'queue',
  systemMigrations: QUEUE_MIGRATIONS,
  async register(app, runtime, options = {}) {
    const settings = { ...settingsFrom(runtime.env), ...options }
    const queue = createQueue(runtime.db, { ...settings, clock: runtime.clock, log: app.log })
    if (settings.workers !== false) {
      app.addHook('onReady', async () => queue.start())
    }
    app.addHook('onClose', async () => queue.close(settings.drainMs))
    return { queue }
  },
})

function settingsFrom(env: Env): QueueModuleOptions {
  const duration = (name: string): number | undefined => {
    const text = env[name]
    if (text === undefined || text === '') return undefined
    try {
      return parseDurationMs(text)
    } catch {
      throw new KoyaError('KL_JOB_INVALID', `${name}="${text}" is not a duration.`, { hint: `Write a duration such as '500ms', '10s' or '1m'.` })
    }
  }
  const count = env.KOYA_JOBS_CONCURRENCY
  const defined = Object.entries({
    leaseMs: duration('KOYA_JOBS_LEASE'),
    pollMs: duration('KOYA_JOBS_POLL'),
    drainMs: duration('KOYA_JOBS_DRAIN'),
    concurrency: count === undefined || count === '' ? undefined : Math.max(1, Number.parseInt(count, 10) || 1),
    workers: env.KOYA_JOBS_WORKERS === 'off' ? false : undefined,
  }).filter(([, value]) => value !== undefined)
  return Object.fromEntries(defined) as QueueModuleOptions
}
