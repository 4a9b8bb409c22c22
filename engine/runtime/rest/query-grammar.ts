/**
 * PostgREST's URL query grammar, parsed into a typed AST: `select`, column filters, `or`/`and`
 * trees, `order`, `limit`/`offset`, `on_conflict` and `columns`, as `@supabase/postgrest-js`
 * sends them. Pure: no database, no HTTP, no knowledge of the app's tables; the data layer checks
 * names against the model later. Every malformed input throws a KoyaError with a KL_API_ code.
 *
 * The lexical rules (names, quoting, filter values, logic trees) live in query-values.ts.
 */
import { KoyaError } from '../../shared/errors.ts'
import { assertNever } from '../../shared/assert-never.ts'
import { FILTER_HINT, LOGIC_HINT, quote, readLogicGroup, readName, readOpExpr, Scanner, spendFilter, type FilterBudget } from './query-values.ts'

/**
 * The operators KoyaLite serves. PostgREST's array, range, regex and full-text operators answer
 * KL_API_UNSUPPORTED_SYNTAX.
 *
 * @example
 * // priority=gte.2  →  operator 'gte'
 */
/** `fts plfts phfts wfts`: PostgreSQL's to_tsquery, plainto_, phraseto_, websearch_to_tsquery (a `(config)` after them is read and ignored). */
export type FilterOperator = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'like' | 'ilike' | 'in' | 'is' | 'fts' | 'plfts' | 'phfts' | 'wfts'

/**
 * An operand. `text` is the value as written (for like/ilike `*` is kept; the SQL layer maps it
 * to `%`); `list` is what `in` takes (`in.()` is the empty list); `is` takes null, true or false
 * (PostgREST's `unknown` reads as null).
 *
 * @example
 * // tags=in.(a,"b,c")  →  { kind: 'list', values: ['a', 'b,c'] }
 * // body=is.null       →  { kind: 'null' }
 */
export type FilterValue = { kind: 'text'; value: string } | { kind: 'list'; values: string[] } | { kind: 'null' } | { kind: 'true' } | { kind: 'false' }

/**
 * A condition. `path` is absolute from the root table: `['status']`, or `['project', 'name']`
 * for a condition on the embedded `project` rows. A logic node's `path` is the embed level its
 * tree applies to (`[]` for `or=…`, `['project']` for `project.or=…`); every compare node under
 * it starts with that prefix.
 *
 * @example
 * // status=not.eq.done
 * { kind: 'compare', path: ['status'], operator: 'eq', value: { kind: 'text', value: 'done' }, negated: true }
 */
export type FilterNode =
  | { kind: 'compare'; path: string[]; operator: FilterOperator; value: FilterValue; negated: boolean }
  | { kind: 'and' | 'or'; filters: FilterNode[]; negated: boolean; path: string[] }

/**
 * One item of `select`. Embeds nest; `inner` is `!inner`; `hint` names the foreign key or
 * column that picks the relationship (`author:users!authorId(name)`). `cast` is kept as written
 * (`title::text`); the data layer decides which casts it serves.
 *
 * @example
 * // select=id,p:project!inner(name)
 * [{ kind: 'column', name: 'id' }, { kind: 'embed', relation: 'project', alias: 'p', inner: true, select: [{ kind: 'column', name: 'name' }] }]
 */
export type SelectNode =
  | { kind: 'all' }
  | { kind: 'column'; name: string; alias?: string; cast?: string }
  | { kind: 'embed'; relation: string; alias?: string; inner: boolean; hint?: string; select: SelectNode[] }

/**
 * One `order` term. `path` is `['dueAt']` for `order=dueAt.desc`, `['project', 'name']` for
 * `project.order=name` (orders the embedded rows). `direction` defaults to asc.
 *
 * @example
 * // order=dueAt.desc.nullslast  →  { path: ['dueAt'], direction: 'desc', nulls: 'last' }
 */
export interface OrderTerm {
  path: string[]
  direction: 'asc' | 'desc'
  nulls: 'first' | 'last' | 'default'
}

/**
 * A page of the embedded rows of `path`, as postgrest-js sends with `referencedTable`.
 *
 * @example
 * // comments.limit=5&comments.offset=10  →  { path: ['comments'], limit: 5, offset: 10 }
 */
export interface EmbedRange {
  path: string[]
  limit: number | undefined
  offset: number | undefined
}

/**
 * A parsed query string.
 *
 * @example
 * parseQuery(new URLSearchParams('select=id,title&status=eq.todo&order=dueAt.desc&limit=20'))
 */
export interface ParsedQuery {
  /** Default `[{ kind: 'all' }]`. */
  select: SelectNode[]
  /** Top-level conditions, ANDed, in the order the parameters came. */
  filters: FilterNode[]
  order: OrderTerm[]
  limit: number | undefined
  offset: number | undefined
  /** Embedded `x.limit` / `x.offset`, one entry per embed path. */
  embedRanges: EmbedRange[]
  /** `on_conflict=a,b`: the unique columns an upsert matches on. */
  onConflict: string[] | undefined
  /** `columns=a,b`: the columns a bulk insert takes from each row. */
  columns: string[] | undefined
}

/**
 * Bounds on one request. `maxFilters` counts every node of every filter tree (a column filter,
 * an or/and group and each condition inside it), which also bounds how deep groups nest;
 * `maxValueLength` applies to each parameter name and value.
 *
 * @example
 * const limits: QueryLimits = { ...DEFAULT_QUERY_LIMITS, maxLimit: 200 }
 */
export interface QueryLimits {
  maxFilters: number
  maxValueLength: number
  maxEmbedDepth: number
  maxLimit: number
  maxInListLength: number
}

/** @example parseQuery(params, { ...DEFAULT_QUERY_LIMITS, maxLimit: 200 }) */
export const DEFAULT_QUERY_LIMITS: QueryLimits = Object.freeze({ maxFilters: 50, maxValueLength: 4096, maxEmbedDepth: 3, maxLimit: 1000, maxInListLength: 500 })

const SELECT_HINT =
  'List columns and embeds separated by commas: select=id,title,project(name); rename with alias:column; pick the join with relation!inner(…) and the relationship with relation!hint(…).'
const ORDER_HINT = 'Write order=column, order=column.desc or order=column.asc.nullslast, several terms separated by commas (e.g. order=dueAt.desc.nullslast,title).'
const COLUMN_LIST_HINT = 'List column names separated by commas, e.g. on_conflict=email or columns=title,status; double-quote a name to use it as written.'
const PAGINATION_HINT = 'Pass a whole number of zero or more, e.g. limit=20&offset=40.'

/** Where a parameter goes, decided from its name alone, as PostgREST does. */
type ParamTarget =
  | { kind: 'select' | 'columns' | 'onConflict' }
  | { kind: 'order' | 'limit' | 'offset'; path: string[] }
  | { kind: 'logic'; operator: 'and' | 'or'; negated: boolean; path: string[] }
  | { kind: 'filter'; path: string[] }

/**
 * Parses a request's query parameters. Every parameter that is not reserved (`select`, `order`,
 * `limit`, `offset`, `or`, `and`, `not.or`, `not.and`, `on_conflict`, `columns` and their
 * embedded forms such as `project.or`) is a filter on a column path; a repeated filter is two
 * ANDed conditions.
 *
 * @example
 * const query = parseQuery(new URLSearchParams('select=title,project(name)&or=(status.eq.todo,priority.gt.1)&limit=20'))
 * query.filters[0] // { kind: 'or', path: [], negated: false, filters: [...] }
 * @throws KoyaError with a KL_API_ code for any malformed or over-limit input.
 */
export function parseQuery(params: URLSearchParams, limits: QueryLimits = DEFAULT_QUERY_LIMITS): ParsedQuery {
  const query: ParsedQuery = { select: [{ kind: 'all' }], filters: [], order: [], limit: undefined, offset: undefined, embedRanges: [], onConflict: undefined, columns: undefined }
  const budget: FilterBudget = { limits, used: 0 }
  const seen = new Set<string>()
  const once = (what: string, key: string, code: 'KL_API_BAD_SELECT' | 'KL_API_BAD_ORDER' | 'KL_API_BAD_PAGINATION' | 'KL_API_BAD_COLUMN_LIST'): void => {
    if (seen.has(what)) throw new KoyaError(code, `The "${key}" parameter is given more than once.`, { hint: 'Send it once; for several terms, separate them with commas in one value.' })
    seen.add(what)
  }

  for (const [key, value] of params) {
    checkLength(key, value, limits)
    const target = classify(key, limits)
    switch (target.kind) {
      case 'select':
        once('select', key, 'KL_API_BAD_SELECT')
        query.select = parseSelect(value, limits)
        break
      case 'columns':
        once('columns', key, 'KL_API_BAD_COLUMN_LIST')
        query.columns = parseColumnList(key, value)
        break
      case 'onConflict':
        once('on_conflict', key, 'KL_API_BAD_COLUMN_LIST')
        query.onConflict = parseColumnList(key, value)
        break
      case 'order':
        once(`order:${target.path.join('.')}`, key, 'KL_API_BAD_ORDER')
        query.order.push(...parseOrder(key, value, target.path))
        break
      case 'limit':
      case 'offset': {
        once(`${target.kind}:${target.path.join('.')}`, key, 'KL_API_BAD_PAGINATION')
        const count = parseCount(key, value, target.kind, limits)
        if (target.path.length === 0) query[target.kind] = count
        else rangeOf(query, target.path)[target.kind] = count
        break
      }
      case 'logic': {
        const s = new Scanner(value, `the "${key}" parameter`, 'KL_API_BAD_FILTER', LOGIC_HINT)
        const tree = readLogicGroup(s, target.operator, target.negated, target.path, budget)
        s.skipSpaces()
        if (!s.atEnd) s.fail(`unexpected text after the closing ")"`)
        query.filters.push(tree)
        break
      }
      case 'filter': {
        const s = new Scanner(value, `the "${key}" filter`, 'KL_API_BAD_FILTER', FILTER_HINT)
        spendFilter(s, budget)
        const expr = readOpExpr(s, 'param', limits)
        if (!s.atEnd) s.fail(`unexpected text after the value`)
        query.filters.push({ kind: 'compare', path: target.path, ...expr })
        break
      }
      default:
        assertNever(target, 'query parameter')
    }
  }
  return query
}

function checkLength(key: string, value: string, limits: QueryLimits): void {
  const longest = Math.max(key.length, value.length)
  if (longest <= limits.maxValueLength) return
  throw new KoyaError('KL_API_LIMIT_EXCEEDED', `The query parameter ${quote(key)} is ${longest} characters long; the maximum is ${limits.maxValueLength}.`, {
    hint: 'Shorten the parameter, split the request, or send large value sets in a POST body.',
  })
}

const RESERVED_EMBEDDABLE = new Set(['order', 'limit', 'offset', 'and', 'or'])

/**
 * Reads a parameter name: `select`, `columns` and `on_conflict` are reserved as written; any
 * other name is a dotted path whose last segment may be order/limit/offset/and/or (a reserved
 * parameter at that embed level) or is a column. A double-quoted segment is always a name:
 * `"order"=eq.1` filters a column called order.
 */
function classify(key: string, limits: QueryLimits): ParamTarget {
  if (key === 'select') return { kind: 'select' }
  if (key === 'columns') return { kind: 'columns' }
  if (key === 'on_conflict') return { kind: 'onConflict' }
  const s = new Scanner(key, 'the parameter name', 'KL_API_BAD_FILTER', FILTER_HINT)
  const segments: { name: string; quoted: boolean }[] = []
  do {
    s.skipSpaces()
    const quoted = s.peek() === '"'
    segments.push({ name: readName(s, 'a column or relation name'), quoted })
    s.refuseJsonPath()
  } while (s.eat('.'))
  if (!s.atEnd) s.fail(`unexpected ${s.describeNext()} in a column path (write column or relation.column)`)

  const last = segments.at(-1)!
  const prefix = segments.slice(0, -1)
  const reserved = !last.quoted && RESERVED_EMBEDDABLE.has(last.name) ? last.name : undefined
  if (reserved === 'and' || reserved === 'or') {
    // PostgREST reads `not` anywhere before the operator as negation: not.or, project.not.or.
    const path = prefix.filter((p) => p.quoted || p.name !== 'not').map((p) => p.name)
    checkEmbedDepth(key, path.length, limits)
    return { kind: 'logic', operator: reserved, negated: path.length < prefix.length, path }
  }
  const names = segments.map((p) => p.name)
  if (reserved === 'order' || reserved === 'limit' || reserved === 'offset') {
    checkEmbedDepth(key, prefix.length, limits)
    return { kind: reserved, path: names.slice(0, -1) }
  }
  checkEmbedDepth(key, names.length - 1, limits)
  return { kind: 'filter', path: names }
}

function checkEmbedDepth(key: string, depth: number, limits: QueryLimits): void {
  if (depth <= limits.maxEmbedDepth) return
  throw new KoyaError('KL_API_LIMIT_EXCEEDED', `The parameter ${quote(key)} reaches ${depth} embeds deep; the maximum is ${limits.maxEmbedDepth}.`, {
    hint: `Nest embedded resources at most ${limits.maxEmbedDepth} levels deep.`,
  })
}

function rangeOf(query: ParsedQuery, path: string[]): EmbedRange {
  const joined = path.join('\u0000')
  let range = query.embedRanges.find((r) => r.path.join('\u0000') === joined)
  if (!range) {
    range = { path, limit: undefined, offset: undefined }
    query.embedRanges.push(range)
  }
  return range
}

/** limit and offset are whole numbers written with digits only; PostgREST ignores a bad one, KoyaLite refuses it. */
function parseCount(key: string, value: string, which: 'limit' | 'offset', limits: QueryLimits): number {
  let digits = value.length > 0 && value.length <= 15
  for (const ch of value) digits &&= ch >= '0' && ch <= '9'
  if (!digits) throw new KoyaError('KL_API_BAD_PAGINATION', `The "${key}" parameter must be a whole number of zero or more, not ${quote(value)}.`, { hint: PAGINATION_HINT })
  const count = Number(value)
  if (which === 'limit' && count > limits.maxLimit) {
    throw new KoyaError('KL_API_LIMIT_EXCEEDED', `The "${key}" parameter asks for ${count} rows; the maximum is ${limits.maxLimit}.`, {
      hint: `Ask for at most ${limits.maxLimit} rows (limit=${limits.maxLimit}) and page through the rest with offset.`,
    })
  }
  return count
}

function parseColumnList(key: string, value: string): string[] {
  const s = new Scanner(value, `the "${key}" parameter`, 'KL_API_BAD_COLUMN_LIST', COLUMN_LIST_HINT)
  const names: string[] = []
  do {
    names.push(readName(s, 'a column name'))
    s.skipSpaces()
  } while (s.eat(','))
  if (!s.atEnd) s.fail(`unexpected ${s.describeNext()} (expected "," or the end)`)
  return names
}

function parseOrder(key: string, value: string, path: string[]): OrderTerm[] {
  const s = new Scanner(value, `the "${key}" parameter`, 'KL_API_BAD_ORDER', ORDER_HINT)
  const terms: OrderTerm[] = []
  do {
    const column = readName(s, 'a column name')
    s.refuseJsonPath()
    if (s.peek() === '(') {
      s.unsupported('ordering by a column of an embedded resource, relation(column), is not supported', 'Order by a column of this table, or order the embedded rows themselves with relation.order=column.')
    }
    const term: OrderTerm = { path: [...path, column], direction: 'asc', nulls: 'default' }
    let sawDirection = false
    while (s.eat('.')) {
      const start = s.pos
      const word = s.word()
      if ((word === 'asc' || word === 'desc') && !sawDirection && term.nulls === 'default') {
        term.direction = word
        sawDirection = true
      } else if ((word === 'nullsfirst' || word === 'nullslast') && term.nulls === 'default') {
        term.nulls = word === 'nullsfirst' ? 'first' : 'last'
      } else {
        s.pos = start
        const found = quote(s.until('.,'))
        s.pos = start
        s.fail(`expected asc, desc, nullsfirst or nullslast after "${column}.", found ${found}`)
      }
    }
    s.skipSpaces()
    if (!s.atEnd && s.peek() !== ',') s.fail(`unexpected ${s.describeNext()} after the term for "${column}"`)
    terms.push(term)
  } while (s.eat(','))
  return terms
}

function parseSelect(value: string, limits: QueryLimits): SelectNode[] {
  const s = new Scanner(value, 'the "select" parameter', 'KL_API_BAD_SELECT', SELECT_HINT)
  if (value.trim() === '') s.fail('it is empty (use select=* for every column)')
  const items = readSelectList(s, 0, limits)
  if (!s.atEnd) s.fail(s.peek() === ')' ? 'this ")" closes no embed' : `unexpected ${s.describeNext()}`)
  return items
}

function readSelectList(s: Scanner, depth: number, limits: QueryLimits): SelectNode[] {
  const items: SelectNode[] = []
  do items.push(readSelectItem(s, depth, limits))
  while (s.eat(','))
  return items
}

/** `*`, `[alias:]column[::cast]` or `[alias:]relation[!hint][!inner](…)` (PostgREST's pFieldTree). */
function readSelectItem(s: Scanner, depth: number, limits: QueryLimits): SelectNode {
  s.skipSpaces()
  if (s.startsWith('..')) s.unsupported('spread embeds (...relation(…)) are not supported')
  if (s.eat('*')) {
    endOfSelectItem(s)
    return { kind: 'all' }
  }
  let name = readName(s, 'a column or relation name')
  let alias: string | undefined
  if (s.peek() === ':' && s.peek(1) !== ':') {
    s.pos++
    alias = name
    s.skipSpaces()
    if (s.peek() === '*') s.fail('"*" cannot take an alias')
    name = readName(s, `a column or relation name after the alias "${alias}:"`)
  }
  s.refuseJsonPath()
  if (s.peek() === '!' || s.peek() === '(') return readEmbed(s, name, alias, depth, limits)
  let cast: string | undefined
  if (s.eat('::')) cast = readName(s, 'a type name after "::"')
  endOfSelectItem(s)
  return { kind: 'column', name, ...(alias === undefined ? {} : { alias }), ...(cast === undefined ? {} : { cast }) }
}

function readEmbed(s: Scanner, relation: string, alias: string | undefined, depth: number, limits: QueryLimits): SelectNode {
  let hint: string | undefined
  let join: 'inner' | 'left' | undefined
  while (s.eat('!')) {
    const param = readName(s, 'a join type (inner, left) or a relationship hint after "!"')
    if (param === 'inner' || param === 'left') {
      if (join !== undefined) s.fail(`"${relation}" has two join types`)
      join = param
    } else {
      if (hint !== undefined) s.fail(`"${relation}" has two relationship hints ("${hint}" and "${param}")`)
      hint = param
    }
  }
  s.expect('(', `expected "(" and the embedded columns after "${relation}"`)
  if (depth + 1 > limits.maxEmbedDepth) {
    s.fail(`embeds nest more than ${limits.maxEmbedDepth} levels deep`, { code: 'KL_API_LIMIT_EXCEEDED', hint: `Nest embedded resources at most ${limits.maxEmbedDepth} levels deep.` })
  }
  s.skipSpaces()
  // `rel()` embeds nothing: PostgREST uses it to filter by a related table (with !inner) without returning its columns.
  const select = s.peek() === ')' ? [] : readSelectList(s, depth + 1, limits)
  s.expect(')', `expected "," or ")" to close "${relation}(", found ${s.describeNext()}`)
  if (relation === 'count' && select.length === 0 && hint === undefined && join === undefined) s.unsupported('aggregates such as count() are not supported; use the Prefer: count=exact header')
  endOfSelectItem(s)
  return { kind: 'embed', relation, ...(alias === undefined ? {} : { alias }), inner: join === 'inner', ...(hint === undefined ? {} : { hint }), select }
}

function endOfSelectItem(s: Scanner): void {
  s.skipSpaces()
  if (s.atEnd || s.peek() === ',' || s.peek() === ')') return
  if (s.peek() === '.') {
    const start = s.pos
    s.pos++
    const word = s.word()
    if (word !== '' && s.peek() === '(') s.unsupported(`aggregates such as .${word}() are not supported`)
    s.pos = start
    s.fail('unexpected "." (to select a column of a related table, embed it: relation(column))')
  }
  s.fail(`unexpected ${s.describeNext()}`)
}
