import { searchIndexName } from '../../ir/search-index.ts'
import { assertNever } from '../../shared/assert-never.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { IndexedTable } from './model-index.ts'
import { printFts5, type TextQuery } from './text-query.ts'

/** A full-text match, checked against the table's search index: the FTS5 expression to bind. */
export interface PlannedMatch {
  /** The FTS5 table (`_koya_fts_tasks`). */
  readonly index: string
  /** Printed by printFts5 (every term quoted), optionally behind a column filter; bound as a parameter. */
  readonly expression: string
}

/** A ranked full-text read (`ReadQuery.search`), checked. */
export interface PlannedSearch extends PlannedMatch {
  /** bm25 weights, one per indexed column, in index order. */
  readonly weights: readonly number[]
  readonly rank: boolean
  /** Snippets asked for: the column's name and its position in the index. */
  readonly snippets: readonly { readonly column: string; readonly position: number }[]
}

/** The columns of a table's full-text index, or KL_SEARCH_NOT_SEARCHABLE. */
export function searchColumnsOf(table: IndexedTable): readonly string[] {
  const columns = table.ir.search?.text ?? []
  if (columns.length === 0) {
    throw new KoyaError('KL_SEARCH_NOT_SEARCHABLE', `Table "${table.name}" has no full-text index.`, {
      hint: `Declare its text columns in \`search: { text: [...] }\` on table('${table.name}', …), then run \`koyalite generate\` and \`koyalite migrate up\`.`,
    })
  }
  return columns
}

/** `columns`: restrict the match to these indexed columns (FTS5's column filter). */
export function planMatch(table: IndexedTable, query: TextQuery, columns?: readonly string[]): PlannedMatch {
  const indexed = searchColumnsOf(table)
  checkTextQuery(query)
  let expression = printFts5(query)
  if (columns !== undefined && columns.length > 0) {
    for (const column of columns) {
      if (!indexed.includes(column)) {
        throw new KoyaError('KL_SEARCH_NOT_SEARCHABLE', `Column "${table.name}.${column}" is not in the table's full-text index.`, {
          hint: `Searchable columns of "${table.name}": ${indexed.join(', ')}.`,
        })
      }
    }
    // Column names come from the model (identifiers), never from the request's text.
    expression = `{${columns.join(' ')}} : ${expression}`
  }
  return { index: searchIndexName(table.name), expression }
}

export function planSearch(table: IndexedTable, search: { readonly query: TextQuery; readonly rank?: boolean; readonly snippets?: readonly string[] }): PlannedSearch {
  const match = planMatch(table, search.query)
  const indexed = searchColumnsOf(table)
  const snippets = (search.snippets ?? []).map((column) => {
    const position = indexed.indexOf(column)
    if (position < 0) {
      throw new KoyaError('KL_SEARCH_NOT_SEARCHABLE', `A snippet of "${table.name}.${column}" was asked for; only indexed columns have snippets.`, {
        hint: `Searchable columns of "${table.name}": ${indexed.join(', ')}.`,
      })
    }
    return { column, position }
  })
  return { ...match, weights: table.ir.search?.weights ?? indexed.map(() => 1), rank: search.rank === true, snippets }
}

/** An empty AND or OR has no FTS5 form (FTS5 has no "every row"). */
function checkTextQuery(query: TextQuery): void {
  switch (query.kind) {
    case 'terms':
      return
    case 'and':
    case 'or':
      if (query.items.length === 0) throw new KoyaError('KL_SEARCH_EMPTY', `A full-text query has an empty ${query.kind.toUpperCase()}.`)
      query.items.forEach(checkTextQuery)
      return
    case 'not':
      checkTextQuery(query.include)
      checkTextQuery(query.exclude)
      return
    default:
      assertNever(query, 'text query')
  }
}
