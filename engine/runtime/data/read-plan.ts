import { COLUMN_TYPE_FACTS } from '../../ir/column-types.ts'
import type { ColumnIR, RelationIR } from '../../ir/project-ir.ts'
import { assertNever } from '../../shared/assert-never.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { FilterNode, FilterOperator, FilterValue, ParsedQuery, SelectNode } from '../rest/query-grammar.ts'
import { columnOf, relationOf, type IndexedTable, type ModelIndex } from './model-index.ts'

/** A value bound as a SQL parameter: what better-sqlite3 accepts. */
export type SqlValue = string | number | null

/**
 * A read, checked against the model: every name resolved, every filter value coerced to its
 * column's type. The SQL printer trusts it.
 */
export interface ReadPlan {
  readonly table: IndexedTable
  readonly fields: readonly Field[]
  readonly where: readonly Condition[]
  readonly order: readonly OrderBy[]
  readonly limit: number | undefined
  readonly offset: number | undefined
  /**
   * The caller's own filters on this level's table. They are kept apart from `where` (`!inner`
   * embeds, the ids a write reads back) because the access layer applies them: only to rows the
   * policy admits, so a filter never runs on a hidden row.
   */
  readonly filters: readonly Condition[]
}

export type Field =
  | { readonly kind: 'column'; readonly key: string; readonly column: ColumnIR }
  | { readonly kind: 'embed'; readonly key: string; readonly relation: RelationIR; readonly inner: boolean; readonly plan: ReadPlan }

export type Condition =
  | { readonly kind: 'compare'; readonly column: ColumnIR; readonly operator: Exclude<FilterOperator, 'in' | 'is'>; readonly value: SqlValue; readonly negated: boolean }
  | { readonly kind: 'in'; readonly column: ColumnIR; readonly values: readonly SqlValue[]; readonly negated: boolean }
  | { readonly kind: 'is'; readonly column: ColumnIR; readonly value: 'null' | 'true' | 'false'; readonly negated: boolean }
  | { readonly kind: 'and' | 'or'; readonly conditions: readonly Condition[]; readonly negated: boolean }
  /** `!inner`: the row is kept only when the embedded relation has a matching row. */
  | { readonly kind: 'related'; readonly relation: RelationIR; readonly plan: ReadPlan }

export interface OrderBy {
  readonly column: ColumnIR
  readonly direction: 'asc' | 'desc'
  readonly nulls: 'first' | 'last'
}

/** Resolve a parsed query against the model. @throws KoyaError KL_API_* naming the bad part. */
export function planRead(model: ModelIndex, table: IndexedTable, query: ParsedQuery): ReadPlan {
  const plan = planLevel(model, table, [], query.select, query)
  // Every filter, order and range path must name the root or an embedded relation.
  const levels = new Set(embedLevels(plan, []))
  const check = (level: readonly string[], what: string, code: 'KL_API_BAD_FILTER' | 'KL_API_BAD_ORDER' | 'KL_API_BAD_PAGINATION') => {
    if (!levels.has(level.join('.'))) {
      throw new KoyaError(code, `${what} names "${level.join('.')}", which is not embedded in select.`, { hint: `Add ${level.at(-1)}(…) to select, or use a column of "${table.name}".` })
    }
  }
  for (const filter of query.filters) check(levelOf(filter), `The filter on "${filter.path.join('.')}"`, 'KL_API_BAD_FILTER')
  for (const term of query.order) check(term.path.slice(0, -1), `order "${term.path.join('.')}"`, 'KL_API_BAD_ORDER')
  for (const range of query.embedRanges) check(range.path, `The range of "${range.path.join('.')}"`, 'KL_API_BAD_PAGINATION')
  return plan
}

/** A read of rows by id (what a write returns), with the caller's select. */
export function planReadByIds(model: ModelIndex, table: IndexedTable, query: ParsedQuery, ids: readonly string[]): ReadPlan {
  // The caller's top-level filters, order and range chose the ids; embedded ones still apply.
  const embedded = {
    ...query,
    filters: query.filters.filter((f) => levelOf(f).length > 0),
    order: query.order.filter((o) => o.path.length > 1),
    limit: undefined,
    offset: undefined,
  }
  const plan = planLevel(model, table, [], query.select, embedded)
  const id = columnOf(table, 'id', 'id')
  // Ids are UUIDv7, increasing in creation order: new rows come back in the order sent.
  return { ...plan, where: [{ kind: 'in', column: id, values: ids, negated: false }], order: [{ column: id, direction: 'asc', nulls: 'last' }] }
}

/** The embed level a filter applies to: `['project']` for `project.name=eq.x`. */
function levelOf(filter: FilterNode): readonly string[] {
  return filter.kind === 'compare' ? filter.path.slice(0, -1) : filter.path
}

function embedLevels(plan: ReadPlan, path: readonly string[]): string[] {
  return [path.join('.'), ...plan.fields.flatMap((f) => (f.kind === 'embed' ? embedLevels(f.plan, [...path, f.relation.name]) : []))]
}

const samePath = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((part, i) => part === b[i])

function planLevel(model: ModelIndex, table: IndexedTable, path: readonly string[], select: readonly SelectNode[], query: ParsedQuery): ReadPlan {
  const fields: Field[] = []
  const where: Condition[] = []
  const filters: Condition[] = []
  for (const node of select) {
    switch (node.kind) {
      case 'all':
        for (const column of table.ir.columns) fields.push({ kind: 'column', key: column.name, column })
        break
      case 'column':
        if (node.cast !== undefined) {
          throw new KoyaError('KL_API_UNSUPPORTED_SYNTAX', `select: casts ("${node.name}::${node.cast}") are not supported.`, { hint: 'Select the column without a cast; values come typed as the column is.' })
        }
        fields.push({ kind: 'column', key: node.alias ?? node.name, column: columnOf(table, node.name, 'select') })
        break
      case 'embed': {
        const relation = relationOf(table, node.relation)
        const child = planLevel(model, model.table(relation.table), [...path, node.relation], node.select, query)
        fields.push({ kind: 'embed', key: node.alias ?? node.relation, relation, inner: node.inner, plan: child })
        if (node.inner) where.push({ kind: 'related', relation, plan: child })
        break
      }
      default:
        assertNever(node, 'select node')
    }
  }
  for (const filter of query.filters) {
    if (samePath(levelOf(filter), path)) filters.push(planCondition(table, filter, path.length))
  }
  const range = query.embedRanges.find((r) => samePath(r.path, path))
  return {
    table,
    fields,
    where,
    order: query.order
      .filter((term) => samePath(term.path.slice(0, -1), path))
      .map((term) => {
        const column = columnOf(table, term.path.at(-1)!, 'order')
        // PostgreSQL's default, which PostgREST clients expect: NULLs sort as if larger.
        const nulls = term.nulls === 'default' ? (term.direction === 'asc' ? 'last' : 'first') : term.nulls
        return { column, direction: term.direction, nulls }
      }),
    limit: path.length === 0 ? query.limit : range?.limit,
    offset: path.length === 0 ? query.offset : range?.offset,
    filters,
  }
}

function planCondition(table: IndexedTable, filter: FilterNode, depth: number): Condition {
  switch (filter.kind) {
    case 'and':
    case 'or':
      return {
        kind: filter.kind,
        negated: filter.negated,
        conditions: filter.filters.map((f) => {
          const fPath = f.kind === 'compare' ? f.path.slice(0, -1) : f.path
          if (fPath.length !== depth) throw new KoyaError('KL_API_BAD_FILTER', `"${f.path.join('.')}" inside an or/and group must name a column of "${table.name}".`, { hint: 'Filter an embedded relation with its own group: `project.or=(…)`.' })
          return planCondition(table, f, depth)
        }),
      }
    case 'compare':
      return planCompare(table, filter)
    default:
      return assertNever(filter, 'filter node')
  }
}

function planCompare(table: IndexedTable, filter: Extract<FilterNode, { kind: 'compare' }>): Condition {
  const column = columnOf(table, filter.path.at(-1)!, 'filter')
  const { operator, value, negated } = filter
  const where = `The filter ${filter.path.join('.')}=${negated ? 'not.' : ''}${operator}`
  switch (operator) {
    case 'is': {
      const kind = value.kind
      if (kind !== 'null' && kind !== 'true' && kind !== 'false') throw new KoyaError('KL_API_BAD_FILTER', `${where} takes null, true or false.`)
      if (kind !== 'null' && column.type !== 'bool') throw new KoyaError('KL_API_BAD_FILTER', `${where}.${kind} applies to boolean columns; "${column.name}" is ${column.type}.`, { hint: 'Use is.null, or eq. for other columns.' })
      return { kind: 'is', column, value: kind, negated }
    }
    case 'in':
      if (value.kind !== 'list') throw new KoyaError('KL_API_BAD_FILTER', `${where} takes a list: in.(a,b,c).`)
      return { kind: 'in', column, values: value.values.map((v) => coerce(column, v, where)), negated }
    case 'like':
    case 'ilike':
      if (!COLUMN_TYPE_FACTS[column.type].textual) throw new KoyaError('KL_API_BAD_FILTER', `${where} applies to text columns; "${column.name}" is ${column.type}.`)
      return { kind: 'compare', column, operator, value: textOf(value, where), negated }
    case 'eq':
    case 'neq':
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return { kind: 'compare', column, operator, value: coerce(column, textOf(value, where), where), negated }
    default:
      return assertNever(operator, 'filter operator')
  }
}

function textOf(value: FilterValue, where: string): string {
  if (value.kind !== 'text') throw new KoyaError('KL_API_BAD_FILTER', `${where} takes a single value.`)
  return value.value
}

/** A filter value as the column stores it. */
export function coerce(column: ColumnIR, text: string, where: string): SqlValue {
  switch (column.type) {
    case 'int': {
      if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw badValue(where, text, 'an integer')
      return Number(text)
    }
    case 'real': {
      const number = Number(text)
      if (text.trim() === '' || !Number.isFinite(number)) throw badValue(where, text, 'a number')
      return number
    }
    case 'bool':
      if (text === 'true') return 1
      if (text === 'false') return 0
      throw badValue(where, text, 'true or false')
    case 'id':
    case 'text':
    case 'timestamp':
    case 'date':
    case 'json':
    case 'enum':
    case 'ref':
    case 'createdAt':
    case 'updatedAt':
      return text
    default:
      return assertNever(column.type, 'column type')
  }
}

function badValue(where: string, text: string, expected: string): KoyaError {
  return new KoyaError('KL_API_BAD_FILTER', `${where} compares with "${text.slice(0, 100)}", which is not ${expected}.`, { hint: `Give ${expected}.` })
}
