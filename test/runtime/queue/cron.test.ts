import { describe, expect, it } from 'vitest'
import type { JobIR } from '../../../engine/ir/project-ir.ts'
import { createCronScheduler, slotKey } from '../../../engine/runtime/jobs/cron-scheduler.ts'
import { jobsModule } from '../../../engine/runtime/jobs/jobs-module.ts'
import { createQueue, QUEUE_MIGRATIONS } from '../../../engine/runtime/queue/index.ts'
import { applySystemSchema } from '../../../engine/runtime/system/system-schema.ts'
import { openDatabase } from '../../../engine/shared/sqlite.ts'

/**
 * The cron scheduler against a clock stepped through time: which slots become runs, across a
 * restart, and at the daylight-saving changes of a job's time zone.
 */
function job(cron: string, timezone: string | null = null): JobIR {
  return { name: 'j', cron, timezone, retry: null, timeoutMs: null, concurrency: null }
}

/** Step a clock from `from` to `to` every `stepMs`, ticking a scheduler (a new one per `restartEvery` steps, as after a restart); the runs' slots. */
function slotsOver(def: JobIR, from: string, to: string, stepMs: number): string[] {
  const db = openDatabase(':memory:')
  applySystemSchema(db, [...QUEUE_MIGRATIONS, ...jobsModule.systemMigrations])
  let now = new Date(from)
  const queue = createQueue(db, { clock: () => now })
  const scheduler = createCronScheduler({ db, queue, jobs: [def], clock: () => now, onError: (e) => { throw e } })
  for (; now.getTime() <= Date.parse(to); now = new Date(now.getTime() + stepMs)) scheduler.tick()
  const slots = (db.prepare('SELECT "slot" FROM "_koya_jobs" ORDER BY "runAt"').all() as { slot: string }[]).map((r) => r.slot)
  db.close()
  return slots
}

describe('cron slots', () => {
  it('keys a slot by its wall time in the job\'s zone', () => {
    expect(slotKey(new Date('2026-10-25T00:30:00Z'), 'Europe/Paris')).toBe('2026-10-25T02:30:00')
    expect(slotKey(new Date('2026-10-25T01:30:00Z'), 'Europe/Paris')).toBe('2026-10-25T02:30:00')
    expect(slotKey(new Date('2026-01-01T08:00:00Z'), 'UTC')).toBe('2026-01-01T08:00:00')
  })

  it('takes the current slot as handled on the very first start, then runs each later slot once', () => {
    expect(slotsOver(job('0 * * * *'), '2026-01-01T08:30:00Z', '2026-01-01T11:10:00Z', 60_000)).toEqual(['2026-01-01T09:00:00', '2026-01-01T10:00:00', '2026-01-01T11:00:00'])
  })

  it('collapses slots missed while no process ran into one run', () => {
    // Ticks every 5 hours: each tick finds several hourly slots due, and enqueues only the latest.
    expect(slotsOver(job('0 * * * *'), '2026-01-01T00:30:00Z', '2026-01-01T15:30:00Z', 5 * 3_600_000)).toEqual(['2026-01-01T05:00:00', '2026-01-01T10:00:00', '2026-01-01T15:00:00'])
  })

  it('spring-forward: a daily 02:30 in Paris, which does not exist that night, runs once, at 03:00', () => {
    const slots = slotsOver(job('30 2 * * *', 'Europe/Paris'), '2026-03-27T12:00:00Z', '2026-03-30T12:00:00Z', 60_000)
    expect(slots).toEqual(['2026-03-28T02:30:00', '2026-03-29T03:00:00', '2026-03-30T02:30:00'])
  })

  it('fall-back: a daily 02:30 in Paris, which happens twice that night, runs once', () => {
    const slots = slotsOver(job('30 2 * * *', 'Europe/Paris'), '2026-10-24T12:00:00Z', '2026-10-26T12:00:00Z', 60_000)
    expect(slots).toEqual(['2026-10-25T02:30:00', '2026-10-26T02:30:00'])
  })

  it('fall-back: an hourly job runs once for the repeated 02:30 and once for every other hour', () => {
    const slots = slotsOver(job('30 * * * *', 'Europe/Paris'), '2026-10-24T22:00:00Z', '2026-10-25T04:00:00Z', 60_000)
    expect(slots).toEqual(['2026-10-25T00:30:00', '2026-10-25T01:30:00', '2026-10-25T02:30:00', '2026-10-25T03:30:00', '2026-10-25T04:30:00'])
  })

  it('accepts 6-field expressions (seconds first)', () => {
    expect(slotsOver(job('*/20 * * * * *'), '2026-01-01T00:00:01Z', '2026-01-01T00:01:00Z', 1000)).toEqual(['2026-01-01T00:00:20', '2026-01-01T00:00:40', '2026-01-01T00:01:00'])
  })
})
