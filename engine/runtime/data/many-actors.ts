import { KoyaError } from '../../shared/errors.ts'
import { AUTH_ROLES_SLOT, AUTH_USER_SLOT, ID_SLOT, type Access } from './access.ts'
import type { Actor } from './data-layer.ts'
import type { IndexedTable, ModelIndex } from './model-index.ts'
import type { Where } from './query.ts'
import { planRead } from './read-plan.ts'
import { printRowsQuery } from './read-sql.ts'
import { sourceOf } from './reads.ts'
import type { SqlRunner } from './sql-runner.ts'
import type { RowObject } from './write-events.ts'

/** Actors per statement: three parameters each, far below SQLite's limit with the query's own. */
const ACTORS_PER_STATEMENT = 300
const TEMPLATE: Actor = { kind: 'user', userId: '', roles: [] }

/**
 * The rows `where` matches on `table` for each of many actors, in ONE statement per 300 actors:
 * the read is printed once, as for a single caller, and its caller slots (the user id and roles the
 * policy reads) become columns of a VALUES table of the actors, so SQLite evaluates the policy for
 * each actor without a statement (and a trip from JavaScript) per actor. Realtime uses it to
 * judge one change for every user subscribed to it. System actors read tables bare: ask for them
 * with `list`.
 *
 * `SELECT "k", (SELECT json_group_array(json("row")) FROM (<the read, slots → "_koya_actor".uid/roles>)) FROM (VALUES …) AS "_koya_actor"`
 *
 * @returns for each actor, in order, its rows as objects (REST's shape); actors who read the same
 *   rows share one array, not to be modified
 */
export function listForActors(
  deps: { readonly index: ModelIndex; readonly access: Access; readonly runner: SqlRunner },
  actors: readonly Actor[],
  table: IndexedTable,
  where: Where | undefined,
): RowObject[][] {
  const results: RowObject[][] = actors.map(() => [])
  if (actors.length === 0) return results
  if (actors.some((a) => a.kind === 'system')) throw new KoyaError('KL_INT_UNEXPECTED', 'listForActors: the system role reads with list.')
  const plan = planRead(deps.index, table, where === undefined ? {} : { where })
  const compiled = deps.runner.compile(printRowsQuery(plan, sourceOf(deps.access, TEMPLATE, 'read')))
  const inner = withSlotsAsColumns(compiled.sql, compiled.parameters)
  // Actors who may read the same rows get the same text: parsed once, the arrays shared (read-only).
  const parsed = new Map<string, RowObject[]>()
  for (let start = 0; start < actors.length; start += ACTORS_PER_STATEMENT) {
    const chunk = actors.slice(start, start + ACTORS_PER_STATEMENT)
    const values = chunk.map(() => '(?, ?, ?)').join(', ')
    const text = `WITH "_koya_actors"("k", "uid", "roles") AS (VALUES ${values}) SELECT "_koya_actor"."k" AS "k", (SELECT json_group_array(json("row")) FROM (${inner.sql})) AS "rows" FROM "_koya_actors" AS "_koya_actor"`
    const parameters: unknown[] = []
    chunk.forEach((actor, i) => parameters.push(start + i, actor.kind === 'user' ? actor.userId : null, JSON.stringify(actor.kind === 'user' ? actor.roles : [])))
    parameters.push(...inner.parameters)
    for (const row of deps.runner.statements.all(text, parameters) as { k: number; rows: string }[]) {
      let rows = parsed.get(row.rows)
      if (rows === undefined) {
        rows = JSON.parse(row.rows) as RowObject[]
        parsed.set(row.rows, rows)
      }
      results[row.k] = rows
    }
  }
  return results
}

/**
 * The compiled read with each caller slot's `?` replaced by the actor table's column. Kysely
 * prints every parameter as `?`; identifiers are double-quoted and literals single-quoted, and
 * neither holds a `?` of a parameter, so the n-th `?` outside quotes is parameter n.
 */
function withSlotsAsColumns(text: string, parameters: readonly unknown[]): { sql: string; parameters: unknown[] } {
  let out = ''
  let index = 0
  let quote: string | undefined
  const kept: unknown[] = []
  for (const char of text) {
    if (quote !== undefined) {
      if (char === quote) quote = undefined
      out += char
      continue
    }
    if (char === '"' || char === "'") {
      quote = char
      out += char
      continue
    }
    if (char !== '?') {
      out += char
      continue
    }
    const value = parameters[index++]
    if (value === AUTH_USER_SLOT) out += '"_koya_actor"."uid"'
    else if (value === AUTH_ROLES_SLOT) out += '"_koya_actor"."roles"'
    else if (value === ID_SLOT) throw new KoyaError('KL_INT_UNEXPECTED', 'listForActors: a read by id slot cannot be shared.')
    else {
      out += '?'
      kept.push(value)
    }
  }
  return { sql: out, parameters: kept }
}
