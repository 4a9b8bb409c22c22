import { existsSync } from 'node:fs'
import path from 'node:path'
import { backupFileName, createBackup, pruneBackups } from '../../runtime/backup/backup.ts'
import { loadModel } from '../../runtime/index.ts'
import { defaultStorageRoot } from '../../runtime/storage/drivers/index.ts'
import { KoyaError } from '../../shared/errors.ts'
import { parseCommandArgs } from '../args.ts'
import type { Command } from '../command.ts'
import { databaseOptionsOf, databasePath, openCliDatabase } from '../database-path.ts'
import { colors } from '../io.ts'
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

export const backupCommand: Command = {
  usage: `koyalite backup [--db file] [--out file | --dir dir] [--keep n]

  Writes an online, consistent backup of the database while the server keeps serving: a
  snapshot taken in one read transaction (VACUUM INTO), checked (integrity_check, row counts,
  applied migrations) before it is reported done, archived with its manifest as a gzipped tar.
  Restore it with \`koyalite restore <file>\`. The local storage driver's objects
  ($KOYA_STORAGE_DIR, else storage/ beside the database) are archived with it; with the S3
  driver, back the bucket up with the object store's own tools.

  --db <file>    the SQLite database (default: $KOYA_DB, else ./data/koya.db)
  --out <file>   the archive to write (default: <dir>/koya-backup-<instant>.tar.gz)
  --dir <dir>    where archives go (default: ./data/backups)
  --keep <n>     then keep the newest n koya-backup-*.tar.gz archives of <dir>, delete the rest`,
  async run(args, processIo) {
    const io = await withProjectEnv(processIo, { dev: false })
    const { values } = parseCommandArgs('backup', args, { db: { type: 'string' }, out: { type: 'string' }, dir: { type: 'string' }, keep: { type: 'string' } })
    if (values.out !== undefined && values.dir !== undefined) throw new KoyaError('KL_CLI_USAGE', 'backup takes --out or --dir, not both.', { hint: '--out names the archive; --dir the directory of dated archives.' })
    const keep = values.keep === undefined ? undefined : Number(values.keep)
    if (keep !== undefined && (!Number.isInteger(keep) || keep < 1)) throw new KoyaError('KL_CLI_USAGE', `--keep "${values.keep}" is not a count.`, { hint: 'Give how many archives to keep, e.g. --keep 7.' })
    const file = databasePath(io, values.db)
    if (file !== ':memory:' && !existsSync(file)) throw new KoyaError('KL_CLI_DATABASE', `There is no database at ${file}.`, { hint: 'Pass the database with --db (or KOYA_DB).' })
    const dir = path.resolve(io.cwd, values.dir ?? DEFAULT_BACKUP_DIR)
    const out = values.out !== undefined ? path.resolve(io.cwd, values.out) : path.join(dir, backupFileName(new Date()))
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
      const manifest = await createBackup(db, { out, app, ...(options.encryption === undefined ? {} : { encryption: options.encryption }), ...(storage !== undefined ? { storage } : {}) })
      const c = colors(io)
      const rows = Object.values(manifest.tables).reduce((a, b) => a + b, 0)
      io.out(`${c.green('✓')} backup ${c.bold(path.relative(io.cwd, out) || out)}: ${Object.keys(manifest.tables).length} tables, ${rows} rows, ${manifest.migrations.length} migrations, ${(manifest.bytes / 1e6).toFixed(1)} MB, integrity ok${manifest.encrypted === true ? ', encrypted' : ''}${manifest.files ? `; ${manifest.files.count} storage object file(s), ${(manifest.files.bytes / 1e6).toFixed(1)} MB` : ''}`)
      if (keep !== undefined) {
        for (const removed of pruneBackups(path.dirname(out), keep)) io.out(`  ${c.dim('−')} ${path.relative(io.cwd, removed)}`)
      }
      return 0
    } finally {
      db.close()
    }
  },
}
