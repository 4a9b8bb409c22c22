import { sql } from 'kysely'
import type { Access } from './access.ts'
import type { Actor } from './data-layer.ts'
import type { IndexedTable, ModelIndex } from './model-index.ts'
import type { Where } from './query.ts'
import { planRead, type SqlValue } from './read-plan.ts'
import { printIdsQuery } from './read-sql.ts'
import { sourceOf } from './reads.ts'
import type { SqlRunner } from './sql-runner.ts'
import type { RowObject } from './write-events.ts'

/** Most images one statement carries (SQLite's default limit is 32,766 parameters). */
const IMAGES_PER_STATEMENT = 200

/**
 * Which of `images` (whole rows as write events carry them, `old` of an update or delete) the
 * actor could read and `where` matches, were each image the table's only content, with the rest
 * of the database as it is now. The table's name is bound to the images for the statement alone
 * (`WITH "tasks"(…) AS (VALUES …)` shadows the table), so the policy and the filters are the
 * data layer's own, printed as for any read: nothing is re-implemented for rows that are gone.
 *
 * A policy that reaches other rows of the same table (a self-reference) sees only the images.
 */
export function readableImages(
  deps: { readonly index: ModelIndex; readonly access: Access; readonly runner: SqlRunner },
  actor: Actor,
  table: IndexedTable,
  images: readonly RowObject[],
  where: Where | undefined,
): Set<string> {
  const readable = new Set<string>()
  if (images.length === 0) return readable
  const columns = table.ir.columns
  const plan = planRead(deps.index, table, where === undefined ? {} : { where })
  const names = sql.join(columns.map((c) => sql.id(c.name)))
  for (let start = 0; start < images.length; start += IMAGES_PER_STATEMENT) {
    const chunk = images.slice(start, start + IMAGES_PER_STATEMENT)
    const rows = sql.join(chunk.map((image) => sql`(${sql.join(columns.map((c) => storedOf(c.type, image[c.name])))})`))
    const ids = printIdsQuery(plan, sourceOf(deps.access, actor, 'read'))
    const query = sql<{ id: string }>`WITH ${sql.id(table.name)}(${names}) AS (VALUES ${rows}) ${ids}`
    for (const row of deps.runner.run(actor, query)) readable.add(String(row.id))
  }
  return readable
}

/** An image's value (as a read gives it: booleans, parsed JSON) as the column stores it. */
function storedOf(type: string, value: unknown): SqlValue {
  if (value === undefined || value === null) return null
  if (type === 'bool') return value === true ? 1 : 0
  if (type === 'json') return JSON.stringify(value)
  return value as SqlValue
}
