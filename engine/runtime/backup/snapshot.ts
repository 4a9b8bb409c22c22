import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { KoyaError } from '../../shared/errors.ts'
import { quoteIdent } from '../../shared/sql-text.ts'
import { openDatabase, type SqliteDatabase } from '../../shared/sqlite.ts'

/** What a backup says of itself (`manifest.json` beside `koya.db` in the archive). */
export interface BackupManifest {
  readonly format: 1
  /** The app's name (model.json), when known. */
  readonly app: string | null
  readonly createdAt: string
  /** The SQLite version that wrote the snapshot. */
  readonly sqlite: string
  /** Ids of the migrations applied to the snapshot, in order: its schema version. */
  readonly migrations: readonly string[]
  /** Rows per table in the snapshot (system tables included). */
  readonly tables: Readonly<Record<string, number>>
  /** SHA-256 (hex) and size of `koya.db`. */
  readonly sha256: string
  readonly bytes: number
  /** true when `koya.db` is encrypted (SQLCipher, the database's own key); absent when plain. */
  readonly encrypted?: boolean
  /** The local storage objects under `storage/` (files and their thumbnails); absent when none were backed up. */
  readonly files?: { readonly count: number; readonly bytes: number }
}

/**
 * A consistent copy of the live database in `file`, taken with `VACUUM INTO`: one read
 * transaction, so the server keeps serving and writing (WAL readers never block writers) and the
 * copy is the database as of one instant, compacted. SQLite's backup API would restart its copy
 * each time another connection writes, which under steady writes may never finish.
 */
export function snapshotDatabase(db: SqliteDatabase, file: string): void {
  try {
    db.prepare('VACUUM INTO ?').run(file)
  } catch (cause) {
    throw new KoyaError('KL_BACKUP_WRITE_FAILED', `The snapshot could not be written to ${file}: ${(cause as Error).message}.`, { cause })
  }
}

/**
 * Open a snapshot read-only and check it: `PRAGMA integrity_check` must answer ok. Answers what
 * the manifest records of it (row counts, applied migrations). A snapshot of an encrypted
 * database is encrypted with the same key: pass it.
 *
 * @throws KoyaError KL_BACKUP_CORRUPT when the file is not a sound SQLite database;
 *   KL_COMPLIANCE_DB_ENCRYPTED / KL_COMPLIANCE_WRONG_KEY when it is encrypted and the key is missing or wrong.
 */
export function inspectSnapshot(file: string, encryption?: { readonly key: string }): Pick<BackupManifest, 'migrations' | 'tables' | 'sqlite'> {
  let db: SqliteDatabase | undefined
  try {
    db = openDatabase(file, { readonly: true, ...(encryption === undefined ? {} : { encryption }) })
    return inspectConnection(db)
  } catch (cause) {
    if (cause instanceof KoyaError) throw cause
    throw new KoyaError('KL_BACKUP_CORRUPT', `The database in the backup cannot be read: ${(cause as Error).message}.`, { cause })
  } finally {
    db?.close()
  }
}

/**
 * Check an open database (`integrity_check` must answer ok) and count what it holds.
 *
 * @throws KoyaError KL_BACKUP_CORRUPT when the integrity check fails.
 */
export function inspectConnection(db: SqliteDatabase): Pick<BackupManifest, 'migrations' | 'tables' | 'sqlite'> {
  const problems = db.prepare('PRAGMA integrity_check').pluck().all() as string[]
  if (problems.length !== 1 || problems[0] !== 'ok') {
    throw new KoyaError('KL_BACKUP_CORRUPT', `The database in the backup failed its integrity check: ${problems.slice(0, 3).join('; ')}.`)
  }
  const names = db.prepare(`SELECT "name" FROM "sqlite_schema" WHERE "type" = 'table' AND "name" NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY "name"`).pluck().all() as string[]
  const tables: Record<string, number> = {}
  for (const name of names) tables[name] = db.prepare(`SELECT count(*) FROM ${quoteIdent(name)}`).pluck().get() as number
  const migrations = names.includes('_koya_migrations') ? (db.prepare('SELECT "id" FROM "_koya_migrations" ORDER BY "id"').pluck().all() as string[]) : []
  const sqlite = db.prepare('SELECT sqlite_version()').pluck().get() as string
  return { migrations, tables, sqlite }
}

/** The SHA-256 (hex) of a file, streamed. */
export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}
