import { vectorIndexName } from '../../ir/search-index.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import { statementsOf } from '../data/statement-cache.ts'

/** A row's vector and the digest of the text it was made from. */
export interface StoredVector {
  readonly id: string
  readonly vector: Float32Array
  readonly hash: string
}

/**
 * Where a table's vectors are kept, by row id. The embedded default is sqlite-vec (`vec0` tables
 * created by the migrations), which the data layer also queries in SQL, beside the read policy;
 * the Weaviate adapter (weaviate-store.ts) implements the same writes for a Docker stack.
 *
 * @example
 * const store = createSqliteVectorStore(db)
 * store.put('tasks', [{ id, vector, hash }])
 * store.missing('tasks', 64) // ids of rows without a vector yet
 */
export interface VectorStore {
  readonly name: string
  /** The stored digests of these ids (absent: no vector). */
  hashes(table: string, ids: readonly string[]): Promise<Map<string, string>>
  put(table: string, vectors: readonly StoredVector[]): Promise<void>
  remove(table: string, ids: readonly string[]): Promise<void>
  /** Up to `limit` rows of the table with text in `columns` and no vector (a backfill's next batch). */
  missing(table: string, columns: readonly string[], limit: number): Promise<string[]>
  /** Up to `limit` vectors whose row is gone (a delete the queue has not seen yet). */
  orphans(table: string, limit: number): Promise<string[]>
}

/** The vec0 tables on the app's own connection. */
export function createSqliteVectorStore(db: SqliteDatabase): VectorStore {
  const statements = statementsOf(db)
  const vec = (table: string) => `"${vectorIndexName(table)}"`
  const inList = (ids: readonly string[]) => ids.map(() => '?').join(', ')
  return {
    name: 'sqlite-vec',
    async hashes(table, ids) {
      if (ids.length === 0) return new Map()
      const rows = statements.all(`SELECT "id", "hash" FROM ${vec(table)} WHERE "id" IN (${inList(ids)})`, ids) as { id: string; hash: string }[]
      return new Map(rows.map((r) => [r.id, r.hash]))
    },
    async put(table, vectors) {
      if (vectors.length === 0) return
      // vec0 has no upsert (INSERT OR REPLACE fails on its primary key): delete, then insert.
      db.transaction(() => {
        for (const v of vectors) {
          statements.run(`DELETE FROM ${vec(table)} WHERE "id" = ?`, [v.id])
          statements.run(`INSERT INTO ${vec(table)} ("id", "embedding", "hash") VALUES (?, ?, ?)`, [v.id, Buffer.from(v.vector.buffer, v.vector.byteOffset, v.vector.byteLength), v.hash])
        }
      })()
    },
    async remove(table, ids) {
      if (ids.length === 0) return
      statements.run(`DELETE FROM ${vec(table)} WHERE "id" IN (${inList(ids)})`, ids)
    },
    async missing(table, columns, limit) {
      // Index maintenance, like the FTS5 triggers: ids only, as the system.
      const hasText = columns.map((c) => `coalesce("t"."${c}", '') <> ''`).join(' OR ')
      return (statements.all(`SELECT "t"."id" AS "id" FROM "${table}" AS "t" WHERE (${hasText}) AND NOT EXISTS (SELECT 1 FROM ${vec(table)} AS "v" WHERE "v"."id" = "t"."id") LIMIT +?`, [limit]) as { id: string }[]).map((r) => r.id)
    },
    async orphans(table, limit) {
      return (statements.all(`SELECT "v"."id" AS "id" FROM ${vec(table)} AS "v" WHERE NOT EXISTS (SELECT 1 FROM "${table}" AS "t" WHERE "t"."id" = "v"."id") LIMIT +?`, [limit]) as { id: string }[]).map((r) => r.id)
    },
  }
}
