/**
 * The type-level half of the SDK, the same for every app: how `where`, `orderBy`, `select` and
 * `include` are typed from the generated `Tables` map, and what a query returns. Printed verbatim
 * into generated/sdk/index.ts after the app's own types.
 *
 * Written as String.raw text: the SDK code in it uses no backticks and no template literals.
 */
export const queryTypesSource = String.raw`
// ─── Queries: typed from Tables ─────────────────────────────────────────────────────────────────

/** Every table name. */
export type TableName = keyof Tables
/** A row of table T, as the API returns it. */
export type RowOf<T extends TableName> = Tables[T]['row']
/** What creating a row of table T takes. */
export type InsertOf<T extends TableName> = Tables[T]['insert']
/** What updating a row of table T takes. */
export type UpdateOf<T extends TableName> = Tables[T]['update']
/** The relations of table T: belongs-to (one row) and has-many (an array of rows). */
export type RelationsOf<T extends TableName> = Tables[T]['relations']

/**
 * Which rows: each column takes a value (equality; null means IS NULL) or an object of
 * operators; all conditions hold together. 'or', 'and' and 'not' combine conditions.
 *
 * @example
 * { col: 'a', other: null }                          // col = 'a' and other IS NULL
 * { col: { in: ['a', 'b'] }, num: { gte: 1, lt: 10 } }
 * { or: [{ col: 'a' }, { num: { gt: 5 } }], not: { other: null } }
 */
export type Where<T extends TableName> = { [C in keyof RowOf<T>]?: ColumnFilter<RowOf<T>[C]> } & {
  /** At least one of these holds. */
  or?: readonly Where<T>[]
  /** Every one of these holds (the same as writing them in one object). */
  and?: readonly Where<T>[]
  /** This does not hold. */
  not?: Where<T>
}

/** What a column whose values are V is compared with: a value, or operators. json columns can only be tested for null. */
export type ColumnFilter<V> = [NonNullable<V>] extends [string | number | boolean] ? V | Operators<V> : null extends V ? null | { is?: null } : never

/**
 * The operators of a column whose values are V. Several operators on one column all hold.
 *
 * @example
 * { num: { gte: 2, lte: 4 }, text: { ilike: '*word*' }, nullable: { is: null }, flag: { is: true } }
 */
export interface Operators<V> {
  eq?: NonNullable<V>
  neq?: NonNullable<V>
  gt?: NonNullable<V>
  gte?: NonNullable<V>
  lt?: NonNullable<V>
  lte?: NonNullable<V>
  /** One of these values; an empty list matches no row. */
  in?: readonly NonNullable<V>[]
  /** A case-sensitive pattern: * or % matches any run of characters, _ one character. */
  like?: NonNullable<V> extends string ? string : never
  /** Like 'like', ignoring case. */
  ilike?: NonNullable<V> extends string ? string : never
  /** null on nullable columns; true or false on boolean columns. */
  is?: (null extends V ? null : never) | (NonNullable<V> extends boolean ? boolean : never)
}

/** A sort direction, with where nulls go (by default last ascending, first descending). */
export type SortOrder = 'asc' | 'desc' | { readonly direction: 'asc' | 'desc'; readonly nulls: 'first' | 'last' }

/**
 * The order of the rows: columns in the order written, or an array of such objects.
 *
 * @example
 * { col: 'asc', other: 'desc' }
 * [{ col: 'desc' }, { other: { direction: 'asc', nulls: 'first' } }]
 */
export type OrderBy<T extends TableName> = OrderTerms<T> | readonly OrderTerms<T>[]
type OrderTerms<T extends TableName> = { [C in keyof RowOf<T>]?: SortOrder }

/** Some columns of table T: the result has only these. */
export type Columns<T extends TableName> = readonly (keyof RowOf<T> & string)[]

/**
 * The related rows to fetch with each row: true, or options. A belongs-to relation gives one row
 * (or null when its reference is nullable), a has-many relation an array.
 *
 * @example
 * { parent: true }
 * { parent: { select: ['id', 'name'], include: { grandparent: true } } }
 * { children: { where: { col: 'a' }, orderBy: { col: 'asc' }, limit: 10 } }
 */
export type Include<T extends TableName> = { [R in keyof RelationsOf<T>]?: true | IncludeOptions<RelationsOf<T>[R]> }

/** The options of one included relation: has-many relations can also filter, order and page their rows. */
export type IncludeOptions<Rel> = Rel extends { kind: 'hasMany'; table: infer U extends TableName }
  ? IncludeManyOptions<U>
  : Rel extends { table: infer U extends TableName }
    ? IncludeOneOptions<U>
    : never

/** An included belongs-to relation: its columns and its own relations. */
export interface IncludeOneOptions<T extends TableName> {
  select?: Columns<T> | undefined
  include?: Include<T> | undefined
}

/** An included has-many relation: which of its rows, in what order, and how many. */
export interface IncludeManyOptions<T extends TableName> extends IncludeOneOptions<T> {
  where?: Where<T> | undefined
  orderBy?: OrderBy<T> | undefined
  limit?: number | undefined
  offset?: number | undefined
}

/** The options of every read and write: which columns come back (select) and which related rows (include). */
export interface ReadOptions<T extends TableName, S extends Columns<T> | undefined, I extends Include<T>> {
  /** Only these columns (all when left out). */
  select?: S
  /** Related rows to fetch along. */
  include?: I & KnownRelations<T, I>
}

/** The options of list: which rows, in what order, how many, and in what shape. */
export interface ListOptions<T extends TableName, S extends Columns<T> | undefined, I extends Include<T>> extends ReadOptions<T, S, I> {
  where?: Where<T> | undefined
  orderBy?: OrderBy<T> | undefined
  /** At most this many rows (the server allows up to 1000). */
  limit?: number | undefined
  /** Skip this many rows first. */
  offset?: number | undefined
}

/** How /search ranks: auto picks (docs/search.md), text (full-text), semantic (vectors) or hybrid (both). */
export type SearchMode = 'auto' | 'text' | 'semantic' | 'hybrid'

/** The options of search: list's, with the mode and the columns to return snippets of. */
export interface SearchOptions<T extends TableName, S extends Columns<T> | undefined, I extends Include<T>> extends ListOptions<T, S, I> {
  mode?: SearchMode | undefined
  /** Indexed text columns: each row gets snippet: { <column>: '…<mark>hit</mark>…' } (not HTML-escaped). */
  snippet?: readonly (keyof Tables[T]['row'] & string)[] | undefined
}

/** A search hit: the row (as select and include shape it), its rank and, when asked, its snippets. */
export type SearchResult<T extends TableName, S = undefined, I = {}> = QueryResult<T, S, I> & { rank: number; snippet?: Record<string, string | null> }

/** Refuses relation names that table T does not have, at every level of an include. */
type KnownRelations<T extends TableName, I> = {
  [R in keyof I]: R extends keyof RelationsOf<T>
    ? I[R] extends { include: infer J } ? { include: KnownRelations<TargetOf<RelationsOf<T>[R]>, J> } : unknown
    : never
}

type TargetOf<Rel> = Rel extends { table: infer U extends TableName } ? U : never

/**
 * A row of table T as a read returns it: the selected columns S (all when undefined) and the
 * included relations I. With no select and no include it is the row type itself; select picks
 * columns (Pick<Row, 'id' | 'name'>); each included relation adds a property: Row & { parent: Parent }.
 */
export type QueryResult<T extends TableName, S = undefined, I = {}> = [keyof I] extends [never] ? Picked<T, S> : Picked<T, S> & Included<T, I>

type Picked<T extends TableName, S> = S extends readonly (infer C)[] ? Pick<RowOf<T>, C & keyof RowOf<T>> : RowOf<T>

type Included<T extends TableName, I> = { -readonly [R in keyof I & keyof RelationsOf<T>]-?: Related<RelationsOf<T>[R], Exclude<I[R], undefined>> }

type Related<Rel, O> = Rel extends { table: infer U extends TableName }
  ? Rel extends { kind: 'hasMany' }
    ? QueryResult<U, SelectOf<O>, IncludeOf<O>>[]
    : Rel extends { nullable: true }
      ? QueryResult<U, SelectOf<O>, IncludeOf<O>> | null
      : QueryResult<U, SelectOf<O>, IncludeOf<O>>
  : never

type SelectOf<O> = O extends { select: infer S } ? S : undefined
type IncludeOf<O> = O extends { include: infer I } ? I : {}
`
