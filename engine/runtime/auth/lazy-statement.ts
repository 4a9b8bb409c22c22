import type Database from 'better-sqlite3'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import { statementsOf } from '../data/statement-cache.ts'

type Statement = Database.Statement<unknown[]>

/**
 * A statement prepared on first use, from the connection's one statement cache (statementsOf).
 * SQLite refuses to prepare a write to a table whose foreign key names a missing table
 * (`_koya_sessions` → `users` before the app's first migration, or in an app without
 * table.users), so preparing at start would stop a server that never uses it.
 */
export function lazyStatement(db: SqliteDatabase, sql: string): () => Statement {
  return () => statementsOf(db).prepared(sql)
}
