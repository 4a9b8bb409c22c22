import { KoyaError } from '../../shared/errors.ts'
import type { Handlers } from '../handlers/load-handlers.ts'
import { defineModule } from '../modules/feature-module.ts'
import { retryPolicy } from '../queue/retry-policy.ts'
import { backupJobOf, defineBackupJob } from '../backup/backup-job.ts'
import { createCronScheduler } from './cron-scheduler.ts'
import { createJobContext, createJobKysely } from './job-context.ts'
import { jobKind } from './job-kinds.ts'
import { checkJobPayload } from './job-payloads.ts'
import { doNotRetry } from '../queue/queue.ts'
import { registerJobsAdmin } from './jobs-admin.ts'

export interface JobsModuleOptions {
  /**
   * The jobs' code (`loadHandlers(root, { model })`: generated/handlers/index.js). Without it the
   * app's jobs are not defined in this process: their runs wait for a process that has them.
   */
  readonly handlers?: Handlers
  /** Run the cron scheduler. Default true (every process may: a slot is enqueued once). */
  readonly scheduler?: boolean
}

/**
 * The app's jobs (`defineConfig({ jobs })`): each a queue kind `job:<name>` with its retry,
 * timeout and concurrency, its `run` called with the job context; the cron scheduler; the jobs
 * group of the admin API (runs, run now, retry, cancel, caught emails).
 */
export const jobsModule = defineModule<JobsModuleOptions | undefined>({
  name: 'jobs',
  systemMigrations: [
    {
      name: 'jobs_0001_cron',
      sql: `CREATE TABLE "_koya_cron" (
  "job" TEXT PRIMARY KEY NOT NULL,
  "lastSlotAt" INTEGER NOT NULL
) STRICT, WITHOUT ROWID;`,
    },
  ],
  async register(app, runtime, options = {}) {
    const queue = runtime.queue()
    const jobs = runtime.model.jobs ?? []
    const admin = runtime.adminDeps()
    const handlers = options.handlers
    if (jobs.length > 0 && handlers === undefined) app.log.warn('the server was given no job handlers: its jobs run only in processes that have them')
    if (handlers !== undefined) {
      const kysely = createJobKysely(runtime.db)
      const payloads = handlers.payloads ?? {}
      const deps = { db: runtime.db, data: runtime.data, queue, log: app.log, jobNames: new Set(jobs.map((job) => job.name)), payloads, rolesOf: (userId: string) => admin.grants.rolesOf(userId) }
      for (const job of jobs) {
        const run = handlers.jobs[job.name]
        if (run === undefined) throw new KoyaError('KL_DEF_GENERATED_STALE', `The handlers bundle has no run for job "${job.name}".`, { hint: 'Run `koyalite generate`.' })
        queue.define({
          name: jobKind(job.name),
          retry: retryPolicy(job.retry),
          timeoutMs: job.timeoutMs,
          concurrency: job.concurrency,
          rateLimit: job.rateLimit ?? null,
          run: (payload, context) => {
            let checked: unknown
            try {
              checked = checkJobPayload(job.name, payloads[job.name], payload, 'KL_JOB_PAYLOAD_INVALID')
            } catch (error) {
              // Enqueued before the schema changed, or by hand: the same payload fails every attempt.
              throw doNotRetry(error as KoyaError)
            }
            return run(createJobContext(deps, kysely, job.name, context), checked)
          },
        })
      }
    }
    // The built-in backup job (defineConfig({ backups })), scheduled like the app's own jobs.
    defineBackupJob(queue, { model: runtime.model, db: runtime.db, env: runtime.env, storageRoot: () => runtime.storageRoot() })
    const backupJob = backupJobOf(runtime.model)
    if (options.scheduler !== false && runtime.env.KOYA_JOBS_WORKERS !== 'off') {
      const scheduler = createCronScheduler({ db: runtime.db, queue, jobs: backupJob === undefined ? jobs : [...jobs, backupJob], clock: runtime.clock, onError: (error) => app.log.error({ err: error }, 'the cron scheduler failed') })
      app.addHook('onReady', async () => scheduler.start())
      app.addHook('onClose', async () => scheduler.stop())
    }
    registerJobsAdmin(app, { model: runtime.model, db: runtime.db, queue, admin, payloads: handlers?.payloads ?? {} })
  },
})
