import { closeSync, mkdirSync, openSync, readSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import Database from 'better-sqlite3'
import { KoyaError } from './errors.ts'
import * as sqliteVec from 'sqlite-vec'

export type SqliteDatabase = Database.Database

export interface OpenDatabaseOptions {
  /** Milliseconds a writer waits for a lock before SQLITE_BUSY. Default 5000. */
  readonly busyTimeout?: number
  readonly readonly?: boolean
  /**
   * Open (or create) the file encrypted with SQLCipher (AES-256, via better-sqlite3-multiple-ciphers,
   * loaded only then: decision 131). The file, its WAL and every copy (backups) are unreadable
   * without the key.
   */
  readonly encryption?: { readonly key: string }
  /**
   * 'full' fsyncs the WAL at every commit (a committed write survives a power loss; HIPAA mode);
   * default 'normal' (durable at checkpoints, never corrupt, with WAL).
   */
  readonly synchronous?: 'normal' | 'full'
}

/** The first 16 bytes of every unencrypted SQLite file. */
const PLAIN_HEADER = 'SQLite format 3\u0000'

/**
 * Open a SQLite database the way every part of KoyaLite expects it: WAL (readers never block the
 * writer), synchronous=NORMAL unless asked FULL (durable at checkpoints, safe with WAL), foreign keys enforced, a
 * busy timeout instead of immediate SQLITE_BUSY. Creates the file's directory.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  if (file !== ':memory:' && !options.readonly) mkdirSync(path.dirname(path.resolve(file)), { recursive: true })
  const db = options.encryption === undefined ? openPlain(file, options) : openEncrypted(file, options.encryption.key, options)
  db.pragma(`busy_timeout = ${options.busyTimeout ?? 5000}`)
  if (!options.readonly) {
    db.pragma('journal_mode = WAL')
    db.pragma(options.synchronous === 'full' ? 'synchronous = FULL' : 'synchronous = NORMAL')
  }
  db.pragma('foreign_keys = ON')
  loadVectorExtension(db)
  return db
}

function openPlain(file: string, options: OpenDatabaseOptions): SqliteDatabase {
  if (headerOf(file) !== undefined && headerOf(file) !== PLAIN_HEADER) {
    throw new KoyaError('KL_COMPLIANCE_DB_ENCRYPTED', `The database ${file} is encrypted (its header is not "SQLite format 3"), and no key was given.`)
  }
  return new Database(file, { readonly: options.readonly ?? false })
}

function openEncrypted(file: string, key: string, options: OpenDatabaseOptions): SqliteDatabase {
  if (key.length === 0) throw new KoyaError('KL_COMPLIANCE_WRONG_KEY', `The encryption key of ${file} is empty.`)
  const db = openCipherConnection(file, options.readonly ?? false)
  try {
    db.pragma(`key = ${quoteKey(key)}`)
    db.prepare('SELECT count(*) FROM "sqlite_master"').get()
  } catch (cause) {
    db.close()
    const plain = headerOf(file) === PLAIN_HEADER
    throw new KoyaError(
      'KL_COMPLIANCE_WRONG_KEY',
      plain ? `The database ${file} is not encrypted, but a key was given.` : `The key does not open the database ${file}.`,
      { cause, ...(plain ? { hint: 'Encrypt it first: koyalite db encrypt (docs/compliance.md).' } : {}) },
    )
  }
  return db as unknown as SqliteDatabase
}

/** A SQLCipher-4-configured connection of better-sqlite3-multiple-ciphers, before any key. */
function openCipherConnection(file: string, readonly: boolean): SqliteDatabase {
  // Loaded only when asked for: the default path keeps better-sqlite3 (decision 131).
  const Cipher = createRequire(import.meta.url)('better-sqlite3-multiple-ciphers') as typeof Database
  const db = new Cipher(file, { readonly })
  db.pragma(`cipher = 'sqlcipher'`)
  db.pragma('legacy = 4')
  return db
}

/** A key as a quoted SQL literal: pragmas take no parameters. */
function quoteKey(key: string): string {
  return `'${key.replaceAll("'", "''")}'`
}

/**
 * Re-encrypt a database file in place: from `from` (undefined: plain) to `to` (undefined: plain).
 * Not crash-safe on its own: run it on a copy that nothing else holds, then swap the copy in
 * (runtime/compliance/database-cipher.ts). The file keeps WAL mode.
 *
 * @throws KoyaError KL_COMPLIANCE_WRONG_KEY when `from` does not open the file.
 */
export function rekeyDatabaseFile(file: string, from: string | undefined, to: string | undefined): void {
  const db = from === undefined ? openCipherConnection(file, false) : openEncrypted(file, from, {})
  try {
    // SQLite3 Multiple Ciphers changes a key only outside WAL mode.
    db.pragma('journal_mode = DELETE')
    db.pragma(`rekey = ${quoteKey(to ?? '')}`)
    db.pragma('journal_mode = WAL')
  } finally {
    db.close()
  }
}

/** Whether the file exists and is not a plain SQLite file (its header is not "SQLite format 3"). */
export function isEncryptedFile(file: string): boolean {
  const header = headerOf(file)
  return header !== undefined && header !== PLAIN_HEADER
}

/** The file's first 16 bytes, or undefined for a missing or empty file (and :memory:). */
function headerOf(file: string): string | undefined {
  if (file === ':memory:' || file === '') return undefined
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch {
    return undefined
  }
  try {
    const buffer = Buffer.alloc(16)
    const read = readSync(fd, buffer, 0, 16, 0)
    return read === 0 ? undefined : buffer.subarray(0, read).toString('latin1')
  } finally {
    closeSync(fd)
  }
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
