import { closeSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import * as tar from 'tar'
import { KoyaError } from '../../shared/errors.ts'
import { isEncryptedFile, type SqliteDatabase } from '../../shared/sqlite.ts'
import { inspectSnapshot, sha256Of, snapshotDatabase, type BackupManifest } from './snapshot.ts'

export type { BackupManifest }

/** The two entries of a backup archive (a gzipped tar). */
const MANIFEST = 'manifest.json'
const DATABASE = 'koya.db'

/** Default archive names: `koya-backup-<instant>.tar.gz`; retention counts only these. */
export const BACKUP_PREFIX = 'koya-backup-'
export const BACKUP_SUFFIX = '.tar.gz'

export function backupFileName(at: Date): string {
  return `${BACKUP_PREFIX}${at.toISOString().replace(/[:.]/g, '-')}${BACKUP_SUFFIX}`
}

export interface CreateBackupOptions {
  /** The archive to write; its directory is created. Written under a temporary name, then renamed. */
  readonly out: string
  readonly app?: string | null
  readonly clock?: () => Date
  /** The key `db` was opened with: its snapshot is encrypted with the same key (docs/compliance.md). */
  readonly encryption?: { readonly key: string }
}

/**
 * An online backup: a consistent snapshot of the live database (`VACUUM INTO`), checked
 * (`integrity_check`, row counts, applied migrations) before it is reported done, then archived
 * with its manifest as a gzipped tar. A reader never sees a half-written archive.
 *
 * @example
 * const manifest = await createBackup(db, { out: 'data/backups/nightly.tar.gz', app: model.name })
 */
export async function createBackup(db: SqliteDatabase, options: CreateBackupOptions): Promise<BackupManifest> {
  const out = path.resolve(options.out)
  mkdirSync(path.dirname(out), { recursive: true })
  const work = mkdtempSync(path.join(path.dirname(out), '.koya-backup-'))
  try {
    const snapshot = path.join(work, DATABASE)
    snapshotDatabase(db, snapshot)
    const inspected = inspectSnapshot(snapshot, options.encryption)
    const manifest: BackupManifest = {
      format: 1,
      app: options.app ?? null,
      createdAt: (options.clock ?? (() => new Date()))().toISOString(),
      ...inspected,
      ...(options.encryption === undefined ? {} : { encrypted: true }),
      sha256: await sha256Of(snapshot),
      bytes: statSync(snapshot).size,
    }
    writeFileSync(path.join(work, MANIFEST), JSON.stringify(manifest, null, 2) + '\n')
    const partial = path.join(work, 'archive.tar.gz')
    await tar.create({ gzip: true, file: partial, cwd: work, portable: true }, [MANIFEST, DATABASE])
    syncFile(partial)
    renameSync(partial, out)
    syncFile(path.dirname(out))
    return manifest
  } catch (cause) {
    if (cause instanceof KoyaError) throw cause
    throw new KoyaError('KL_BACKUP_WRITE_FAILED', `The backup could not be written to ${out}: ${(cause as Error).message}.`, { cause })
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/**
 * Keep the newest `keep` archives named `koya-backup-*.tar.gz` in `dir` and delete the rest.
 * Other files are never touched. Returns the deleted paths.
 */
export function pruneBackups(dir: string, keep: number): string[] {
  const ours = readdirSync(dir)
    .filter((name) => name.startsWith(BACKUP_PREFIX) && name.endsWith(BACKUP_SUFFIX))
    .sort() // the instant in the name sorts as time does
  const removed = ours.slice(0, Math.max(0, ours.length - keep)).map((name) => path.join(dir, name))
  for (const file of removed) unlinkSync(file)
  return removed
}

export interface OpenedBackup {
  readonly manifest: BackupManifest
  /** The checked database, extracted into `dir`. */
  readonly database: string
}

/**
 * Extract a backup archive into `dir` and check it: only its two entries are read (no path
 * from the archive is trusted), the database must match the manifest's SHA-256 and pass
 * `integrity_check` (an encrypted one opened with `encryption`'s key).
 *
 * @throws KoyaError KL_BACKUP_CORRUPT when the archive is unreadable, incomplete or altered;
 *   KL_COMPLIANCE_DB_ENCRYPTED / KL_COMPLIANCE_WRONG_KEY for an encrypted backup without its key.
 */
export async function openBackup(file: string, dir: string, encryption?: { readonly key: string }): Promise<OpenedBackup> {
  try {
    statSync(file)
  } catch (cause) {
    throw new KoyaError('KL_BACKUP_NOT_FOUND', `There is no backup at ${file}.`, { cause })
  }
  try {
    await tar.extract({ file, cwd: dir, strict: true, filter: (entry, stat) => (entry === MANIFEST || entry === DATABASE) && 'type' in stat && stat.type === 'File' })
  } catch (cause) {
    throw new KoyaError('KL_BACKUP_CORRUPT', `${file} is not a readable backup archive: ${(cause as Error).message}.`, { cause })
  }
  const manifest = readManifest(path.join(dir, MANIFEST), file)
  const database = path.join(dir, DATABASE)
  let sha: string
  try {
    sha = await sha256Of(database)
  } catch (cause) {
    throw new KoyaError('KL_BACKUP_CORRUPT', `${file} holds no database.`, { cause })
  }
  if (sha !== manifest.sha256) throw new KoyaError('KL_BACKUP_CORRUPT', `The database in ${file} does not match its manifest (SHA-256 ${sha.slice(0, 12)}…, expected ${manifest.sha256.slice(0, 12)}…).`)
  // The key is for an encrypted snapshot only: a backup taken before `koyalite db encrypt` is plain.
  inspectSnapshot(database, isEncryptedFile(database) ? encryption : undefined)
  return { manifest, database }
}

function readManifest(file: string, archive: string): BackupManifest {
  let value: unknown
  try {
    value = JSON.parse(readFileSync(file, 'utf8'))
  } catch (cause) {
    throw new KoyaError('KL_BACKUP_CORRUPT', `${archive} has no readable manifest.json.`, { cause })
  }
  const m = value as Partial<BackupManifest> | null
  const valid =
    m !== null && typeof m === 'object' && m.format === 1 && typeof m.sha256 === 'string' && /^[0-9a-f]{64}$/.test(m.sha256) &&
    Array.isArray(m.migrations) && m.migrations.every((id) => typeof id === 'string') && typeof m.tables === 'object' && m.tables !== null
  if (!valid) throw new KoyaError('KL_BACKUP_CORRUPT', `The manifest of ${archive} is not one KoyaLite writes (format 1).`)
  return m as BackupManifest
}

/** fsync a file or directory, so a rename that follows is durable. */
export function syncFile(file: string): void {
  const fd = openSync(file, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
