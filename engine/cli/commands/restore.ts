import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { downloadBackup } from '../../runtime/backup/bucket-backups.ts'
import { readMigrations } from '../../migrate/index.ts'
import { restoreBackup } from '../../runtime/backup/restore.ts'
import { backupBucketDriver, localStorageRootOf } from './backup.ts'
import { KoyaError } from '../../shared/errors.ts'
import { parseCommandArgs } from '../args.ts'
import type { Command } from '../command.ts'
import { databaseEncryptionOf, databasePath } from '../database-path.ts'
import { colors, type CliIO } from '../io.ts'
import { withProjectEnv } from '../secrets-env.ts'

export const restoreCommand: Command = {
  usage: `koyalite restore <file> [--to file | --db file] [--force]
       koyalite restore --from <bucket>/koya-backup-<instant> [--to file | --db file] [--force]

  Restores a backup made by \`koyalite backup\`: the archive is checked (its manifest, the
  database's SHA-256 and integrity_check), its migrations compared with the project's, and the
  database swapped in atomically. A database that exists is replaced only with --force and is
  kept beside as <file>.pre-restore-<instant>; one a running process holds open is never
  replaced. Migrations the backup predates are listed: \`koyalite migrate up\` applies them.
  Storage objects in the backup replace the local storage tree ($KOYA_STORAGE_DIR, else
  storage/ beside the database), whose old copy is kept as <dir>.pre-restore-<instant>.

  --from <key> a backup \`koyalite backup --to <bucket>\` wrote, read through the storage driver
               (local or S3); the bucket's own folder is kept as it is
  --to, --db <file>
               the database to restore into (default: $KOYA_DB, else ./data/koya.db)
  --force      replace an existing database`,
  async run(args, processIo) {
    const io = await withProjectEnv(processIo, { dev: false })
    const { values, positionals } = parseCommandArgs('restore', args, { db: { type: 'string' }, to: { type: 'string' }, force: { type: 'boolean' }, from: { type: 'string' } })
    if (values.to !== undefined && values.db !== undefined && values.to !== values.db) {
      throw new KoyaError('KL_CLI_USAGE', '--to and --db both name the database to restore into, differently.', { hint: 'Give one of them.' })
    }
    const given = positionals[0]
    if ((given === undefined) === (values.from === undefined) || positionals.length > 1) throw new KoyaError('KL_CLI_USAGE', 'restore needs one backup: a file, or --from <bucket>/<key>.', { hint: 'koyalite restore data/backups/koya-backup-….tar.gz' })
    const file = databasePath(io, values.to ?? values.db)
    if (file === ':memory:') throw new KoyaError('KL_CLI_USAGE', 'restore needs a database file, not :memory:.', { hint: 'Pass --db <file>.' })
    const bucket = values.from?.split('/')[0]
    const staging = values.from === undefined ? undefined : mkdtempSync(path.join(os.tmpdir(), 'koya-restore-from-'))
    try {
      let archive = given
      if (values.from !== undefined) {
        const driver = await backupBucketDriver(io, file, bucket!)
        archive = path.join(staging!, 'backup.tar.gz')
        try {
          await downloadBackup(driver, values.from, archive)
        } finally {
          await driver.close()
        }
      }
      return await restoreFrom(io, archive!, file, values.force ?? false, bucket)
    } finally {
      if (staging !== undefined) rmSync(staging, { recursive: true, force: true })
    }
  },
}

async function restoreFrom(io: CliIO, archive: string, file: string, force: boolean, bucket: string | undefined): Promise<number> {
  const known = readMigrations(io.cwd).migrations.map((m) => m.id)
  const encryption = databaseEncryptionOf(io)
  const storage = localStorageRootOf(file, io.env, io.cwd)
  const report = await restoreBackup(path.resolve(io.cwd, archive), file, { force, knownMigrations: known, ...(encryption === undefined ? {} : { encryption }), ...(storage !== undefined ? { storage } : {}), ...(bucket !== undefined ? { keepStorage: [bucket] } : {}) })
  const c = colors(io)
  io.out(`${c.green('✓')} restored ${c.bold(path.relative(io.cwd, file) || file)} from the backup of ${report.manifest.createdAt}${report.manifest.app ? ` (${report.manifest.app})` : ''}`)
  if (report.keptAs !== undefined) io.out(`  the database it replaced is kept as ${path.relative(io.cwd, report.keptAs)}`)
  if (report.manifest.files !== undefined && storage !== undefined) io.out(`  ${report.manifest.files.count} storage object file(s) restored into ${path.relative(io.cwd, storage) || storage}${report.storageKeptAs !== undefined ? `; the tree they replaced is kept as ${path.relative(io.cwd, report.storageKeptAs)}` : ''}`)
  if (report.pending.length > 0) io.out(`  ${report.pending.length} migration(s) are newer than the backup: run ${c.cyan('koyalite migrate up')}`)
  return 0
}
