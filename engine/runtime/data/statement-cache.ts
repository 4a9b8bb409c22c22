import type { Statement } from 'better-sqlite3'
import { BoundedCache } from '../../shared/bounded-cache.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import type { SqlValue } from './read-plan.ts'

/**
 * Prepared statements by SQL text, one cache per connection: the same shape of request reuses
 * its plan, and every part of the runtime (the data layer, auth, the email outbox) shares it.
 * Statements are prepared on first use, which also lets a module name SQL over a table that
 * may not exist yet (SQLite refuses to prepare it) without stopping a server that never runs it.
 *
 * @example
 * const statements = statementsOf(db)
 * const [row] = statements.all('SELECT "id" FROM "users" WHERE "email" = ?', [email])
 * statements.run('DELETE FROM "_koya_sessions" WHERE "id" = ?', [sessionId])
 */
export interface StatementCache {
  /** Rows of a statement that returns rows (always `.all()`: see PITFALLS, WAL checkpoints). */
  all(sql: string, parameters: readonly unknown[]): unknown[]
  /** A statement that returns no rows (INSERT/UPDATE/DELETE without RETURNING). */
  run(sql: string, parameters: readonly unknown[]): { changes: number }
  /** The prepared statement itself, for what `all`/`run` do not cover (`.iterate()`, `.pluck()`). */
  prepared(sql: string): Statement<unknown[]>
  readonly size: number
  /**
   * Statements run through this cache since the connection opened (`all` and `run`): a cheap
   * counter for tests and benchmarks that bound how many statements a request costs.
   */
  readonly executed: number
  /**
   * Be told of every statement run through `all` and `run`, with its start and end
   * (`performance.now()`), or stop with `undefined`. Without an observer nothing is timed.
   */
  observe(observer: StatementObserver | undefined): void
}

/** Told of one statement: its text (the shape: values are bound, never in it), start and end in ms. */
export type StatementObserver = (sql: string, startMs: number, endMs: number) => void

const MAX_STATEMENTS = 512

const caches = new WeakMap<SqliteDatabase, StatementCache>()

/** The connection's statement cache, made on first use. */
export function statementsOf(db: SqliteDatabase): StatementCache {
  let cache = caches.get(db)
  if (cache === undefined) {
    cache = createStatementCache(db)
    caches.set(db, cache)
  }
  return cache
}

/** A cache of its own (most code wants `statementsOf`, which shares one per connection). */
export function createStatementCache(db: SqliteDatabase): StatementCache {
  // A hit changes nothing in the cache (decision 180): hot statements stay, cold ones go first.
  const cache = new BoundedCache<string, Statement<unknown[]>>(MAX_STATEMENTS)
  const prepared = (text: string): Statement<unknown[]> => {
    let statement = cache.get(text)
    if (statement === undefined) {
      statement = db.prepare<unknown[]>(text)
      cache.set(text, statement)
    }
    return statement
  }
  let executed = 0
  // Timed only with an observer, without a closure per statement; a statement that throws is
  // not timed (its error is what matters).
  let observer: StatementObserver | undefined
  return {
    all: (text, parameters) => {
      executed++
      if (observer === undefined) return prepared(text).all(...(parameters as SqlValue[]))
      const start = performance.now()
      const rows = prepared(text).all(...(parameters as SqlValue[]))
      observer(text, start, performance.now())
      return rows
    },
    run: (text, parameters) => {
      executed++
      if (observer === undefined) return { changes: prepared(text).run(...(parameters as SqlValue[])).changes }
      const start = performance.now()
      const { changes } = prepared(text).run(...(parameters as SqlValue[]))
      observer(text, start, performance.now())
      return { changes }
    },
    observe(next) {
      observer = next
    },
    prepared,
    get size() {
      return cache.size
    },
    get executed() {
      return executed
    },
  }
}
