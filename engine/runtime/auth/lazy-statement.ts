import type { SqliteDatabase } from '../../shared/sqlite.ts'
import { statementsOf } from '../data/statement-cache.ts'

/** A statement of the connection's one cache, run through it (so it is timed and traced when observed). */
export interface LazyStatement {
  all(...parameters: unknown[]): unknown[]
  run(...parameters: unknown[]): { changes: number }
}

/**
 * A statement prepared on first use, from the connection's one statement cache (statementsOf).
 * SQLite refuses to prepare a write to a table whose foreign key names a missing table
 * (`_koya_sessions` → `users` before the app's first migration, or in an app without
 * table.users), so preparing at start would stop a server that never uses it. Runs go through
 * the cache's `all` and `run`, so the statement observer (statement statistics, tracing's
 * statement spans) sees auth's own statements too, at no cost when nothing observes.
 */
export function lazyStatement(db: SqliteDatabase, sql: string): () => LazyStatement {
  const statement: LazyStatement = {
    all: (...parameters) => statementsOf(db).all(sql, parameters),
    run: (...parameters) => statementsOf(db).run(sql, parameters),
  }
  return () => statement
}
