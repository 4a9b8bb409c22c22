import type { ProjectIR } from '../project-ir.ts'
import { err } from './auth-routes.ts'
import type { RouteContract, RouteGroup, RouteParameter } from './route-contract.ts'

/**
 * The /search endpoints (engine/runtime/search): `GET /search/<table>` for each table with
 * `search.text` columns. Anyone may call them; the table's read policy decides which rows they
 * find. No SDK method yet (docs/search.md).
 */

export const SEARCH_TAG = 'Search'

/** `tasks` → `searchTasks`, the entry's id and OpenAPI operationId. */
export function searchRouteId(table: string): string {
  return `search${table.charAt(0).toUpperCase()}${table.slice(1)}`
}

const text = (description: string): RouteParameter['schema'] => ({ type: 'string', description })

/**
 * The /search group of an app: one entry per searchable table (none without any).
 *
 * @example
 * searchRoutes(ir).routes.map((route) => route.path) // ['/search/tasks']
 */
export function searchRoutes(ir: ProjectIR): RouteGroup {
  const routes = ir.tables
    .filter((table) => (table.search?.text.length ?? 0) > 0)
    .map(
      (table): RouteContract => ({
        id: searchRouteId(table.name),
        method: 'GET',
        path: `/search/${table.name}`,
        tag: SEARCH_TAG,
        summary: `Search ${table.name}`,
        description:
          `Full-text search over ${table.search!.text.map((c) => `\`${c}\``).join(', ')} of the ${table.name} the caller may read, best match first. ` +
          'Besides the parameters below it takes /api\'s grammar: `select` (with embeds), column filters, `order`, `limit` (default 20) and `offset`; `Prefer: count=exact` puts the number of readable matches in Content-Range.',
        auth: 'public',
        query: [
          { name: 'q', description: 'The query: words, "phrases", prefix*, AND / OR / NOT, -excluded, ( ).', schema: text('The search query.') },
          { name: 'mode', description: '`auto` (default) or `text`; `semantic` and `hybrid` are not configured yet.', schema: text('The search mode.') },
          { name: 'snippet', description: 'Indexed columns to add a `snippet` for, comma-separated.', schema: text('Columns, comma-separated.') },
          { name: 'rank', description: '`false` leaves `rank` out of the rows.', schema: text('`false` to omit rank.') },
        ],
        closedQuery: false,
        responses: [
          {
            status: 200,
            description: `Rows of ${table.name}, each with \`rank\` (higher is better) and, when asked, \`snippet\` (hits in <mark>…</mark>; the text is not HTML-escaped).`,
            schema: { type: 'array', items: { type: 'object', properties: { rank: { type: 'number' }, snippet: { type: 'object', additionalProperties: { type: ['string', 'null'] } } }, additionalProperties: true } },
            headers: { 'Content-Range': { description: 'The rows of this page and, with `Prefer: count=exact`, the number of readable matches.', schema: { type: 'string' } } },
          },
        ],
        errors: [
          err(400, 'The query is malformed, empty, too long or asks for a mode that is not configured, or a filter or select does not fit the table', 'KL_SEARCH_SYNTAX', 'KL_SEARCH_EMPTY', 'KL_SEARCH_TOO_LONG', 'KL_SEARCH_NOT_SEARCHABLE', 'KL_SEARCH_NOT_CONFIGURED', 'KL_API_BAD_FILTER', 'KL_API_BAD_SELECT'),
        ],
      }),
    )
  return { tag: { name: SEARCH_TAG, description: 'Full-text search over the tables\' `search.text` columns, through their read policies.' }, routes, schemas: {} }
}
