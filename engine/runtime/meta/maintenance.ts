import { KoyaError } from '../../shared/errors.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import type { WriteEvents } from '../data/write-events.ts'
import { readProject } from './project-record.ts'

/** How often a server reads the maintenance flag that another process (the CLI, another server) may set. */
export const MAINTENANCE_POLL_MS = 500

/**
 * Maintenance mode: while it is on, every write of application rows through the data layer is
 * rolled back with 503 KL_API_MAINTENANCE (reads go on). It is a transaction-phase write
 * subscriber that exists only while the mode is on, so writes cost nothing otherwise. The flag
 * lives in `_koya_project` (set by `koyalite maintenance on`, `POST /admin/maintenance`, or
 * forced by KOYA_MAINTENANCE=on) and is read every MAINTENANCE_POLL_MS.
 */
export function createMaintenanceGuard(db: SqliteDatabase, events: WriteEvents, forced: boolean, onError: (error: unknown) => void) {
  let stop: (() => void) | undefined
  let reason: string | null = null
  const apply = (on: boolean, why: string | null) => {
    reason = why
    if (on && stop === undefined) {
      stop = events.subscribe({
        phase: 'transaction',
        handle() {
          throw new KoyaError('KL_API_MAINTENANCE', `The app is in maintenance mode${reason ? ` (${reason})` : ''}: writes are refused for now.`, {
            hint: 'Retry later; reads still work. An operator ends it with `koyalite maintenance off`.',
            details: { retryAfterSeconds: 30 },
          })
        },
      })
    } else if (!on && stop !== undefined) {
      stop()
      stop = undefined
    }
  }
  const refresh = () => {
    const project = readProject(db)
    apply(forced || project?.maintenance === true, project?.maintenanceReason ?? (forced ? 'KOYA_MAINTENANCE' : null))
  }
  let timer: ReturnType<typeof setInterval> | undefined
  return {
    refresh,
    start() {
      refresh()
      // A timer's throw would end the process: a failed read (the database busy) keeps the
      // last known state and is logged; the next poll tries again.
      timer = setInterval(() => {
        try {
          refresh()
        } catch (error) {
          onError(error)
        }
      }, MAINTENANCE_POLL_MS)
      timer.unref()
    },
    close() {
      if (timer !== undefined) clearInterval(timer)
      apply(false, null)
    },
  }
}
