import { KoyaError } from '../../shared/errors.ts'
import type { ModelIndex } from '../data/model-index.ts'
import type { ReadQuery } from '../data/query.ts'
import { searchColumnsOf } from '../data/text-search-plan.ts'
import { parseQuery } from '../rest/query-grammar.ts'
import { toReadQuery } from '../rest/neutral-query.ts'
import { parseSearchQuery, SEARCH_LIMITS } from './query-language.ts'

/** How a search is run: `auto` picks one of the other three (pickMode). */
export type SearchMode = 'auto' | 'text' | 'semantic' | 'hybrid'

/** Parameters of /search/<table> that are not the REST grammar's (a column of that name cannot be filtered here). */
export const SEARCH_PARAMS = ['q', 'mode', 'snippet', 'rank'] as const

/** A page without `limit` has this many rows. */
export const DEFAULT_SEARCH_LIMIT = 20

/** A search as the route runs it: the neutral read (without its vector yet) and the text to embed. */
export interface SearchRequest {
  readonly mode: Exclude<SearchMode, 'auto'>
  /** The query as typed: what a semantic or hybrid search embeds. */
  readonly q: string
  readonly read: ReadQuery
}

/** Operators of the search language: a query using them asks for exact matching, which only full-text honours. */
const OPERATORS = /["*()]|(?:^|\s)-[^\s-]|\b(?:AND|OR|NOT)\b/u

/**
 * `mode=auto`: hybrid when the table has both indexes, unless the query uses the search
 * language's operators (quotes, `prefix*`, `-exclude`, AND / OR / NOT, parentheses), which only
 * full-text can honour: then text. A table with one index gets that one.
 *
 * @example
 * pickMode('how do I reset my password', { text: true, semantic: true }) // 'hybrid'
 * pickMode('"reset password" -admin', { text: true, semantic: true })   // 'text'
 */
export function pickMode(q: string, has: { readonly text: boolean; readonly semantic: boolean }): Exclude<SearchMode, 'auto'> {
  if (has.text && has.semantic) return OPERATORS.test(q) ? 'text' : 'hybrid'
  return has.semantic ? 'semantic' : 'text'
}

/**
 * `/search/<table>?q=…&mode=…&snippet=title,body&<select, filters, order, limit, offset as in /api>`
 * → the neutral ranked read: the REST grammar's parser and translation for everything but the
 * search's own parameters, so filters and embeds mean exactly what they mean on /api.
 *
 * @example
 * toSearchRequest(data.model, true, 'tasks', new URLSearchParams('q=launch -draft&select=id,title,project(name)&status=eq.todo&snippet=title'))
 * @throws KoyaError KL_SEARCH_* for the query and mode, KL_API_* for the rest of the URL.
 */
export function toSearchRequest(model: ModelIndex, embeddings: boolean, table: string, params: URLSearchParams): SearchRequest {
  const indexed = model.table(table)
  const has = { text: (indexed.ir.search?.text.length ?? 0) > 0, semantic: indexed.vectorDimensions !== undefined }
  if (!has.text && !has.semantic) searchColumnsOf(indexed)
  const single = (name: string): string | undefined => {
    const values = params.getAll(name)
    if (values.length > 1) throw new KoyaError('KL_API_BAD_REQUEST', `The parameter "${name}" is given ${values.length} times; give it once.`)
    return values[0]
  }
  const asked = (single('mode') ?? 'auto') as SearchMode
  if (!['auto', 'text', 'semantic', 'hybrid'].includes(asked)) {
    throw new KoyaError('KL_API_BAD_REQUEST', `Unknown search mode "${String(asked).slice(0, 40)}".`, { hint: 'Use mode=auto, text, semantic or hybrid.' })
  }
  if ((asked === 'semantic' || asked === 'hybrid') && !embeddings) {
    throw new KoyaError('KL_SEARCH_NOT_CONFIGURED', `Search mode "${asked}" needs an embeddings provider, and none is configured.`, { hint: 'Use mode=text or mode=auto, or configure `embeddings` in koyalite.ts.' })
  }
  if ((asked === 'semantic' || asked === 'hybrid') && !has.semantic) {
    throw new KoyaError('KL_SEARCH_NOT_SEMANTIC', `Table "${table}" has no \`search.semantic\` columns, so mode=${asked} cannot search it.`, { hint: 'Use mode=text, or list its columns in `search: { semantic: [...] }`.' })
  }
  if (asked === 'text' || asked === 'hybrid') searchColumnsOf(indexed)
  const q = single('q')
  if (q === undefined || q.trim() === '') throw new KoyaError('KL_SEARCH_EMPTY', `GET /search/${table} needs a query: ?q=…`)
  const mode = asked === 'auto' ? pickMode(q, has) : asked
  // Semantic search embeds the text as typed; the others parse it (and refuse a malformed one).
  if (q.length > SEARCH_LIMITS.characters) parseSearchQuery(q)
  const query = mode === 'semantic' ? undefined : parseSearchQuery(q)
  const snippetParam = single('snippet')
  const snippets = snippetParam === undefined || snippetParam === '' ? [] : snippetParam.split(',').map((s) => s.trim())
  const rest = new URLSearchParams(params)
  for (const name of SEARCH_PARAMS) rest.delete(name)
  const read = toReadQuery(model, table, parseQuery(rest))
  return {
    mode,
    q,
    read: {
      ...read,
      limit: read.limit ?? DEFAULT_SEARCH_LIMIT,
      search: { ...(query ? { query } : {}), rank: single('rank') !== 'false', ...(snippets.length > 0 ? { snippets } : {}) },
    },
  }
}
