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
  const semantic = (table: ProjectIR['tables'][number]) => ir.embeddings !== undefined && (table.search?.semantic.length ?? 0) > 0
  const routes = ir.tables
    .filter((table) => (table.search?.text.length ?? 0) > 0 || semantic(table))
    .map(
      (table): RouteContract => ({
        id: searchRouteId(table.name),
        method: 'GET',
        path: `/search/${table.name}`,
        tag: SEARCH_TAG,
        summary: `Search ${table.name}`,
        description:
          searchDescription(table.name, table.search!.text, semantic(table) ? table.search!.semantic : []) +
          'Besides the parameters below it takes /api\'s grammar: `select` (with embeds), column filters, `order`, `limit` (default 20) and `offset`; `Prefer: count=exact` puts the number of readable matches in Content-Range.',
        auth: 'public',
        query: [
          { name: 'q', description: 'The query: words, "phrases", prefix*, AND / OR / NOT, -excluded, ( ).', schema: text('The search query.') },
          { name: 'mode', description: modeDescription(table.search!.text.length > 0, semantic(table)), schema: { type: 'string', enum: ['auto', 'text', 'semantic', 'hybrid'], description: 'The search mode.' } },
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
          err(400, 'The query is malformed, empty, too long or asks for a mode that is not configured, or a filter or select does not fit the table', 'KL_SEARCH_SYNTAX', 'KL_SEARCH_EMPTY', 'KL_SEARCH_TOO_LONG', 'KL_SEARCH_NOT_SEARCHABLE', 'KL_SEARCH_NOT_CONFIGURED', 'KL_SEARCH_NOT_SEMANTIC', 'KL_API_BAD_FILTER', 'KL_API_BAD_SELECT'),
          err(502, 'The embedding provider could not embed the query (semantic and hybrid modes)', 'KL_SEARCH_EMBEDDING_FAILED'),
        ],
      }),
    )
  return { tag: { name: SEARCH_TAG, description: 'Full-text, semantic and hybrid search over the tables\' `search.text` and `search.semantic` columns, through their read policies.' }, routes, schemas: {} }
}

function modeDescription(text: boolean, semantic: boolean): string {
  if (text && semantic) return '`auto` (default: hybrid, or text when the query uses quotes, prefix*, -exclude, AND / OR / NOT or parentheses), `text` (FTS5, bm25), `semantic` (nearest vectors, cosine) or `hybrid` (reciprocal rank fusion of both, k = 60).'
  return semantic ? '`auto` (default) or `semantic` (nearest vectors, cosine).' : '`auto` (default) or `text`; `semantic` and `hybrid` need `search.semantic` columns and an embeddings provider.'
}

function searchDescription(table: string, text: readonly string[], semantic: readonly string[]): string {
  const list = (columns: readonly string[]) => columns.map((c) => `\`${c}\``).join(', ')
  const parts = [...(text.length > 0 ? [`full-text search over ${list(text)}`] : []), ...(semantic.length > 0 ? [`semantic search over ${list(semantic)}`] : [])]
  return `${parts.join(' and ').replace(/^./u, (c) => c.toUpperCase())} of the ${table} the caller may read, best match first. `
}
