import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { listBucketBackups, pruneBucketBackups, uploadBackup } from '../../runtime/backup/bucket-backups.ts'
import type { StorageDriver } from '../../runtime/storage/driver.ts'
import { backupFileName, createBackup, pruneBackups } from '../../runtime/backup/backup.ts'
import { loadModel } from '../../runtime/index.ts'
import { createStorageDriver, defaultStorageRoot } from '../../runtime/storage/drivers/index.ts'
import { KoyaError } from '../../shared/errors.ts'
import { parseCommandArgs } from '../args.ts'
import type { Command } from '../command.ts'
import { databaseOptionsOf, databasePath, openCliDatabase } from '../database-path.ts'
import { colors, type CliIO } from '../io.ts'
import { withProjectEnv } from '../secrets-env.ts'

export const DEFAULT_BACKUP_DIR = './data/backups'

/**
 * The local storage driver's root for the database `file` (`$KOYA_STORAGE_DIR`, else `storage/`
 * beside it), which backup and restore carry; undefined under the S3 driver (its bucket is
 * backed up by the object store) and for an in-memory database.
 */
export function localStorageRootOf(file: string, env: Readonly<Record<string, string | undefined>>, cwd: string): string | undefined {
  if (file === ':memory:' || (env.KOYA_STORAGE_DRIVER ?? 'local') !== 'local') return undefined
  return path.resolve(cwd, defaultStorageRoot(file, env))
}

/**
 * The storage driver the server would use for the database `file` (local or S3, from the
 * environment), and the bucket checked against the app's declared buckets.
 */
export async function backupBucketDriver(io: CliIO, file: string, bucket: string): Promise<StorageDriver> {
  let buckets: readonly string[] = []
  try {
    buckets = (loadModel(io.cwd).buckets ?? []).map((b) => b.name)
  } catch {
    // no generated app here: the bucket cannot be checked
  }
  if (!buckets.includes(bucket)) {
    throw new KoyaError('KL_CLI_USAGE', `"${bucket}" is not a bucket of this app.`, { hint: `Declare it in koyalite.ts (storage: { ${/^[a-z][a-z0-9-]*$/.test(bucket) ? bucket : 'backups'}: bucket({ maxSize: '10GB' }) }: no access rule, so only the service key reads it) and run koyalite generate.` })
  }
  return createStorageDriver(io.env, path.resolve(io.cwd, defaultStorageRoot(file, io.env)))
}

export const backupCommand: Command = {
  usage: `koyalite backup [--db file] [--out file | --dir dir | --to bucket] [--keep n]
       koyalite backup --list <bucket>

  Writes an online, consistent backup of the database while the server keeps serving: a
  snapshot taken in one read transaction (VACUUM INTO), checked (integrity_check, row counts,
  applied migrations) before it is reported done, archived with its manifest as a gzipped tar.
  Restore it with \`koyalite restore <file>\`. The local storage driver's objects
  ($KOYA_STORAGE_DIR, else storage/ beside the database) are archived with it; with the S3
  driver, back the bucket up with the object store's own tools.

  --db <file>    the SQLite database (default: $KOYA_DB, else ./data/koya.db)
  --out <file>   the archive to write (default: <dir>/koya-backup-<instant>.tar.gz)
  --dir <dir>    where archives go (default: ./data/backups)
  --to <bucket>  write the archive to a storage bucket of the app, through the storage driver
                 (local or S3, as the server's), as <bucket>/koya-backup-<instant>; that bucket
                 is left out of the archived storage objects
  --keep <n>     then keep the newest n koya-backup-*.tar.gz archives of <dir> (or backups of
                 the bucket), delete the rest
  --list <bucket>  the backups in a bucket, oldest first (restore --from takes their keys)`,
  async run(args, processIo) {
    const io = await withProjectEnv(processIo, { dev: false })
    const { values } = parseCommandArgs('backup', args, { db: { type: 'string' }, out: { type: 'string' }, dir: { type: 'string' }, keep: { type: 'string' }, to: { type: 'string' }, list: { type: 'string' } })
    if ([values.out, values.dir, values.to].filter((v) => v !== undefined).length > 1) throw new KoyaError('KL_CLI_USAGE', 'backup takes one of --out, --dir and --to.', { hint: '--out names the archive; --dir the directory of dated archives; --to a storage bucket.' })
    if (values.list !== undefined) {
      const driver = await backupBucketDriver(io, databasePath(io, values.db), values.list)
      const entries = await listBucketBackups(driver, values.list)
      await driver.close()
      if (entries.length === 0) io.out(`no backups in ${values.list}`)
      for (const e of entries) io.out(`${e.key}  ${e.createdAt}  ${(e.bytes / 1e6).toFixed(1)} MB${e.encrypted ? '  encrypted' : ''}`)
      return 0
    }
    const keep = values.keep === undefined ? undefined : Number(values.keep)
    if (keep !== undefined && (!Number.isInteger(keep) || keep < 1)) throw new KoyaError('KL_CLI_USAGE', `--keep "${values.keep}" is not a count.`, { hint: 'Give how many archives to keep, e.g. --keep 7.' })
    const file = databasePath(io, values.db)
    if (file !== ':memory:' && !existsSync(file)) throw new KoyaError('KL_CLI_DATABASE', `There is no database at ${file}.`, { hint: 'Pass the database with --db (or KOYA_DB).' })
    const dir = path.resolve(io.cwd, values.dir ?? DEFAULT_BACKUP_DIR)
    const driver = values.to === undefined ? undefined : await backupBucketDriver(io, file, values.to)
    // To a bucket: the archive is written beside the system's temp files, uploaded, then removed.
    const staging = driver === undefined ? undefined : mkdtempSync(path.join(os.tmpdir(), 'koya-backup-to-'))
    const out = staging !== undefined ? path.join(staging, backupFileName(new Date())) : values.out !== undefined ? path.resolve(io.cwd, values.out) : path.join(dir, backupFileName(new Date()))
    const options = databaseOptionsOf(io)
    const db = openCliDatabase(file, options)
    let app: string | null = null
    try {
      app = loadModel(io.cwd).name
    } catch {
      // A database backed up outside its project: the manifest says no app.
    }
    try {
      const storage = localStorageRootOf(file, io.env, io.cwd)
      const manifest = await createBackup(db, { out, app, ...(options.encryption === undefined ? {} : { encryption: options.encryption }), ...(storage !== undefined ? { storage } : {}), ...(values.to !== undefined ? { excludeStorage: [values.to] } : {}) })
      const c = colors(io)
      const rows = Object.values(manifest.tables).reduce((a, b) => a + b, 0)
      io.out(`${c.green('✓')} backup ${c.bold(path.relative(io.cwd, out) || out)}: ${Object.keys(manifest.tables).length} tables, ${rows} rows, ${manifest.migrations.length} migrations, ${(manifest.bytes / 1e6).toFixed(1)} MB, integrity ok${manifest.encrypted === true ? ', encrypted' : ''}${manifest.files ? `; ${manifest.files.count} storage object file(s), ${(manifest.files.bytes / 1e6).toFixed(1)} MB` : ''}`)
      if (driver !== undefined) {
        const entry = await uploadBackup(driver, values.to!, out, manifest)
        io.out(`  written to ${c.bold(entry.key)} (${driver.kind === 'local' ? 'local storage' : 'S3'}); restore it with koyalite restore --from ${entry.key}`)
        if (keep !== undefined) for (const removed of await pruneBucketBackups(driver, values.to!, keep)) io.out(`  ${c.dim('−')} ${removed}`)
      } else if (keep !== undefined) {
        for (const removed of pruneBackups(path.dirname(out), keep)) io.out(`  ${c.dim('−')} ${path.relative(io.cwd, removed)}`)
      }
      return 0
    } finally {
      db.close()
      await driver?.close()
      if (staging !== undefined) rmSync(staging, { recursive: true, force: true })
    }
  },
}
