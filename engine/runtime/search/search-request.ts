import { KoyaError } from '../../shared/errors.ts'
import type { ModelIndex } from '../data/model-index.ts'
import type { ReadQuery } from '../data/query.ts'
import { searchColumnsOf } from '../data/text-search-plan.ts'
import { parseQuery } from '../rest/query-grammar.ts'
import { toReadQuery } from '../rest/neutral-query.ts'
import { parseSearchQuery } from './query-language.ts'

/** How a search is run. Only `text` is served; `auto` picks it. */
export type SearchMode = 'auto' | 'text' | 'semantic' | 'hybrid'

/** Parameters of /search/<table> that are not the REST grammar's (a column of that name cannot be filtered here). */
export const SEARCH_PARAMS = ['q', 'mode', 'snippet', 'rank'] as const

/** A page without `limit` has this many rows. */
export const DEFAULT_SEARCH_LIMIT = 20

/**
 * `/search/<table>?q=…&mode=…&snippet=title,body&<select, filters, order, limit, offset as in /api>`
 * → the neutral ranked read: the REST grammar's parser and translation for everything but the
 * search's own parameters, so filters and embeds mean exactly what they mean on /api.
 *
 * @example
 * toSearchQuery(data.model, 'tasks', new URLSearchParams('q=launch -draft&select=id,title,project(name)&status=eq.todo&snippet=title'))
 * @throws KoyaError KL_SEARCH_* for the query and mode, KL_API_* for the rest of the URL.
 */
export function toSearchQuery(model: ModelIndex, table: string, params: URLSearchParams): ReadQuery {
  const indexed = model.table(table)
  searchColumnsOf(indexed)
  const single = (name: string): string | undefined => {
    const values = params.getAll(name)
    if (values.length > 1) throw new KoyaError('KL_API_BAD_REQUEST', `The parameter "${name}" is given ${values.length} times; give it once.`)
    return values[0]
  }
  const mode = (single('mode') ?? 'auto') as SearchMode
  if (mode === 'semantic' || mode === 'hybrid') {
    throw new KoyaError('KL_SEARCH_NOT_CONFIGURED', `Search mode "${mode}" needs semantic search, which is not configured on this server.`, { hint: 'Use mode=text or mode=auto.' })
  }
  if (mode !== 'auto' && mode !== 'text') {
    throw new KoyaError('KL_API_BAD_REQUEST', `Unknown search mode "${String(mode).slice(0, 40)}".`, { hint: 'Use mode=auto, text, semantic or hybrid.' })
  }
  const q = single('q')
  if (q === undefined) throw new KoyaError('KL_SEARCH_EMPTY', `GET /search/${table} needs a query: ?q=…`)
  const query = parseSearchQuery(q)
  const snippetParam = single('snippet')
  const snippets = snippetParam === undefined || snippetParam === '' ? [] : snippetParam.split(',').map((s) => s.trim())
  const rest = new URLSearchParams(params)
  for (const name of SEARCH_PARAMS) rest.delete(name)
  const read = toReadQuery(model, table, parseQuery(rest))
  return {
    ...read,
    limit: read.limit ?? DEFAULT_SEARCH_LIMIT,
    search: { query, rank: single('rank') !== 'false', ...(snippets.length > 0 ? { snippets } : {}) },
  }
}
