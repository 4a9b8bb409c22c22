import { KoyaError } from '../../shared/errors.ts'
import type { TextQuery } from '../data/text-query.ts'
import { parseSearchQuery, SEARCH_LIMITS } from '../search/query-language.ts'

/** A term is kept only if the tokenizer can find something in it (as in the search language). */
const HAS_WORD = /[\p{L}\p{N}]/u

/**
 * The text of PostgREST's full-text filters as a TextQuery (postgrest-js `.textSearch(column,
 * text, { type })`):
 *
 * - `wfts` (websearch_to_tsquery, `type: 'websearch'`): KoyaLite's search language, which is
 *   websearch-like (docs/search.md);
 * - `plfts` (plainto_tsquery, `type: 'plain'`): every word, operators read as words;
 * - `phfts` (phraseto_tsquery, `type: 'phrase'`): the words in that order;
 * - `fts` (to_tsquery, no type): `&` `|` `!` `( )`, `word:*` for a prefix and `'quoted words'`;
 *   `<->` / `<N>` (followed-by) are read as AND and weight labels (`:AB`) are ignored.
 *
 * @example
 * textSearchQuery('fts', "rocket & !draft | laun:*")
 * @throws KoyaError KL_SEARCH_* as /search does.
 */
export function textSearchQuery(operator: 'fts' | 'plfts' | 'phfts' | 'wfts', text: string): TextQuery {
  switch (operator) {
    case 'wfts':
      return parseSearchQuery(text)
    case 'plfts': {
      const words = checked(text).split(/\s+/u).filter((w) => HAS_WORD.test(w))
      if (words.length > SEARCH_LIMITS.terms) throw new KoyaError('KL_SEARCH_TOO_LONG', `The full-text filter has ${words.length} words; at most ${SEARCH_LIMITS.terms} are accepted.`)
      return words.length === 1 ? { kind: 'terms', text: words[0]!, prefix: false } : { kind: 'and', items: words.map((w) => ({ kind: 'terms', text: w, prefix: false })) }
    }
    case 'phfts':
      return { kind: 'terms', text: checked(text), prefix: false }
    case 'fts':
      return parseSearchQuery(fromTsQuery(text))
  }
}

/** The text of a plain or phrase filter: not empty, not over the search language's length. */
function checked(text: string): string {
  if (text.length > SEARCH_LIMITS.characters) throw new KoyaError('KL_SEARCH_TOO_LONG', `The full-text filter has ${text.length} characters; at most ${SEARCH_LIMITS.characters} are accepted.`)
  if (!HAS_WORD.test(text)) throw new KoyaError('KL_SEARCH_EMPTY', 'The full-text filter has no word to look for.')
  return text
}

/** to_tsquery's syntax rewritten into the search language (whose parser then checks it). */
function fromTsQuery(text: string): string {
  return text
    .replace(/'((?:[^'\\]|\\.)*)'(:\*)?/gu, (_, words: string, prefix: string | undefined) => `"${words.replaceAll('"', ' ')}"${prefix ? '*' : ''}`)
    .replace(/<(?:-|\d+)>/gu, ' AND ')
    .replace(/:\*[A-Da-d]*/gu, '*')
    .replace(/:[A-Da-d]+\*?/gu, (m: string) => (m.endsWith('*') ? '*' : ''))
    .replace(/&/gu, ' AND ')
    .replace(/\|/gu, ' OR ')
    .replace(/!/gu, ' NOT ')
}
