import { mkdirSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'

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
  return db
}
