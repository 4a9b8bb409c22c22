/**
 * PostgREST's parsed URL (query-grammar.ts) → the data layer's neutral query (data/query.ts).
 * The URL carries text; the neutral query carries typed values, so each filter value is read as
 * its column's type here (the data layer checks it again). Filters, orders and ranges of an
 * embedded level move into that embed's node of the select tree.
 */
import { quotedValue } from '../../ir/privacy.ts'
import type { ColumnIR } from '../../ir/project-ir.ts'
import { assertNever } from '../../shared/assert-never.ts'
import { KoyaError } from '../../shared/errors.ts'
import { columnOf, relationOf, type IndexedTable, type ModelIndex } from '../data/model-index.ts'
import type { FilterScalar, OrderBy, ReadQuery, SelectItem, Where } from '../data/query.ts'
import type { FilterNode, FilterValue, ParsedQuery, SelectNode } from './query-grammar.ts'
import { textSearchQuery } from './text-search-filters.ts'

/** The embed level a filter applies to: `['project']` for `project.name=eq.x`. */
function levelOf(filter: FilterNode): readonly string[] {
  return filter.kind === 'compare' ? filter.path.slice(0, -1) : filter.path
}

const samePath = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((part, i) => part === b[i])

/**
 * The neutral read of a parsed query on `table`.
 *
 * @example
 * toReadQuery(data.model, 'tasks', parseQuery(new URLSearchParams('select=id,comments(body)&comments.order=createdAt&status=eq.todo')))
 */
export function toReadQuery(model: ModelIndex, table: string, parsed: ParsedQuery): ReadQuery {
  const root = model.table(table)
  const select = toSelect(model, root, parsed)
  const where = toWhere(root, parsed)
  return {
    table,
    select,
    ...(where === undefined ? {} : { where }),
    orderBy: orderAt(parsed, []),
    ...(parsed.limit === undefined ? {} : { limit: parsed.limit }),
    ...(parsed.offset === undefined ? {} : { offset: parsed.offset }),
  }
}

/**
 * The select tree, each embed with its own filters, order and range. Checks that every filter,
 * order and range path names an embed of `select`.
 *
 * @example
 * toSelect(model, model.table('projects'), parseQuery(new URLSearchParams('select=name,tasks(title)&tasks.status=eq.todo')))
 * // [{ kind: 'column', column: 'name' }, { kind: 'embed', relation: 'tasks', select: [{ kind: 'column', column: 'title' }], where: { kind: 'compare', column: 'status', operator: 'eq', value: 'todo' }, orderBy: [] }]
 */
export function toSelect(model: ModelIndex, root: IndexedTable, parsed: ParsedQuery): SelectItem[] {
  const levels = new Set<string>([''])
  const select = selectLevel(model, root, [], parsed.select, parsed, levels)
  const check = (level: readonly string[], what: string, code: 'KL_API_BAD_FILTER' | 'KL_API_BAD_ORDER' | 'KL_API_BAD_PAGINATION') => {
    if (!levels.has(level.join('.'))) {
      throw new KoyaError(code, `${what} names "${level.join('.')}", which is not embedded in select.`, { hint: `Add ${level.at(-1)}(…) to select, or use a column of "${root.name}".` })
    }
  }
  for (const filter of parsed.filters) check(levelOf(filter), `The filter on "${filter.path.join('.')}"`, 'KL_API_BAD_FILTER')
  for (const term of parsed.order) check(term.path.slice(0, -1), `order "${term.path.join('.')}"`, 'KL_API_BAD_ORDER')
  for (const range of parsed.embedRanges) check(range.path, `The range of "${range.path.join('.')}"`, 'KL_API_BAD_PAGINATION')
  return select
}

/**
 * The root table's filters as one neutral filter, or undefined when there are none.
 *
 * @example
 * toWhere(model.table('tasks'), parseQuery(new URLSearchParams('priority=gte.2&status=not.eq.done')))
 * // { kind: 'and', where: [{ kind: 'compare', column: 'priority', operator: 'gte', value: 2 }, { kind: 'not', where: { kind: 'compare', column: 'status', operator: 'eq', value: 'done' } }] }
 */
export function toWhere(root: IndexedTable, parsed: ParsedQuery): Where | undefined {
  return whereAt(root, parsed, [])
}

function selectLevel(model: ModelIndex, table: IndexedTable, path: readonly string[], nodes: readonly SelectNode[], parsed: ParsedQuery, levels: Set<string>): SelectItem[] {
  return nodes.map((node): SelectItem => {
    switch (node.kind) {
      case 'all':
        return { kind: 'all' }
      case 'column':
        if (node.cast !== undefined) {
          throw new KoyaError('KL_API_UNSUPPORTED_SYNTAX', `select: casts ("${node.name}::${node.cast}") are not supported.`, { hint: 'Select the column without a cast; values come typed as the column is.' })
        }
        return { kind: 'column', column: node.name, ...(node.alias === undefined ? {} : { as: node.alias }) }
      case 'embed': {
        const relation = relationOf(table, node.relation)
        const child = model.table(relation.table)
        const childPath = [...path, node.relation]
        levels.add(childPath.join('.'))
        const where = whereAt(child, parsed, childPath)
        const range = parsed.embedRanges.find((r) => samePath(r.path, childPath))
        return {
          kind: 'embed',
          relation: node.relation,
          ...(node.alias === undefined ? {} : { as: node.alias }),
          select: selectLevel(model, child, childPath, node.select, parsed, levels),
          ...(where === undefined ? {} : { where }),
          orderBy: orderAt(parsed, childPath),
          ...(range?.limit === undefined ? {} : { limit: range.limit }),
          ...(range?.offset === undefined ? {} : { offset: range.offset }),
          ...(node.inner ? { inner: true } : {}),
        }
      }
      default:
        return assertNever(node, 'select node')
    }
  })
}

function whereAt(table: IndexedTable, parsed: ParsedQuery, path: readonly string[]): Where | undefined {
  const filters = parsed.filters.filter((f) => samePath(levelOf(f), path)).map((f) => toFilter(table, f, path.length))
  if (filters.length === 0) return undefined
  return filters.length === 1 ? filters[0] : { kind: 'and', where: filters }
}

function orderAt(parsed: ParsedQuery, path: readonly string[]): OrderBy[] {
  return parsed.order
    .filter((term) => samePath(term.path.slice(0, -1), path))
    .map((term) => ({ column: term.path.at(-1)!, direction: term.direction, ...(term.nulls === 'default' ? {} : { nulls: term.nulls }) }))
}

const negate = (where: Where, negated: boolean): Where => (negated ? { kind: 'not', where } : where)

function toFilter(table: IndexedTable, filter: FilterNode, depth: number): Where {
  switch (filter.kind) {
    case 'and':
    case 'or':
      return negate(
        {
          kind: filter.kind,
          where: filter.filters.map((f) => {
            if (levelOf(f).length !== depth) throw new KoyaError('KL_API_BAD_FILTER', `"${f.path.join('.')}" inside an or/and group must name a column of "${table.name}".`, { hint: 'Filter an embedded relation with its own group: `project.or=(…)`.' })
            return toFilter(table, f, depth)
          }),
        },
        filter.negated,
      )
    case 'compare':
      return negate(toCompare(table, filter), filter.negated)
    default:
      return assertNever(filter, 'filter node')
  }
}

function toCompare(table: IndexedTable, filter: Extract<FilterNode, { kind: 'compare' }>): Where {
  const column = filter.path.at(-1)!
  const { operator, value } = filter
  const where = `The filter ${filter.path.join('.')}=${filter.negated ? 'not.' : ''}${operator}`
  switch (operator) {
    case 'is': {
      const kind = value.kind
      if (kind !== 'null' && kind !== 'true' && kind !== 'false') throw new KoyaError('KL_API_BAD_FILTER', `${where} takes null, true or false.`)
      return { kind: 'is', column, value: kind === 'null' ? null : kind === 'true' }
    }
    case 'in':
      if (value.kind !== 'list') throw new KoyaError('KL_API_BAD_FILTER', `${where} takes a list: in.(a,b,c).`)
      return { kind: 'in', column, values: value.values.map((v) => typed(table, column, v, where)) }
    case 'like':
    case 'ilike':
      // `*` is PostgREST's `%`, kept as written: the data layer maps both.
      return { kind: 'compare', column, operator, value: textOf(value, where) }
    case 'eq':
    case 'neq':
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return { kind: 'compare', column, operator, value: typed(table, column, textOf(value, where), where) }
    case 'fts':
    case 'plfts':
    case 'phfts':
    case 'wfts':
      return { kind: 'match', query: textSearchQuery(operator, textOf(value, where)), columns: [column] }
    default:
      return assertNever(operator, 'filter operator')
  }
}

function textOf(value: FilterValue, where: string): string {
  if (value.kind !== 'text') throw new KoyaError('KL_API_BAD_FILTER', `${where} takes a single value.`)
  return value.value
}

/** URL text as the column's type: numbers for int and real columns, booleans for bool, text for the rest. */
function typed(table: IndexedTable, name: string, text: string, where: string): FilterScalar {
  const column = columnOf(table, name, 'filter')
  switch (column.type) {
    case 'int':
      if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw badValue(column, where, text, 'an integer')
      return Number(text)
    case 'real': {
      const number = Number(text)
      if (text.trim() === '' || !Number.isFinite(number)) throw badValue(column, where, text, 'a number')
      return number
    }
    case 'bool':
      if (text === 'true') return true
      if (text === 'false') return false
      throw badValue(column, where, text, 'true or false')
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

function badValue(column: ColumnIR, where: string, text: string, expected: string): KoyaError {
  return new KoyaError('KL_API_BAD_FILTER', `${where} compares with ${quotedValue(column, text)}, which is not ${expected}.`, { hint: `Give ${expected}.` })
}
