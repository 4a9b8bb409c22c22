import { searchIndexName, vectorIndexName } from '../../ir/search-index.ts'
import { assertNever } from '../../shared/assert-never.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { IndexedTable } from './model-index.ts'
import type { TextSearch } from './query.ts'
import { printFts5, type TextQuery } from './text-query.ts'

/** A full-text match, checked against the table's search index: the FTS5 expression to bind. */
export interface PlannedMatch {
  /** The FTS5 table (`_koya_fts_tasks`). */
  readonly index: string
  /** Printed by printFts5 (every term quoted), optionally behind a column filter; bound as a parameter. */
  readonly expression: string
}

/** A ranked read (`ReadQuery.search`), checked: full-text, semantic, or both (hybrid). */
export interface PlannedSearch {
  /** The full-text side: its match, and bm25 weights, one per indexed column, in index order. */
  readonly text: (PlannedMatch & { readonly weights: readonly number[] }) | undefined
  /** The semantic side: the vec0 table; the query vector is bound as value slot 0. */
  readonly vector: PlannedVector | undefined
  readonly rank: boolean
  /** Snippets asked for: the column's name and its position in the index. */
  readonly snippets: readonly { readonly column: string; readonly position: number }[]
}

export interface PlannedVector {
  /** The vec0 table (`_koya_vec_tasks`). */
  readonly index: string
  /**
   * Semantic only: rank among the `k` nearest vectors of the whole table (vec0's KNN), then keep
   * the readable ones; undefined: measure the distance of every readable row. reads.ts tries the
   * first and falls back to the second when the page comes back short.
   */
  readonly k: number | undefined
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

export function planSearch(table: IndexedTable, search: TextSearch): PlannedSearch {
  if (search.query === undefined && search.vector === undefined) throw new KoyaError('KL_SEARCH_EMPTY', `A search of "${table.name}" has neither a text query nor a vector.`)
  const vector = search.vector === undefined ? undefined : planVector(table, search.vector)
  const text = search.query === undefined ? undefined : { ...planMatch(table, search.query), weights: table.ir.search?.weights ?? searchColumnsOf(table).map(() => 1) }
  const snippets = (search.snippets ?? []).map((column) => {
    const indexed = text ? searchColumnsOf(table) : []
    const position = indexed.indexOf(column)
    if (position < 0) {
      throw new KoyaError('KL_SEARCH_NOT_SEARCHABLE', `A snippet of "${table.name}.${column}" was asked for; only indexed columns of a text or hybrid search have snippets.`, {
        hint: text ? `Searchable columns of "${table.name}": ${indexed.join(', ')}.` : 'Leave snippet out of a semantic search.',
      })
    }
    return { column, position }
  })
  return { text, vector, rank: search.rank === true, snippets }
}

function planVector(table: IndexedTable, vector: Float32Array): PlannedVector {
  if (table.vectorDimensions === undefined) {
    throw new KoyaError('KL_SEARCH_NOT_SEMANTIC', `Table "${table.name}" has no vector index.`, {
      hint: `List its columns in \`search: { semantic: [...] }\` on table('${table.name}', …), configure \`embeddings\` in koyalite.ts, then run \`koyalite generate\` and \`koyalite migrate up\`.`,
    })
  }
  if (vector.length !== table.vectorDimensions) {
    throw new KoyaError('KL_SEARCH_EMBEDDING_FAILED', `A search vector of ${vector.length} dimensions was given for "${table.name}", whose vectors have ${table.vectorDimensions}.`)
  }
  return { index: vectorIndexName(table.name), k: undefined }
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
