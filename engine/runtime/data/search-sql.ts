import { sql, type RawBuilder } from 'kysely'
import { valueSlot } from './access.ts'
import type { PlannedSearch } from './text-search-plan.ts'

/** Reciprocal rank fusion's constant: a row's hybrid score is Σ 1 / (RRF_K + its rank in each list). */
export const RRF_K = 60

/** The query vector of a semantic or hybrid search: the first value of the statement (reads.ts binds it). */
export const VECTOR_SLOT = valueSlot(0)

/**
 * The matches of a ranked read as a subquery of `"id"`, `"r"` (higher is better) and the snippets
 * `"s0"`, `"s1"`… The page (read-sql.ts printSearchRowsQuery) joins it to the table's source, so
 * only readable rows are paged and counted.
 *
 * - text: `-bm25(…)` where the MATCH is (bm25 is only valid there, never in a window or outer sort);
 * - semantic: `1 - cosine distance`, from vec0's KNN (`k` nearest of the whole table) or, without
 *   `k`, measured for every row with a vector;
 * - hybrid: both lists ranked over `readable` (the rows the caller may read that pass its filters,
 *   materialized first so no filter or rank runs on a hidden row), fused by reciprocal rank.
 *
 * `readable` is only used by the hybrid form.
 */
export function printMatches(search: PlannedSearch, table: string, readable: RawBuilder<unknown>): RawBuilder<unknown> {
  const { text, vector } = search
  const snippets = (fts: RawBuilder<unknown>) => sql.join(search.snippets.map((s, i) => sql`, snippet(${fts}, ${sql.lit(s.position)}, '<mark>', '</mark>', '…', 16) AS ${sql.id(`s${i}`)}`), sql``)
  if (text && !vector) {
    const fts = sql.id(text.index)
    return sql`SELECT "c"."id" AS "id", -bm25(${fts}, ${sql.join(text.weights.map((w) => sql.lit(w)))}) AS "r"${snippets(fts)} FROM ${fts} JOIN ${sql.id(table)} AS "c" ON "c"."rowid" = ${fts}."rowid" WHERE ${fts} MATCH ${text.expression}`
  }
  if (vector && !text) {
    const vec = sql.id(vector.index)
    if (vector.k !== undefined) return sql`SELECT "v"."id" AS "id", 1 - "v"."distance" AS "r" FROM ${vec} AS "v" WHERE "v"."embedding" MATCH ${VECTOR_SLOT} AND "v"."k" = ${sql.lit(vector.k)}`
    return sql`SELECT "v"."id" AS "id", 1 - vec_distance_cosine("v"."embedding", ${VECTOR_SLOT}) AS "r" FROM ${vec} AS "v"`
  }
  if (!text || !vector) throw new Error('unreachable: planSearch requires a text query or a vector')
  const fts = sql.id(text.index)
  const vec = sql.id(vector.index)
  const carried = search.snippets.map((_, i) => sql`, max(${sql.id(`s${i}`)}) AS ${sql.id(`s${i}`)}`)
  const textColumns = search.snippets.map((_, i) => sql`, "tr".${sql.id(`s${i}`)}`)
  const nulls = search.snippets.map((_, i) => sql`, NULL AS ${sql.id(`s${i}`)}`)
  // Each CTE the window reads is MATERIALIZED: bm25 cannot be flattened into a window's ORDER BY.
  return sql`WITH "rd" AS MATERIALIZED (${readable}), "tm" AS MATERIALIZED (SELECT "c"."id" AS "id", bm25(${fts}, ${sql.join(text.weights.map((w) => sql.lit(w)))}) AS "b"${snippets(fts)} FROM ${fts} JOIN ${sql.id(table)} AS "c" ON "c"."rowid" = ${fts}."rowid" WHERE ${fts} MATCH ${text.expression}), "tr" AS (SELECT "tm".*, row_number() OVER (ORDER BY "tm"."b", "tm"."id") AS "n" FROM "tm" JOIN "rd" ON "rd"."id" = "tm"."id"), "vr" AS (SELECT "v"."id" AS "id", row_number() OVER (ORDER BY vec_distance_cosine("v"."embedding", ${VECTOR_SLOT}), "v"."id") AS "n" FROM ${vec} AS "v" JOIN "rd" ON "rd"."id" = "v"."id") SELECT "id", sum(1.0 / (${sql.lit(RRF_K)} + "n")) AS "r"${sql.join(carried, sql``)} FROM (SELECT "tr"."id" AS "id", "tr"."n" AS "n"${sql.join(textColumns, sql``)} FROM "tr" UNION ALL SELECT "vr"."id", "vr"."n"${sql.join(nulls, sql``)} FROM "vr") GROUP BY "id"`
}

/** Which rows a ranked read admits, as a condition on `alias` (for its count). */
export function printAdmitted(search: PlannedSearch, alias: string): RawBuilder<unknown> {
  const id = sql.id(alias, 'id')
  const matched = search.text ? sql`${sql.id(alias, 'rowid')} IN (SELECT "rowid" FROM ${sql.id(search.text.index)} WHERE ${sql.id(search.text.index)} MATCH ${search.text.expression})` : undefined
  const embedded = search.vector ? sql`${id} IN (SELECT "id" FROM ${sql.id(search.vector.index)})` : undefined
  if (matched && embedded) return sql`(${matched} OR ${embedded})`
  return (matched ?? embedded)!
}
