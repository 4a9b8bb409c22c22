import type { TextQuery } from './text-query.ts'

/**
 * The neutral query: the data layer's only input. REST translates PostgREST's URL grammar into
 * it (runtime/rest/neutral-query.ts); GraphQL, jobs acting as a user, search and functions build
 * it directly. Names are the model's (tables, columns, relations); values are typed JS values,
 * which the data layer still checks against the model (types, enum values) before any SQL runs.
 *
 * @example
 * const open: ReadQuery = {
 *   table: 'tasks',
 *   select: [{ kind: 'column', column: 'title' }, { kind: 'embed', relation: 'comments', orderBy: [{ column: 'createdAt' }], limit: 3 }],
 *   where: { kind: 'and', where: [{ kind: 'in', column: 'status', values: ['todo', 'doing'] }, { kind: 'some', relation: 'comments', where: { kind: 'compare', column: 'body', operator: 'ilike', value: '%urgent%' } }] },
 *   orderBy: [{ column: 'dueAt', direction: 'asc', nulls: 'last' }],
 *   limit: 20,
 * }
 */

/** A scalar a filter compares with: a bool column takes booleans, an int or real column numbers, the rest strings. */
export type FilterScalar = string | number | boolean

/**
 * `eq neq gt gte lt lte` compare; `like` is case-sensitive and `ilike` ASCII-case-insensitive,
 * with `%` (or `*`) for any run and `_` for one character, as in PostgreSQL.
 */
export type CompareOperator = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'like' | 'ilike'

/**
 * A filter tree over one table's rows. A comparison with a null column is false (and so is its
 * `not`, as in SQL); test nulls with `is`. Relation filters see only related rows the caller may
 * read: `some`/`every`/`none` over a has-many relation, `parent` over a belongs-to one (the row
 * has a readable parent that matches).
 *
 * @example
 * // tasks whose project is not archived and that have no comment by Ada
 * { kind: 'and', where: [
 *   { kind: 'parent', relation: 'project', where: { kind: 'is', column: 'archived', value: false } },
 *   { kind: 'none', relation: 'comments', where: { kind: 'compare', column: 'authorId', operator: 'eq', value: adaId } },
 * ] }
 */
export type Where =
  | { readonly kind: 'compare'; readonly column: string; readonly operator: CompareOperator; readonly value: FilterScalar }
  /** An empty list matches no row. */
  | { readonly kind: 'in'; readonly column: string; readonly values: readonly FilterScalar[] }
  /** `IS NULL`, `IS TRUE`, `IS FALSE` (true/false on bool columns only). */
  | { readonly kind: 'is'; readonly column: string; readonly value: null | boolean }
  /** An empty `and` matches every row, an empty `or` none. */
  | { readonly kind: 'and' | 'or'; readonly where: readonly Where[] }
  | { readonly kind: 'not'; readonly where: Where }
  /** Has-many: at least one / every / no readable related row passes `where` (absent: any row). */
  | { readonly kind: 'some' | 'every' | 'none'; readonly relation: string; readonly where?: Where }
  /** Belongs-to: the parent exists, the caller may read it, and it passes `where`. */
  | { readonly kind: 'parent'; readonly relation: string; readonly where?: Where }
  /**
   * Full-text: the row's `search.text` columns (or `columns`, a subset) match `query` through
   * the table's FTS5 index. @example { kind: 'match', query: { kind: 'terms', text: 'invoice', prefix: true } }
   */
  | { readonly kind: 'match'; readonly query: TextQuery; readonly columns?: readonly string[] }

/** One order term. Nulls sort as if larger by default (PostgreSQL's rule): last ascending, first descending. */
export interface OrderBy {
  readonly column: string
  readonly direction?: 'asc' | 'desc'
  readonly nulls?: 'first' | 'last'
}

/**
 * One item of a select tree. An embed reads a relation's rows (an object or null for belongs-to,
 * an array for has-many) through that table's read policy, with its own filter, order and page;
 * `inner` keeps the row only when the embed found a row (PostgREST's `!inner`).
 *
 * @example
 * [{ kind: 'all' }, { kind: 'embed', relation: 'project', as: 'p', select: [{ kind: 'column', column: 'name' }] }]
 */
export type SelectItem =
  | { readonly kind: 'all' }
  | { readonly kind: 'column'; readonly column: string; readonly as?: string }
  | {
      readonly kind: 'embed'
      readonly relation: string
      readonly as?: string
      /** Default: every column. */
      readonly select?: readonly SelectItem[]
      readonly where?: Where
      readonly orderBy?: readonly OrderBy[]
      readonly limit?: number
      readonly offset?: number
      readonly inner?: boolean
    }

/**
 * A read of one table's rows.
 *
 * @example
 * data.list(actor, { table: 'tasks', where: { kind: 'compare', column: 'status', operator: 'eq', value: 'todo' }, limit: 20 })
 */
export interface ReadQuery {
  readonly table: string
  /** Default: every column. */
  readonly select?: readonly SelectItem[]
  readonly where?: Where
  readonly orderBy?: readonly OrderBy[]
  readonly limit?: number
  readonly offset?: number
  /** Rank the rows by relevance to a full-text query (only rows that match). */
  readonly search?: TextSearch
}

/**
 * A ranked read: full-text (`query`), semantic (`vector`) or both (hybrid). Full-text: only rows
 * matching `query`, best first (bm25 over the table's
 * `search.text` columns with its `weights`), after the query's own `orderBy` terms if any.
 * `rank: true` adds `rank` to each row (higher is better: bm25 negated); `snippets` adds
 * `snippet: { <column>: text }`, the matching passage with hits in `<mark>…</mark>` (the text is
 * not HTML-escaped).
 *
 * @example
 * data.list(actor, { table: 'tasks', search: { query, rank: true, snippets: ['title'] }, limit: 20 })
 */
export interface TextSearch {
  /** Full-text: only rows matching it, ranked by bm25. Without `vector`, required. */
  readonly query?: TextQuery
  /**
   * Semantic: rows with a vector (the table's `search.semantic` index), nearest first (cosine).
   * With `query` too, the search is hybrid: the two rankings, each over the rows the caller may
   * read, fused by reciprocal rank (docs/search.md).
   */
  readonly vector?: Float32Array
  readonly rank?: boolean
  readonly snippets?: readonly string[]
}

/** Which existing rows a write touches: one by id, or those a filter matches (a filter is required). */
export type WriteTarget = { readonly id: string } | { readonly where: Where }

/**
 * New rows, or an upsert: with `onConflict`, a row that meets an existing one on `columns` (the
 * primary key or a unique key) updates it (`merge`) or leaves it (`ignore`).
 *
 * @example
 * { table: 'members', rows: [{ workspaceId, userId, role: 'editor' }], onConflict: { columns: ['workspaceId', 'userId'], resolution: 'merge' }, returning: [{ kind: 'all' }] }
 */
export interface InsertQuery {
  readonly table: string
  readonly rows: readonly Readonly<Record<string, unknown>>[]
  /** Without `resolution` the columns are only checked to be a unique key (PostgREST's on_conflict alone). */
  readonly onConflict?: { readonly columns: readonly string[]; readonly resolution?: 'merge' | 'ignore' }
  /** Read the written rows back with this select (through the read policy). */
  readonly returning?: readonly SelectItem[]
}

/** A patch applied to the target rows. @example { table: 'tasks', target: { id }, patch: { status: 'done' } } */
export interface UpdateQuery {
  readonly table: string
  readonly target: WriteTarget
  readonly patch: Readonly<Record<string, unknown>>
  readonly returning?: readonly SelectItem[]
}

/** @example { table: 'tasks', target: { where: { kind: 'compare', column: 'status', operator: 'eq', value: 'done' } } } */
export interface DeleteQuery {
  readonly table: string
  readonly target: WriteTarget
  /** The deleted rows as they were, read before they go. */
  readonly returning?: readonly SelectItem[]
}

/** Every column of the table: the default select. */
export const ALL: readonly SelectItem[] = [{ kind: 'all' }]
