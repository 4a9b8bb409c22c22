import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { JobIR, ProjectIR } from '../../ir/project-ir.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import type { Env } from '../auth/auth-settings.ts'
import type { Queue } from '../queue/index.ts'
import { jobKind } from '../jobs/job-kinds.ts'
import { createStorageDriver } from '../storage/drivers/index.ts'
import { backupFileName, createBackup, pruneBackups } from './backup.ts'
import { pruneBucketBackups, uploadBackup } from './bucket-backups.ts'

/** The built-in job's name; a user's job names are identifiers, so this one cannot clash. */
export const BACKUP_JOB = '_koya_backup'

/**
 * The backup job as the cron scheduler sees it (`defineConfig({ backups })`): one queue row per
 * slot across every process on the database, as for a user's `job({ cron })`; undefined when
 * backups are not configured.
 *
 * @example
 * const jobs = [...(model.jobs ?? []), ...(backupJobOf(model) ?? [])]
 */
export function backupJobOf(model: Pick<ProjectIR, 'backups'>): JobIR | undefined {
  const backups = model.backups
  if (backups === undefined) return undefined
  // One attempt more than the default would be one more full copy of the database: two retries.
  return { name: BACKUP_JOB, cron: backups.schedule, timezone: backups.timezone, retry: { attempts: 3, initialDelayMs: 60_000, maxDelayMs: 600_000 }, timeoutMs: null, concurrency: 1 }
}

export interface BackupJobDeps {
  readonly model: ProjectIR
  readonly db: SqliteDatabase
  readonly env: Env
  /** The local storage driver's root, when the app has buckets (its objects go into the archive). */
  readonly storageRoot: () => string | undefined
}

/**
 * Define the backup job's kind on the queue: an online snapshot of the server's own connection
 * (`VACUUM INTO`, checked by integrity_check, with its manifest: runtime/backup/backup.ts), with
 * the local storage objects, written to the configured bucket through the storage driver (the
 * bucket's folder left out of the archive) or to `backups/` beside the database; then the newest
 * `keep` are kept. The run's result names the archive.
 *
 * @example
 * defineBackupJob(queue, { model, db, env, storageRoot: () => root })
 */
export function defineBackupJob(queue: Queue, deps: BackupJobDeps): void {
  const backups = deps.model.backups
  if (backups === undefined) return
  queue.define({
    name: jobKind(BACKUP_JOB),
    retry: { attempts: 3, initialDelayMs: 60_000, maxDelayMs: 600_000 },
    timeoutMs: null,
    concurrency: 1,
    rateLimit: null,
    async run() {
      const file = deps.db.name
      const keyEnv = deps.model.database?.encryption?.key.env
      const key = keyEnv === undefined ? undefined : deps.env[keyEnv]
      const encryption = key === undefined || key === '' ? undefined : { key }
      const storage = deps.storageRoot()
      const base = { app: deps.model.name, ...(encryption === undefined ? {} : { encryption }), ...(storage !== undefined && (deps.env.KOYA_STORAGE_DRIVER ?? 'local') === 'local' ? { storage } : {}) }
      if (backups.to === null) {
        const dir = path.join(path.dirname(path.resolve(file)), 'backups')
        const out = path.join(dir, backupFileName(new Date()))
        const manifest = await createBackup(deps.db, { ...base, out })
        const removed = backups.keep === null ? [] : pruneBackups(dir, backups.keep)
        return { archive: out, bytes: manifest.bytes, tables: Object.keys(manifest.tables).length, removed: removed.length }
      }
      const staging = mkdtempSync(path.join(os.tmpdir(), 'koya-backup-job-'))
      const driver = await createStorageDriver(deps.env, storage ?? path.join(path.dirname(path.resolve(file)), 'storage'))
      try {
        const out = path.join(staging, backupFileName(new Date()))
        const manifest = await createBackup(deps.db, { ...base, out, excludeStorage: [backups.to] })
        const entry = await uploadBackup(driver, backups.to, out, manifest)
        const removed = backups.keep === null ? [] : await pruneBucketBackups(driver, backups.to, backups.keep)
        return { archive: entry.key, bytes: entry.bytes, tables: Object.keys(manifest.tables).length, removed: removed.length }
      } finally {
        await driver.close()
        rmSync(staging, { recursive: true, force: true })
      }
    },
  })
}
