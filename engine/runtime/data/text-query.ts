import { assertNever } from '../../shared/assert-never.ts'

/**
 * A full-text query as a tree: what `/search` and the `fts` filters parse user text into
 * (runtime/search/query-language.ts), and what the data layer prints as an FTS5 expression. Every
 * word and phrase is printed as an FTS5 string (`"…"`, quotes doubled), so no text from a request
 * is ever read by FTS5 as syntax: the printed expression cannot raise a syntax error.
 *
 * @example
 * // report* AND ("quarterly review" OR q3) NOT draft
 * const query: TextQuery = { kind: 'not', include: { kind: 'and', items: [
 *   { kind: 'terms', text: 'report', prefix: true },
 *   { kind: 'or', items: [{ kind: 'terms', text: 'quarterly review', prefix: false }, { kind: 'terms', text: 'q3', prefix: false }] },
 * ] }, exclude: { kind: 'terms', text: 'draft', prefix: false } }
 */
export type TextQuery =
  /** A word or a phrase (the tokenizer splits it; the words must follow each other); `prefix`: its last word is a prefix. */
  | { readonly kind: 'terms'; readonly text: string; readonly prefix: boolean }
  /** Non-empty. */
  | { readonly kind: 'and' | 'or'; readonly items: readonly TextQuery[] }
  /** Rows matching `include` but not `exclude` (FTS5's NOT is binary: there is no "everything but"). */
  | { readonly kind: 'not'; readonly include: TextQuery; readonly exclude: TextQuery }

/** The FTS5 expression of a query: fully parenthesized, every term a quoted string. */
export function printFts5(query: TextQuery): string {
  switch (query.kind) {
    case 'terms':
      // FTS5 reads its expression as a C string: a NUL would end it inside the quotes
      // ("unterminated string"), so it becomes a space, which every tokenizer splits on.
      return `"${query.text.replaceAll('\0', ' ').replaceAll('"', '""')}"${query.prefix ? ' *' : ''}`
    case 'and':
    case 'or':
      return query.items.length === 1 ? printFts5(query.items[0]!) : `(${query.items.map(printFts5).join(query.kind === 'and' ? ' AND ' : ' OR ')})`
    case 'not':
      return `(${printFts5(query.include)} NOT ${printFts5(query.exclude)})`
    default:
      return assertNever(query, 'text query')
  }
}
