import { sql, type RawBuilder } from 'kysely'
import type { ColumnIR } from '../../ir/project-ir.ts'
import { assertNever } from '../../shared/assert-never.ts'
import type { Condition, Field, OrderBy, ReadPlan } from './read-plan.ts'
import { printAdmitted, printMatches } from './search-sql.ts'

/**
 * ReadPlan → SQL. Each row is built as JSON by SQLite (`json_object`), embedded relations as
 * correlated subqueries (`json_group_array` for has-many), so a response is the rows' JSON
 * texts joined: no object per row in JavaScript, no parse and stringify on the way out.
 *
 * `source(table, filter)` gives the FROM item of each table: the place where access rules apply.
 * `filter` prints the caller's filters on that table over a given alias; the source applies them
 * (only to the rows the policy admits), so the printer never puts them in its own WHERE.
 */
export type SourceOf = (table: string, filter: CallerFilter | undefined) => RawBuilder<unknown>

/**
 * The caller's filters on one table, in two parts. `total` holds those that cannot fail whatever
 * a row holds (comparisons, `in` and `is` against bound values): evaluating them on a hidden row
 * reveals nothing, so they may run in any order and use the table's indexes. `guarded` holds the
 * rest (pattern matches, relation tests), which must run only on rows the policy admits.
 */
export interface CallerFilter {
  readonly total: ((alias: string) => RawBuilder<unknown>) | undefined
  readonly guarded: ((alias: string) => RawBuilder<unknown>) | undefined
}

/**
 * The caller's filters of a plan level, for its source: its own filters, and the relation tests
 * of its `!inner` embeds (they carry the embedded table's filters, so they wait behind the
 * policy like any filter that may fail).
 */
function filterOf(p: Printer, plan: ReadPlan): CallerFilter | undefined {
  const inner = plan.where.filter((c) => c.kind === 'related')
  if (plan.filters.length === 0 && inner.length === 0) return undefined
  const print = (conditions: readonly Condition[]) =>
    conditions.length === 0 ? undefined : (alias: string) => sql.join(conditions.map((c) => printCondition(p, c, alias)), sql` AND `)
  return { total: print(plan.filters.filter(isTotal)), guarded: print([...plan.filters.filter((c) => !isTotal(c)), ...inner]) }
}

/** The plan's own conditions (a page's ids), without the relation tests its source applies. */
function plainWhere(plan: ReadPlan): readonly Condition[] {
  return plan.where.filter((c) => c.kind !== 'related')
}

/** Whether a condition cannot raise an error on any row (see CallerFilter). */
function isTotal(condition: Condition): boolean {
  switch (condition.kind) {
    case 'compare':
      // like/ilike are GLOB/LIKE, functions an application may replace: guarded.
      return condition.operator !== 'like' && condition.operator !== 'ilike'
    case 'in':
    case 'is':
      return true
    case 'and':
    case 'or':
      return condition.conditions.every(isTotal)
    case 'not':
    case 'notTrue':
      return isTotal(condition.condition)
    case 'related':
      return false
    case 'match':
    case 'searched':
      // A lookup in the index that does not read the row: it fails on no row (the expression
      // was printed by printFts5, so FTS5 cannot refuse it).
      return true
    default:
      return assertNever(condition, 'condition')
  }
}

interface Printer {
  readonly source: SourceOf
  alias(): string
}

function printer(source: SourceOf): Printer {
  let next = 0
  return { source, alias: () => `t${next++}` }
}

/**
 * The page's rows as JSON, in one of two forms:
 *
 * - `direct`: `SELECT json_object(…) AS "row" FROM … WHERE … ORDER BY … LIMIT …`. Right when
 *   SQLite reads the rows in order from an index: it stops at LIMIT and builds JSON for the page
 *   alone, one lookup per row.
 * - `deferred`: the page is chosen first (ids and order keys only), and JSON is built for its
 *   rows alone. Right when SQLite must sort: it would build JSON for every match before sorting.
 *   `SELECT json_object(…) AS "row" FROM (SELECT "id", <order keys> FROM … WHERE … ORDER BY … LIMIT …) AS page JOIN … ORDER BY <order keys>`
 *
 * Without a page (no limit, no offset) both are the direct form. reads.ts asks SQLite which
 * applies (`EXPLAIN QUERY PLAN` of the direct form), once per shape.
 */
export function printRowsQuery(plan: ReadPlan, source: SourceOf, form: 'direct' | 'deferred' = 'deferred'): RawBuilder<{ row: string }> {
  const p = printer(source)
  const inner = p.alias()
  const alias = p.alias()
  if (form === 'direct' || (plan.limit === undefined && plan.offset === undefined)) {
    return sql`SELECT ${printRowJson(p, plan, alias)} AS "row" FROM ${p.source(plan.table.name, filterOf(p, plan))} AS ${sql.id(alias)}${printWhere(p, plainWhere(plan), alias)}${printOrder(plan.order, alias)}${printRange(plan.limit, plan.offset)}`
  }
  const keys = plan.order.map((o, i) => sql`, ${sql.id(inner, o.column.name)} AS ${sql.id(`o${i}`)}`)
  const page = sql`SELECT ${sql.id(inner, 'id')} AS "k"${sql.join(keys, sql``)} FROM ${p.source(plan.table.name, filterOf(p, plan))} AS ${sql.id(inner)}${printWhere(p, plainWhere(plan), inner)}${printOrder(plan.order, inner)}${printRange(plan.limit, plan.offset)}`
  const order = plan.order.length === 0 ? sql`` : sql` ORDER BY ${sql.join(plan.order.map((o, i) => printOrderTerm(sql.id('page', `o${i}`), o)))}`
  // The page's ids came through the table's source, so its rows are joined from the table
  // itself: going through the source again would evaluate the access policy twice per row.
  return sql`SELECT ${printRowJson(p, plan, alias)} AS "row" FROM (${page}) AS "page" JOIN ${sql.id(plan.table.name)} AS ${sql.id(alias)} ON ${sql.id(alias, 'id')} = "page"."k"${order}`
}

/**
 * A ranked page (`plan.search`: full-text, semantic or hybrid). The matches and their rank come
 * from a subquery (search-sql.ts printMatches) joined by id to the table's source, so only rows
 * the caller may read are ranked, counted and paged; the page's JSON is built for its rows alone,
 * as in the deferred form.
 */
export function printSearchRowsQuery(plan: ReadPlan, source: SourceOf): RawBuilder<{ row: string }> {
  const search = plan.search!
  const p = printer(source)
  const inner = p.alias()
  const alias = p.alias()
  const readableAlias = p.alias()
  const readable = sql`SELECT ${sql.id(readableAlias, 'id')} AS "id" FROM ${p.source(plan.table.name, filterOf(p, plan))} AS ${sql.id(readableAlias)}${printWhere(p, plainWhere(plan), readableAlias)}`
  const matches = printMatches(search, plan.table.name, readable)
  const keys = plan.order.map((o, i) => sql`, ${sql.id(inner, o.column.name)} AS ${sql.id(`o${i}`)}`)
  const carried = search.snippets.map((_, i) => sql`, "m".${sql.id(`s${i}`)} AS ${sql.id(`s${i}`)}`)
  const innerOrder = [...plan.order.map((o) => printOrderTerm(sql.id(inner, o.column.name), o)), sql`"m"."r" DESC`, sql`${sql.id(inner, 'id')} ASC`]
  const page = sql`SELECT ${sql.id(inner, 'id')} AS "k", "m"."r" AS "r"${sql.join(carried, sql``)}${sql.join(keys, sql``)} FROM ${p.source(plan.table.name, filterOf(p, plan))} AS ${sql.id(inner)} JOIN (${matches}) AS "m" ON "m"."id" = ${sql.id(inner, 'id')}${printWhere(p, plainWhere(plan), inner)} ORDER BY ${sql.join(innerOrder)}${printRange(plan.limit, plan.offset)}`
  const outerOrder = [...plan.order.map((o, i) => printOrderTerm(sql.id('page', `o${i}`), o)), sql`"page"."r" DESC`, sql`"page"."k" ASC`]
  const pairs = [
    ...plan.fields.map((field) => sql`${sql.lit(field.key)}, ${printField(p, field, alias, false)}`),
    ...(search.rank ? [sql`'rank', "page"."r"`] : []),
    ...(search.snippets.length > 0 ? [sql`'snippet', json_object(${sql.join(search.snippets.map((s, i) => sql`${sql.lit(s.column)}, "page".${sql.id(`s${i}`)}`))})`] : []),
  ]
  const row = sql`json_object(${sql.join(pairs)})`
  return sql`SELECT ${row} AS "row" FROM (${page}) AS "page" JOIN ${sql.id(plan.table.name)} AS ${sql.id(alias)} ON ${sql.id(alias, 'id')} = "page"."k" ORDER BY ${sql.join(outerOrder)}`
}

/** `SELECT count(*) AS "count" FROM … WHERE …`, for `Prefer: count=exact`. */
export function printCountQuery(plan: ReadPlan, source: SourceOf): RawBuilder<{ count: number }> {
  const p = printer(source)
  const alias = p.alias()
  return sql`SELECT count(*) AS "count" FROM ${p.source(plan.table.name, filterOf(p, plan))} AS ${sql.id(alias)}${printWhere(p, plainWhere(plan), alias)}`
}

/**
 * `SELECT "id" FROM … WHERE …`: the rows a bulk update or delete touches. `root` gives the
 * written table's FROM item (its rows the write may target); related tables come from `source`.
 */
export function printIdsQuery(plan: ReadPlan, source: SourceOf, root: SourceOf = source): RawBuilder<{ id: string }> {
  const p = printer(source)
  const alias = p.alias()
  return sql`SELECT ${sql.id(alias, 'id')} AS "id" FROM ${root(plan.table.name, filterOf(p, plan))} AS ${sql.id(alias)}${printWhere(p, plainWhere(plan), alias)}`
}

/** `embedded`: the row is built inside another's JSON (an embed), which SQLite parses again. */
function printRowJson(p: Printer, plan: ReadPlan, alias: string, embedded = false): RawBuilder<unknown> {
  const pairs = plan.fields.map((field) => sql`${sql.lit(field.key)}, ${printField(p, field, alias, embedded)}`)
  return sql`json_object(${sql.join(pairs)})`
}

function printField(p: Printer, field: Field, alias: string, embedded: boolean): RawBuilder<unknown> {
  switch (field.kind) {
    case 'column':
      return printValue(field.column, alias, embedded)
    case 'embed': {
      const child = p.alias()
      const { relation, plan } = field
      if (relation.kind === 'belongsTo') {
        // The parent row, or null when the ref is null or the parent is filtered out.
        const join = sql`${sql.id(child, 'id')} = ${sql.id(alias, relation.column)}`
        return sql`json((SELECT ${printRowJson(p, plan, child, true)} FROM ${p.source(relation.table, filterOf(p, plan))} AS ${sql.id(child)} WHERE ${join}${printAnd(p, plainWhere(plan), child)}))`
      }
      // Has-many: an array, in the embed's own order (json_group_array's ORDER BY), paged.
      const join = sql`${sql.id(child, relation.column)} = ${sql.id(alias, 'id')}`
      const orderColumns = plan.order.map((o, i) => sql`, ${sql.id(child, o.column.name)} AS ${sql.id(`o${i}`)}`)
      const aggregateOrder = plan.order.length === 0 ? sql`` : sql` ORDER BY ${sql.join(plan.order.map((o, i) => printOrderTerm(sql.id(`o${i}`), o)))}`
      const inner = sql`SELECT ${printRowJson(p, plan, child, true)} AS "r"${sql.join(orderColumns, sql``)} FROM ${p.source(relation.table, filterOf(p, plan))} AS ${sql.id(child)} WHERE ${join}${printAnd(p, plainWhere(plan), child)}${printOrder(plan.order, child)}${printRange(plan.limit, plan.offset)}`
      return sql`json((SELECT json_group_array(json("r")${aggregateOrder}) FROM (${inner})))`
    }
    default:
      return assertNever(field, 'field')
  }
}

/**
 * Embedding re-parses each row's JSON inside its parent's, and SQLite refuses JSON nested over
 * 1000 levels: a json value deeper than this would make its parent unreadable for everyone.
 * Writes keep values far below it (64 by default, 256 at most); a value stored before that check
 * reads as null inside an embed instead (decision 48).
 */
const EMBEDDABLE_JSON_DEPTH = 256
const PAD_OPEN = sql.lit('['.repeat(1000 - EMBEDDABLE_JSON_DEPTH))
const PAD_CLOSE = sql.lit(']'.repeat(1000 - EMBEDDABLE_JSON_DEPTH))

/** A column as JSON wants it: booleans as true/false, JSON text as JSON. */
function printValue(column: ColumnIR, alias: string, embedded: boolean): RawBuilder<unknown> {
  const ref = sql.id(alias, column.name)
  if (column.type === 'bool') return sql`CASE ${ref} WHEN 1 THEN json('true') WHEN 0 THEN json('false') END`
  // Valid inside 744 brackets only if it nests at most 256 levels: one parse, no recursion.
  if (column.type === 'json') return embedded ? sql`CASE WHEN json_valid(${PAD_OPEN} || ${ref} || ${PAD_CLOSE}) THEN json(${ref}) END` : sql`json(${ref})`
  return ref
}

function printWhere(p: Printer, conditions: readonly Condition[], alias: string): RawBuilder<unknown> {
  return conditions.length === 0 ? sql`` : sql` WHERE ${sql.join(conditions.map((c) => printCondition(p, c, alias)), sql` AND `)}`
}

function printAnd(p: Printer, conditions: readonly Condition[], alias: string): RawBuilder<unknown> {
  return conditions.length === 0 ? sql`` : sql` AND ${sql.join(conditions.map((c) => printCondition(p, c, alias)), sql` AND `)}`
}

const COMPARE = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=', like: 'GLOB', ilike: 'LIKE' } as const

function printCondition(p: Printer, condition: Condition, alias: string): RawBuilder<unknown> {
  switch (condition.kind) {
    case 'compare': {
      const ref = sql.id(alias, condition.column.name)
      const value = condition.operator === 'like' ? likeToGlob(String(condition.value)) : condition.operator === 'ilike' ? likeToLike(String(condition.value)) : condition.value
      const escape = condition.operator === 'ilike' ? sql` ESCAPE '\\'` : sql``
      return sql`${ref} ${sql.raw(COMPARE[condition.operator])} ${value}${escape}`
    }
    case 'in': {
      // An empty list matches nothing (`in.()` from `.in('id', [])`).
      if (condition.values.length === 0) return sql`0`
      return sql`${sql.id(alias, condition.column.name)} IN (${sql.join(condition.values)})`
    }
    case 'is': {
      const ref = sql.id(alias, condition.column.name)
      return condition.value === 'null' ? sql`${ref} IS NULL` : sql`${ref} IS ${sql.raw(condition.value === 'true' ? '1' : '0')}`
    }
    case 'and':
    case 'or': {
      if (condition.conditions.length === 0) return sql`${sql.raw(condition.kind === 'and' ? '1' : '0')}`
      return sql`(${sql.join(condition.conditions.map((c) => printCondition(p, c, alias)), sql` ${sql.raw(condition.kind.toUpperCase())} `)})`
    }
    case 'not':
      return sql`NOT (${printCondition(p, condition.condition, alias)})`
    case 'notTrue':
      return sql`NOT COALESCE(${printCondition(p, condition.condition, alias)}, 0)`
    case 'related': {
      const child = p.alias()
      const { relation, plan } = condition
      const join = relation.kind === 'belongsTo' ? sql`${sql.id(child, 'id')} = ${sql.id(alias, relation.column)}` : sql`${sql.id(child, relation.column)} = ${sql.id(alias, 'id')}`
      const exists = sql`EXISTS (SELECT 1 FROM ${p.source(relation.table, filterOf(p, plan))} AS ${sql.id(child)} WHERE ${join}${printAnd(p, plainWhere(plan), child)})`
      return condition.quantifier === 'some' ? exists : sql`NOT ${exists}`
    }
    case 'match': {
      const index = sql.id(condition.match.index)
      return sql`${sql.id(alias, 'rowid')} IN (SELECT "rowid" FROM ${index} WHERE ${index} MATCH ${condition.match.expression})`
    }
    case 'searched':
      return printAdmitted(condition.search, alias)
    default:
      return assertNever(condition, 'condition')
  }
}

function printOrder(order: readonly OrderBy[], alias: string): RawBuilder<unknown> {
  return order.length === 0 ? sql`` : sql` ORDER BY ${sql.join(order.map((o) => printOrderTerm(sql.id(alias, o.column.name), o)))}`
}

function printOrderTerm(ref: RawBuilder<unknown>, order: OrderBy): RawBuilder<unknown> {
  return sql`${ref} ${sql.raw(order.direction === 'asc' ? 'ASC' : 'DESC')} NULLS ${sql.raw(order.nulls === 'first' ? 'FIRST' : 'LAST')}`
}

/**
 * `LIMIT +?`, never a bare bound LIMIT: SQLite (3.47 and later) reads a bare parameter's value
 * while planning and marks the statement to be re-prepared whenever that parameter is bound
 * again, so every execution of the cached statement compiled it anew (decision 138). The unary
 * plus hides the value from the planner and costs nothing at run time.
 */
function printRange(limit: number | undefined, offset: number | undefined): RawBuilder<unknown> {
  if (limit === undefined && offset === undefined) return sql``
  return sql` LIMIT +${limit ?? -1} OFFSET +${offset ?? 0}`
}

/**
 * PostgREST's `like` is PostgreSQL's case-sensitive LIKE with `*` for `%`. SQLite's LIKE ignores
 * case, so it becomes GLOB: `%`/`*` → `*`, `_` → `?`, and GLOB's own `?` and `[` are escaped.
 */
export function likeToGlob(pattern: string): string {
  let glob = ''
  for (const char of pattern) {
    if (char === '*' || char === '%') glob += '*'
    else if (char === '_') glob += '?'
    else if (char === '?' || char === '[') glob += `[${char}]`
    else glob += char
  }
  return glob
}

/** `ilike`: SQLite's LIKE (ASCII case-insensitive) with `*` for `%`; a `\` escapes. */
function likeToLike(pattern: string): string {
  return pattern.replaceAll('*', '%')
}
