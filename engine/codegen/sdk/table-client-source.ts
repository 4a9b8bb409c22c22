/**
 * The table client of the SDK, the same for every app: the eight methods of a table and how each
 * maps to the REST API (PostgREST's grammar, ARCHITECTURE.md §5). Printed verbatim into
 * generated/sdk/index.ts.
 *
 * Written as String.raw text: the SDK code in it uses no backticks and no template literals.
 */
export const tableClientSource = String.raw`
// ─── Table client: /api/<table> ─────────────────────────────────────────────────────────────────

/**
 * The rows of one table: koya.<table>.list, get, count, create, update, updateMany, delete and
 * deleteMany. Reads take select (columns) and include (relations), and their result type follows
 * both; writes return the rows as the server stored them.
 */
export class TableClient<T extends TableName> {
  readonly #transport: KoyaTransport
  readonly #path: string
  readonly #table: T
  readonly #realtime: RealtimeConnection

  constructor(transport: KoyaTransport, table: T, realtime: RealtimeConnection) {
    this.#transport = transport
    this.#path = '/api/' + table
    this.#table = table
    this.#realtime = realtime
  }

  /**
   * The changes of the rows you may read that match where, as they commit (over the client's one
   * WebSocket to /realtime, reconnected and resumed on its own). Returns the unsubscribe.
   *
   * @example
   * const stop = koya.tasks.subscribe({ where: { status: 'todo' } }, (change) => console.log(change.event))
   */
  subscribe(options: SubscribeOptions<T>, callback: (change: ChangeEvent<T>) => void): () => void {
    return this.#realtime.subscribe(this.#table, options as { readonly where?: LooseObject | undefined }, callback as (event: never) => void)
  }

  /** The rows that match where, sorted by orderBy, at most limit of them after skipping offset. */
  list<const S extends Columns<T> | undefined = undefined, const I extends Include<T> = {}>(options?: ListOptions<T, S, I>): Promise<QueryResult<T, S, I>[]>
  async list(options: LooseListOptions = {}): Promise<unknown> {
    const params: QueryParam[] = []
    writeSelect(params, options)
    writeWhere(params, options.where, '')
    writeOrder(params, options.orderBy, '')
    writeRange(params, options, '')
    writeIncludeOptions(params, options.include, '')
    return (await this.#transport.request({ method: 'GET', path: this.#path, params })).body
  }

  /**
   * Ranked search at /search/<table>, for tables with search.text or search.semantic columns: the
   * rows you may read, best first, each with rank (higher is better) and, when asked, snippet.
   * mode: auto (default), text, semantic or hybrid; where, orderBy, select, include, limit
   * (default 20) and offset as in list.
   *
   * @example
   * const hits = await koya.tasks.search('launch -draft', { mode: 'text', where: { status: 'todo' }, snippet: ['title'], limit: 10 })
   */
  search<const S extends Columns<T> | undefined = undefined, const I extends Include<T> = {}>(this: TableClient<T & SearchableTable>, q: string, options?: SearchOptions<T, S, I>): Promise<SearchResult<T, S, I>[]>
  async search(q: string, options: LooseListOptions & { readonly mode?: string | undefined; readonly snippet?: readonly string[] | undefined } = {}): Promise<unknown> {
    const params: QueryParam[] = [['q', q]]
    if (options.mode !== undefined) params.push(['mode', options.mode])
    if (options.snippet !== undefined && options.snippet.length > 0) params.push(['snippet', options.snippet.join(',')])
    writeSelect(params, options)
    writeWhere(params, options.where, '')
    writeOrder(params, options.orderBy, '')
    writeRange(params, options, '')
    writeIncludeOptions(params, options.include, '')
    return (await this.#transport.request({ method: 'GET', path: '/search/' + this.#table, params })).body
  }

  /**
   * One row by id. A missing row (or one you may not read) throws KoyaClientError with code
   * KL_API_NOT_FOUND and status 404.
   */
  get<const S extends Columns<T> | undefined = undefined, const I extends Include<T> = {}>(id: string, options?: ReadOptions<T, S, I>): Promise<QueryResult<T, S, I>>
  async get(id: string, options: LooseReadOptions = {}): Promise<unknown> {
    return (await this.#transport.request({ method: 'GET', path: this.#rowPath(id), params: readParams(options) })).body
  }

  /** How many rows match: count() for all of them, count({ where }) or count(where) for some. */
  count(filter?: { where?: Where<T> } | Where<T>): Promise<number>
  async count(filter: LooseObject = {}): Promise<number> {
    const where = isCountOptions(filter) ? filter.where : filter
    const params: QueryParam[] = []
    writeWhere(params, where, '')
    params.push(['limit', '0'])
    const response = await this.#transport.request({ method: 'GET', path: this.#path, params, prefer: ['count=exact'] })
    const total = /\/(\d+)$/.exec(response.headers.get('content-range') ?? '')
    if (total === null) {
      throw new KoyaClientError('KL_CLIENT_BAD_RESPONSE', 'The server answered a count without a total in Content-Range.', { status: response.status, hint: 'Check that the url points at a KoyaLite server.' })
    }
    return Number(total[1])
  }

  /** Creates one row and returns it, or an array of rows in one transaction and returns them in order. */
  create<const S extends Columns<T> | undefined = undefined, const I extends Include<T> = {}>(row: InsertOf<T>, options?: ReadOptions<T, S, I>): Promise<QueryResult<T, S, I>>
  create<const S extends Columns<T> | undefined = undefined, const I extends Include<T> = {}>(rows: readonly InsertOf<T>[], options?: ReadOptions<T, S, I>): Promise<QueryResult<T, S, I>[]>
  async create(values: object, options: LooseReadOptions = {}): Promise<unknown> {
    const response = await this.#transport.request({ method: 'POST', path: this.#path, params: readParams(options), body: values, prefer: ['return=representation'] })
    const rows = response.body as unknown[]
    return Array.isArray(values) ? rows : onlyRow(rows, response.status, 'created')
  }

  /** Changes one row by id and returns it; a missing row throws KL_API_NOT_FOUND. */
  update<const S extends Columns<T> | undefined = undefined, const I extends Include<T> = {}>(id: string, patch: UpdateOf<T>, options?: ReadOptions<T, S, I>): Promise<QueryResult<T, S, I>>
  async update(id: string, patch: object, options: LooseReadOptions = {}): Promise<unknown> {
    return (await this.#transport.request({ method: 'PATCH', path: this.#rowPath(id), params: readParams(options), body: patch })).body
  }

  /**
   * Changes every row that matches and returns them. where must filter: an empty one is refused
   * with KL_API_FILTER_REQUIRED.
   */
  updateMany<const S extends Columns<T> | undefined = undefined, const I extends Include<T> = {}>(where: Where<T>, patch: UpdateOf<T>, options?: ReadOptions<T, S, I>): Promise<QueryResult<T, S, I>[]>
  async updateMany(where: LooseObject, patch: object, options: LooseReadOptions = {}): Promise<unknown> {
    const params = readParams(options)
    writeWhere(params, where, '')
    return (await this.#transport.request({ method: 'PATCH', path: this.#path, params, body: patch, prefer: ['return=representation'] })).body
  }

  /** Deletes one row by id; a missing row throws KL_API_NOT_FOUND. */
  async delete(id: string): Promise<void> {
    await this.#transport.request({ method: 'DELETE', path: this.#rowPath(id) })
  }

  /**
   * Deletes every row that matches and returns how many, or with { returning: true } the rows
   * themselves. where must filter: an empty one is refused with KL_API_FILTER_REQUIRED.
   */
  deleteMany(where: Where<T>): Promise<number>
  deleteMany<const S extends Columns<T> | undefined = undefined, const I extends Include<T> = {}>(where: Where<T>, options: ReadOptions<T, S, I> & { returning: true }): Promise<QueryResult<T, S, I>[]>
  async deleteMany(where: LooseObject, options?: LooseReadOptions & { returning?: boolean }): Promise<unknown> {
    const returning = options?.returning === true
    const params: QueryParam[] = returning ? readParams(options) : [['select', 'id']]
    writeWhere(params, where, '')
    const rows = (await this.#transport.request({ method: 'DELETE', path: this.#path, params, prefer: ['return=representation'] })).body as unknown[]
    return returning ? rows : rows.length
  }

  #rowPath(id: string): string {
    return this.#path + '/' + encodeURIComponent(id)
  }
}

// ─── Queries → PostgREST parameters ─────────────────────────────────────────────────────────────

type LooseObject = { readonly [key: string]: unknown }
type QueryParam = readonly [name: string, value: string]

interface LooseReadOptions {
  readonly select?: readonly string[] | undefined
  readonly include?: LooseObject | undefined
}

interface LooseListOptions extends LooseReadOptions {
  readonly where?: LooseObject | undefined
  readonly orderBy?: LooseObject | readonly LooseObject[] | undefined
  readonly limit?: number | undefined
  readonly offset?: number | undefined
}

function isCountOptions(filter: LooseObject): filter is { where?: LooseObject } {
  const keys = Object.keys(filter)
  const where = filter['where']
  return keys.length === 1 && keys[0] === 'where' && typeof where === 'object' && where !== null
}

function onlyRow(rows: unknown[], status: number, what: string): unknown {
  if (rows.length === 1) return rows[0]
  throw new KoyaClientError('KL_CLIENT_BAD_RESPONSE', 'The row was ' + what + ', but the server returned ' + rows.length + ' rows instead of one.', { status, hint: 'The row may not be readable with these credentials.' })
}

/** select=… and the where/order/limit/offset of included has-many relations. */
function readParams(options: LooseReadOptions): QueryParam[] {
  const params: QueryParam[] = []
  writeSelect(params, options)
  writeIncludeOptions(params, options.include, '')
  return params
}

function writeSelect(params: QueryParam[], options: LooseReadOptions): void {
  const select = selectOf(options.select, options.include)
  if (select !== undefined) params.push(['select', select])
}

/** 'id,col,rel(*,nested(*))'; undefined for every column and no relation. */
function selectOf(columns: readonly string[] | undefined, include: LooseObject | undefined): string | undefined {
  const items = columns === undefined ? ['*'] : [...columns]
  let embeds = 0
  for (const [relation, value] of Object.entries(include ?? {})) {
    if (value === undefined || value === false) continue
    const nested = (value === true ? {} : value) as LooseReadOptions
    items.push(relation + '(' + (selectOf(nested.select, nested.include) ?? '*') + ')')
    embeds++
  }
  return columns === undefined && embeds === 0 ? undefined : items.join(',')
}

/** The where, order, limit and offset of included relations, as 'rel.col=is.null&rel.limit=5'. */
function writeIncludeOptions(params: QueryParam[], include: LooseObject | undefined, prefix: string): void {
  for (const [relation, value] of Object.entries(include ?? {})) {
    if (value === null || typeof value !== 'object') continue
    const options = value as LooseListOptions
    const path = prefix + relation + '.'
    writeWhere(params, options.where, path)
    writeOrder(params, options.orderBy, path)
    writeRange(params, options, path)
    writeIncludeOptions(params, options.include, path)
  }
}

function writeRange(params: QueryParam[], options: LooseListOptions, prefix: string): void {
  if (options.limit !== undefined) params.push([prefix + 'limit', String(options.limit)])
  if (options.offset !== undefined) params.push([prefix + 'offset', String(options.offset)])
}

/** order=col.asc,other.desc.nullsfirst */
function writeOrder(params: QueryParam[], orderBy: LooseObject | readonly LooseObject[] | undefined, prefix: string): void {
  if (orderBy === undefined) return
  const terms: string[] = []
  for (const object of Array.isArray(orderBy) ? (orderBy as readonly LooseObject[]) : [orderBy as LooseObject]) {
    for (const [column, order] of Object.entries(object)) {
      if (order === undefined) continue
      if (typeof order === 'string') terms.push(column + '.' + order)
      else {
        const { direction, nulls } = order as { direction?: string; nulls?: string }
        terms.push(column + '.' + (direction ?? 'asc') + (nulls === undefined ? '' : '.nulls' + nulls))
      }
    }
  }
  if (terms.length > 0) params.push([prefix + 'order', terms.join(',')])
}

/**
 * A where, read into a tree of conditions. An 'and' group with no conditions always holds and an 'or' group with
 * none never does; allOf and anyOf fold them away and flatten groups nested in a group of the
 * same kind, so the server sees only the groups that matter.
 */
type FilterNode =
  | { readonly kind: 'compare'; readonly column: string; readonly operator: string; readonly operand: FilterOperand; readonly negated: boolean }
  | { readonly kind: 'and' | 'or'; readonly conditions: readonly FilterNode[]; readonly negated: boolean }

type FilterOperand = { readonly kind: 'value'; readonly value: string } | { readonly kind: 'list'; readonly values: readonly string[] } | { readonly kind: 'keyword'; readonly value: 'null' | 'true' | 'false' }

const ALWAYS: FilterNode = { kind: 'and', conditions: [], negated: false }
const NEVER: FilterNode = { kind: 'or', conditions: [], negated: false }

function isConstant(condition: FilterNode, holds: boolean): boolean {
  return condition.kind !== 'compare' && condition.conditions.length === 0 && ((condition.kind === 'and') !== condition.negated) === holds
}

function allOf(conditions: readonly FilterNode[]): FilterNode {
  if (conditions.some((c) => isConstant(c, false))) return NEVER
  const kept = conditions.flatMap((c) => (c.kind === 'and' && !c.negated ? c.conditions : [c])).filter((c) => !isConstant(c, true))
  return kept.length === 1 ? kept[0]! : { kind: 'and', conditions: kept, negated: false }
}

function anyOf(conditions: readonly FilterNode[]): FilterNode {
  if (conditions.some((c) => isConstant(c, true))) return ALWAYS
  const kept = conditions.flatMap((c) => (c.kind === 'or' && !c.negated ? c.conditions : [c])).filter((c) => !isConstant(c, false))
  return kept.length === 1 ? kept[0]! : { kind: 'or', conditions: kept, negated: false }
}

function not(condition: FilterNode): FilterNode {
  return { ...condition, negated: !condition.negated }
}

function conditionOf(where: LooseObject): FilterNode {
  const conditions: FilterNode[] = []
  for (const [key, value] of Object.entries(where)) {
    if (value === undefined) continue
    // or, and and not are reserved: no column may take these names.
    if (key === 'or') conditions.push(anyOf((value as readonly LooseObject[]).map(conditionOf)))
    else if (key === 'and') conditions.push(allOf((value as readonly LooseObject[]).map(conditionOf)))
    else if (key === 'not') conditions.push(not(conditionOf(value as LooseObject)))
    else conditions.push(...columnConditions(key, value))
  }
  return allOf(conditions)
}

function columnConditions(column: string, filter: unknown): FilterNode[] {
  if (filter === null || typeof filter !== 'object') return [compare(column, 'eq', filter)]
  const conditions: FilterNode[] = []
  for (const [operator, value] of Object.entries(filter)) {
    if (value !== undefined) conditions.push(compare(column, operator, value))
  }
  return conditions
}

function compare(column: string, operator: string, value: unknown): FilterNode {
  const negated = operator === 'neq' && value === null
  if (value === null || operator === 'is') {
    const keyword = value === true ? 'true' : value === false ? 'false' : 'null'
    return { kind: 'compare', column, operator: 'is', operand: { kind: 'keyword', value: keyword }, negated }
  }
  if (operator === 'in') return { kind: 'compare', column, operator, operand: { kind: 'list', values: (value as readonly unknown[]).map(String) }, negated }
  return { kind: 'compare', column, operator, operand: { kind: 'value', value: String(value) }, negated }
}

/**
 * Top-level conditions become parameters: 'col=in.(a,b)', 'or=(col.eq.a,num.gt.1)'; those of an
 * included relation get its path as prefix: 'rel.col=is.null'.
 */
function writeWhere(params: QueryParam[], where: LooseObject | undefined, prefix: string): void {
  if (where === undefined) return
  const condition = conditionOf(where)
  if (isConstant(condition, true)) return
  // A where that can never hold: an empty in-list on the primary key matches no row.
  if (isConstant(condition, false)) params.push([prefix + 'id', 'in.()'])
  else if (condition.kind === 'and' && !condition.negated) for (const c of condition.conditions) writeCondition(params, c, prefix)
  else writeCondition(params, condition, prefix)
}

function writeCondition(params: QueryParam[], condition: FilterNode, prefix: string): void {
  if (condition.kind === 'compare') {
    params.push([prefix + condition.column, (condition.negated ? 'not.' : '') + condition.operator + '.' + operandText(condition.operand, false)])
  } else {
    params.push([prefix + (condition.negated ? 'not.' : '') + condition.kind, '(' + condition.conditions.map(groupItemText).join(',') + ')'])
  }
}

function groupItemText(condition: FilterNode): string {
  const negation = condition.negated ? 'not.' : ''
  if (condition.kind === 'compare') return condition.column + '.' + negation + condition.operator + '.' + operandText(condition.operand, true)
  return negation + condition.kind + '(' + condition.conditions.map(groupItemText).join(',') + ')'
}

/**
 * A top-level filter value is read verbatim to the end of its parameter; inside or=(…) and
 * in.(…) a value ends at ',' or ')', so values holding those (or quotes, backslashes, edge
 * spaces) are double-quoted with backslash escapes, as PostgREST reads them.
 */
function operandText(operand: FilterOperand, inGroup: boolean): string {
  switch (operand.kind) {
    case 'value':
      return inGroup ? quoted(operand.value) : operand.value
    case 'list':
      return '(' + operand.values.map(quoted).join(',') + ')'
    case 'keyword':
      return operand.value
  }
}

function quoted(value: string): string {
  return /^$|^\s|\s$|^\{|[,()"\\]/.test(value) ? '"' + value.replace(/["\\]/g, '\\$&') + '"' : value
}
`
