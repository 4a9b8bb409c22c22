import type { Statement } from 'better-sqlite3'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import type { SqlValue } from './read-plan.ts'

/** Prepared statements by SQL text: the same shape of request reuses its plan. */
export interface StatementCache {
  all(sql: string, parameters: readonly SqlValue[]): unknown[]
  readonly size: number
}

const MAX_STATEMENTS = 512

export function createStatementCache(db: SqliteDatabase): StatementCache {
  const cache = new Map<string, Statement>()
  return {
    all(text, parameters) {
      let statement = cache.get(text)
      if (statement) {
        // Map order is insertion order: re-inserting keeps the most recent last (LRU).
        cache.delete(text)
      } else {
        statement = db.prepare(text)
        if (cache.size >= MAX_STATEMENTS) cache.delete(cache.keys().next().value!)
      }
      cache.set(text, statement)
      // .all(), never .get()/.run(), for statements returning rows: see PITFALLS (WAL checkpoints).
      return statement.all(...parameters)
    },
    get size() {
      return cache.size
    },
  }
}
