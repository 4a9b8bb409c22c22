import { Kysely, SqliteDialect, type RawBuilder } from 'kysely'
import { BoundedCache } from '../../shared/bounded-cache.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import { fillSlots, slotPositions, type SlotPositions } from './access.ts'
import type { Actor } from './data-layer.ts'
import type { SqlValue } from './read-plan.ts'
import { statementsOf, type StatementCache } from './statement-cache.ts'

/**
 * How the data layer runs SQL: Kysely builds and compiles it, statements run through a cache of
 * prepared ones, and the caller's facts (user id, roles) and a get's id are slots in the compiled
 * parameters, filled per request.
 */
export interface SqlRunner {
  readonly statements: StatementCache
  /** Compile and run once (writes, checks: their SQL holds the request's values). */
  run<R>(actor: Actor, query: RawBuilder<R>): R[]
  /**
   * Compile once per `key` (the query's shape), run with the slots filled: the caller's facts,
   * and `values` in the `valueSlot(i)`s. Reads and single-row creates are compiled once per
   * shape: building and compiling the SQL costs more than running it.
   */
  runCached<R>(actor: Actor, key: string, build: () => RawBuilder<R>, values?: readonly SqlValue[]): R[]
  /** Compile and cache without running: a write plans its read-back before it writes. */
  prepare(key: string, build: () => RawBuilder<unknown>): void
  /** Whether SQLite sorts to answer the query (a temporary B-tree for its ORDER BY), per its plan. */
  sorts(actor: Actor, query: RawBuilder<unknown>): boolean
  /** The SQL text and parameters of a query (slots unfilled), for a caller that rewrites the statement. */
  compile(query: RawBuilder<unknown>): { readonly sql: string; readonly parameters: readonly unknown[] }
}

const SORTS = /USE TEMP B-TREE FOR (?:.* )?ORDER BY/

const MAX_CACHED_READS = 256

export function createSqlRunner(db: SqliteDatabase): SqlRunner {
  const kysely = new Kysely<Record<string, never>>({ dialect: new SqliteDialect({ database: db }) })
  const statements = statementsOf(db)
  type CompiledRead = { sql: string; parameters: readonly unknown[]; slots: SlotPositions }
  // A hit changes nothing in the cache (decision 180).
  const reads = new BoundedCache<string, CompiledRead>(MAX_CACHED_READS)
  const compileCached = (key: string, build: () => RawBuilder<unknown>): CompiledRead => {
    let compiled = reads.get(key)
    if (compiled === undefined) {
      const { sql: text, parameters } = build().compile(kysely)
      compiled = { sql: text, parameters, slots: slotPositions(parameters) }
      reads.set(key, compiled)
    }
    return compiled
  }
  return {
    statements,
    run<R>(actor: Actor, query: RawBuilder<R>): R[] {
      const compiled = query.compile(kysely)
      return statements.all(compiled.sql, fillSlots(compiled.parameters, slotPositions(compiled.parameters), actor, undefined)) as R[]
    },
    runCached<R>(actor: Actor, key: string, build: () => RawBuilder<R>, values?: readonly SqlValue[]): R[] {
      const compiled = compileCached(key, build)
      return statements.all(compiled.sql, fillSlots(compiled.parameters, compiled.slots, actor, values)) as R[]
    },
    prepare(key, build) {
      compileCached(key, build)
    },
    sorts(actor, query) {
      const compiled = query.compile(kysely)
      // Asked once per shape, beside the work: not a statement the request runs (the count of executed ones leaves it out).
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${compiled.sql}`).all(...fillSlots(compiled.parameters, slotPositions(compiled.parameters), actor, undefined)) as { detail: string }[]
      return plan.some((step) => SORTS.test(step.detail))
    },
    compile(query) {
      const { sql: text, parameters } = query.compile(kysely)
      return { sql: text, parameters }
    },
  }
}
