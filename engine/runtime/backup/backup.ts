import { closeSync, cpSync, existsSync, fsyncSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import * as tar from 'tar'
import { KoyaError } from '../../shared/errors.ts'
import { isEncryptedFile, type SqliteDatabase } from '../../shared/sqlite.ts'
import { inspectSnapshot, sha256Of, snapshotDatabase, type BackupManifest } from './snapshot.ts'

export type { BackupManifest }

/** The two entries of a backup archive (a gzipped tar). */
const MANIFEST = 'manifest.json'
const DATABASE = 'koya.db'
/** The local storage objects, a directory tree under this name (archives since storage landed). */
const STORAGE = 'storage'

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
  /** The local storage driver's root: its objects go into the archive after the snapshot. Absent or missing: none. */
  readonly storage?: string
  /** Top-level folders of `storage` (buckets) left out: the bucket backups are written to, which would otherwise archive every older backup. */
  readonly excludeStorage?: readonly string[]
}

/**
 * An online backup: a consistent snapshot of the live database (`VACUUM INTO`), checked
 * (`integrity_check`, row counts, applied migrations) before it is reported done, then archived
 * with its manifest as a gzipped tar. A reader never sees a half-written archive. With `storage`,
 * the local storage objects are copied in after the snapshot: an object uploaded meanwhile is one
 * no row names yet (harmless); the local driver writes each object whole (temp file, rename).
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
    const files = options.storage !== undefined && existsSync(options.storage) ? copyStorage(options.storage, path.join(work, STORAGE), options.excludeStorage ?? []) : undefined
    writeFileSync(path.join(work, MANIFEST), JSON.stringify(files === undefined ? manifest : { ...manifest, files }, null, 2) + '\n')
    const partial = path.join(work, 'archive.tar.gz')
    await tar.create({ gzip: true, file: partial, cwd: work, portable: true }, files === undefined ? [MANIFEST, DATABASE] : [MANIFEST, DATABASE, STORAGE])
    syncFile(partial)
    renameSync(partial, out)
    syncFile(path.dirname(out))
    return files === undefined ? manifest : { ...manifest, files }
  } catch (cause) {
    if (cause instanceof KoyaError) throw cause
    throw new KoyaError('KL_BACKUP_WRITE_FAILED', `The backup could not be written to ${out}: ${(cause as Error).message}.`, { cause })
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/** The local driver's folders of uploads not finished yet. */
const IN_FLIGHT = new Set(['.tmp', '.resumable'])

/**
 * Copy the storage tree: folders and regular files only (no links), without the local driver's
 * `.tmp` folder of uploads in flight nor the `.resumable` one of unfinished tus uploads (a
 * client resumes those against the live server, not a restored one). Its count and bytes, for
 * the manifest.
 */
function copyStorage(from: string, to: string, exclude: readonly string[]): { count: number; bytes: number } {
  const excluded = new Set(exclude.map((name) => path.join(from, name)))
  const plain = (source: string) => {
    try {
      const stat = lstatSync(source)
      return stat.isDirectory() || stat.isFile()
    } catch {
      return false // deleted while the copy ran
    }
  }
  cpSync(from, to, { recursive: true, filter: (source) => !IN_FLIGHT.has(path.basename(source)) && !excluded.has(source) && plain(source) })
  return countFiles(to)
}

function countFiles(dir: string): { count: number; bytes: number } {
  let count = 0
  let bytes = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue
    count++
    bytes += statSync(path.join(entry.parentPath, entry.name)).size
  }
  return { count, bytes }
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
  /** The storage objects' tree, extracted into `dir`, when the backup has them (manifest.files). */
  readonly storage: string | undefined
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
    // Only the manifest, the database and plain files and folders under storage/: no link, device
    // or path leaving dir (node-tar also refuses `..` and absolute paths).
    const wanted = (entry: string, type: string) =>
      ((entry === MANIFEST || entry === DATABASE) && type === 'File') ||
      ((entry === STORAGE || entry === `${STORAGE}/` || entry.startsWith(`${STORAGE}/`)) && !entry.split('/').includes('..') && (type === 'File' || type === 'Directory'))
    await tar.extract({ file, cwd: dir, strict: true, filter: (entry, stat) => 'type' in stat && wanted(entry, stat.type) })
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
  const storage = path.join(dir, STORAGE)
  if (manifest.files !== undefined) {
    const found = existsSync(storage) ? countFiles(storage) : { count: 0, bytes: 0 }
    if (found.count !== manifest.files.count || found.bytes !== manifest.files.bytes) {
      throw new KoyaError('KL_BACKUP_CORRUPT', `The storage objects in ${file} do not match its manifest (${found.count} files, ${found.bytes} bytes; expected ${manifest.files.count} and ${manifest.files.bytes}).`)
    }
  }
  return { manifest, database, storage: manifest.files !== undefined ? storage : undefined }
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
