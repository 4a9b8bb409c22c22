import { mkdirSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import * as sqliteVec from 'sqlite-vec'

export type SqliteDatabase = Database.Database

export interface OpenDatabaseOptions {
  /** Milliseconds a writer waits for a lock before SQLITE_BUSY. Default 5000. */
  readonly busyTimeout?: number
  readonly readonly?: boolean
}

/**
 * Open a SQLite database the way every part of KoyaLite expects it: WAL (readers never block the
 * writer), synchronous=NORMAL (durable at checkpoints, safe with WAL), foreign keys enforced, a
 * busy timeout instead of immediate SQLITE_BUSY. Creates the file's directory.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  if (file !== ':memory:' && !options.readonly) mkdirSync(path.dirname(path.resolve(file)), { recursive: true })
  const db = new Database(file, { readonly: options.readonly ?? false })
  db.pragma(`busy_timeout = ${options.busyTimeout ?? 5000}`)
  if (!options.readonly) {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
  }
  db.pragma('foreign_keys = ON')
  loadVectorExtension(db)
  return db
}

/**
 * Load sqlite-vec (`vec0` tables, `vec_distance_cosine`) into a connection: every connection that
 * reads or writes a table's vector index needs it. Where the platform has no build of it (the npm
 * package ships Linux, macOS and Windows on x64/arm64), the connection works without it and a
 * semantic search answers KL_SEARCH_NOT_CONFIGURED.
 *
 * @example
 * const db = new Database(':memory:')
 * loadVectorExtension(db) // true
 */
export function loadVectorExtension(db: SqliteDatabase): boolean {
  try {
    sqliteVec.load(db)
    return true
  } catch {
    return false
  }
}
