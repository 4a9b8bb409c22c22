import { Cron } from 'croner'
import type { JobIR } from '../../ir/project-ir.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import { statementsOf } from '../data/statement-cache.ts'
import type { Queue } from '../queue/queue.ts'
import { jobKind } from './job-kinds.ts'

/**
 * The cron scheduler: turns each scheduled job's due slot into one queue row.
 *
 * - A slot is enqueued at most once, across restarts and processes sharing the database: in one
 *   IMMEDIATE transaction the job's last slot (`_koya_cron`) is compared and moved forward, and
 *   the row's (kind, slot) is unique for ever.
 * - Slots missed while no process ran (or a process slept) collapse into one: only the latest due
 *   slot is enqueued. On the very first start, the current slot is taken as already handled.
 * - Daylight saving time, in the job's `timezone` (croner's rules, as croner-rust): a time that
 *   does not exist at spring-forward (02:30 on the night clocks jump from 02:00 to 03:00) runs once,
 *   at the first instant after the gap (03:00) for a fixed-time job; a wall time that happens twice
 *   at fall-back runs once. The slot key is the wall time in the job's zone (`2026-10-25T02:30:00`),
 *   so an hourly job whose 02:30 comes round twice still runs once for it.
 *
 * @example
 * const scheduler = createCronScheduler({ db, queue, jobs: model.jobs ?? [], clock, onError: (e) => log.error(e) })
 * scheduler.start()
 */
export interface CronScheduler {
  /** Enqueue what is due now, then wait for the next slot. */
  start(): void
  /** Enqueue what is due at the clock's time (tests step a fake clock through it). */
  tick(): void
  stop(): void
}

const STATE = 'SELECT "lastSlotAt" FROM "_koya_cron" WHERE "job" = ?'
const SAVE = 'INSERT INTO "_koya_cron" ("job", "lastSlotAt") VALUES (?, ?) ON CONFLICT ("job") DO UPDATE SET "lastSlotAt" = excluded."lastSlotAt"'

/** Longest wait between two looks at the clock (a suspended laptop, a clock that jumped). */
const MAX_SLEEP_MS = 60_000

export function createCronScheduler(options: { readonly db: SqliteDatabase; readonly queue: Queue; readonly jobs: readonly JobIR[]; readonly clock: () => Date; readonly onError: (error: unknown) => void }): CronScheduler {
  const { db, queue, clock } = options
  const statements = statementsOf(db)
  const scheduled = options.jobs.filter((job) => job.cron !== null).map((job) => ({ job, zone: job.timezone ?? 'UTC', cron: new Cron(job.cron!, { timezone: job.timezone ?? 'UTC', paused: true }) }))
  let timer: NodeJS.Timeout | undefined
  let stopped = true

  function tick(): void {
    const now = clock()
    for (const { job, zone, cron } of scheduled) {
      const due = latestSlot(cron, now)
      if (due === undefined) continue
      db.transaction(() => {
        const [state] = statements.all(STATE, [job.name]) as { lastSlotAt: number }[]
        if (state !== undefined && due.getTime() <= state.lastSlotAt) return
        if (state !== undefined) queue.enqueue(jobKind(job.name), {}, { slot: slotKey(due, zone), runAt: due })
        statements.run(SAVE, [job.name, due.getTime()])
      }).immediate()
    }
  }

  function arm(): void {
    if (stopped) return
    const now = clock()
    let wait = MAX_SLEEP_MS
    for (const { cron } of scheduled) {
      const next = cron.nextRun(now)
      if (next !== null) wait = Math.min(wait, Math.max(next.getTime() - now.getTime(), 0))
    }
    timer = setTimeout(() => {
      try {
        tick()
      } catch (error) {
        options.onError(error)
      }
      arm()
    }, wait + 5)
    timer.unref()
  }

  return {
    start() {
      if (scheduled.length === 0 || !stopped) return
      stopped = false
      try {
        tick()
      } catch (error) {
        options.onError(error)
      }
      arm()
    },
    tick,
    stop() {
      stopped = true
      clearTimeout(timer)
    },
  }
}

/**
 * The latest slot at or before `now` (croner's previousRuns excludes the current second and drops milliseconds).
 *
 * @example
 * latestSlot(new Cron('0 * * * *', { paused: true }), new Date('2026-01-01T08:30:00Z')) // 2026-01-01T08:00:00Z
 */
export function latestSlot(cron: Cron, now: Date): Date | undefined {
  return cron.previousRuns(1, new Date(Math.floor(now.getTime() / 1000) * 1000 + 1000))[0]
}

/**
 * A slot's key: its wall time in the job's zone, to the second (`2026-10-25T02:30:00`).
 *
 * @example
 * slotKey(new Date('2026-10-25T00:30:00Z'), 'Europe/Paris') // '2026-10-25T02:30:00'
 */
export function slotKey(instant: Date, zone: string): string {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(instant).map((p) => [p.type, p.value]))
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`
}
