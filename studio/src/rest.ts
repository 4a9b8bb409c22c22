// The REST grammar Studio speaks (docs/api.md): filters, order, keyset pages, and the same query
// as an SDK call and a GraphQL query.
import type { Column, Table } from './api.ts'

export interface Filter {
  readonly column: string
  readonly operator: string
  readonly value: string
}

export const OPERATORS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'in', 'is'] as const

/** A value inside a logic tree or an `in` list: always double-quoted, so commas and parens are data. */
export function quoteValue(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

export function filterParams(filters: readonly Filter[]): [string, string][] {
  return filters.filter((f) => f.column !== '').map((f) => {
    if (f.operator === 'in') return [f.column, `in.(${f.value.split(',').map((v) => quoteValue(v.trim())).join(',')})`]
    return [f.column, `${f.operator}.${f.value}`]
  })
}

/** Filters read back from a URL's query (`status=eq.todo`), leaving Studio's own keys. */
export function filtersOf(search: URLSearchParams, table: Table): Filter[] {
  const names = new Set(table.columns.map((c) => c.name))
  const filters: Filter[] = []
  for (const [key, raw] of search) {
    if (!names.has(key)) continue
    const dot = raw.indexOf('.')
    const operator = raw.slice(0, dot)
    let value = raw.slice(dot + 1)
    if (operator === 'in') value = value.replace(/^\(|\)$/g, '').split(',').map((v) => v.replace(/^"|"$/g, '')).join(',')
    filters.push({ column: key, operator, value })
  }
  return filters
}

export interface Sort {
  readonly column: string
  readonly direction: 'asc' | 'desc'
}

/**
 * The filter that starts the page after `last` in the order (sort column, then id): keyset
 * pagination, so a page deep into a large table costs what the first one does. NULLs sort as in
 * PostgreSQL: last ascending, first descending.
 */
export function keysetParams(sort: Sort, last: Record<string, unknown>): [string, string][] {
  const id = String(last.id)
  if (sort.column === 'id') return [['id', `${sort.direction === 'asc' ? 'gt' : 'lt'}.${id}`]]
  const c = sort.column
  const v = last[c]
  const after = `and(${c}.eq.${quoteValue(String(v))},id.gt.${quoteValue(id)})`
  if (v === null || v === undefined) {
    return sort.direction === 'asc' ? [[c, 'is.null'], ['id', `gt.${id}`]] : [['or', `(${c}.not.is.null,and(${c}.is.null,id.gt.${quoteValue(id)}))`]]
  }
  const value = quoteValue(typeof v === 'object' ? JSON.stringify(v) : String(v))
  return sort.direction === 'asc' ? [['or', `(${c}.gt.${value},${c}.is.null,${after})`]] : [['or', `(${c}.lt.${value},${after})`]]
}

export function orderParam(sort: Sort): string {
  return sort.column === 'id' ? `id.${sort.direction}` : `${sort.column}.${sort.direction},id.asc`
}

export interface BuiltQuery {
  readonly table: string
  readonly columns: readonly string[]
  readonly embeds: readonly string[]
  readonly filters: readonly Filter[]
  readonly order: Sort | null
  readonly limit: number
}

export function restUrl(q: BuiltQuery): string {
  const params = new URLSearchParams()
  const select = [...(q.columns.length > 0 ? q.columns : ['*']), ...q.embeds.map((e) => `${e}(*)`)]
  params.set('select', select.join(','))
  for (const [k, v] of filterParams(q.filters)) params.append(k, v)
  if (q.order) params.set('order', `${q.order.column}.${q.order.direction}`)
  params.set('limit', String(q.limit))
  return `/api/${q.table}?${params.toString().replace(/%2C/g, ',').replace(/%28/g, '(').replace(/%29/g, ')').replace(/%2A/g, '*')}`
}

function literal(value: string, column: Column | undefined): string {
  if (column && (column.type === 'int' || column.type === 'real') && value.trim() !== '' && !Number.isNaN(Number(value))) return value
  if (column?.type === 'bool' && (value === 'true' || value === 'false')) return value
  return JSON.stringify(value)
}

const SDK_OPERATORS: Record<string, string> = { eq: 'eq', neq: 'neq', gt: 'gt', gte: 'gte', lt: 'lt', lte: 'lte', like: 'like', ilike: 'ilike', in: 'in', is: 'is' }

export function sdkCall(q: BuiltQuery, table: Table): string {
  const col = (name: string) => table.columns.find((c) => c.name === name)
  const parts: string[] = []
  if (q.columns.length > 0) parts.push(`select: [${q.columns.map((c) => JSON.stringify(c)).join(', ')}]`)
  if (q.filters.length > 0) {
    const where = q.filters.map((f) => {
      const value = f.operator === 'in' ? `[${f.value.split(',').map((v) => literal(v.trim(), col(f.column))).join(', ')}]` : f.operator === 'is' ? (f.value === 'null' ? 'null' : f.value) : literal(f.value, col(f.column))
      return `${f.column}: { ${SDK_OPERATORS[f.operator] ?? f.operator}: ${value} }`
    })
    parts.push(`where: { ${where.join(', ')} }`)
  }
  if (q.order) parts.push(`orderBy: { ${q.order.column}: '${q.order.direction}' }`)
  parts.push(`limit: ${q.limit}`)
  if (q.embeds.length > 0) parts.push(`include: { ${q.embeds.map((e) => `${e}: true`).join(', ')} }`)
  return `await koya.${q.table}.list({ ${parts.join(', ')} })`
}

export function graphqlQuery(q: BuiltQuery, table: Table, tables: readonly Table[]): string {
  const col = (name: string) => table.columns.find((c) => c.name === name)
  const args: string[] = []
  if (q.filters.length > 0) {
    const where = q.filters.map((f) => {
      const c = col(f.column)
      const gql = (v: string) => (c?.type === 'enum' && /^[_A-Za-z][_0-9A-Za-z]*$/.test(v) ? v : literal(v, c))
      const value = f.operator === 'in' ? `[${f.value.split(',').map((v) => gql(v.trim())).join(', ')}]` : f.operator === 'is' ? f.value.toUpperCase() : gql(f.value)
      return `${f.column}: { ${f.operator}: ${value} }`
    })
    args.push(`where: { ${where.join(', ')} }`)
  }
  if (q.order) args.push(`orderBy: [{ ${q.order.column}: ${q.order.direction.toUpperCase()} }]`)
  args.push(`limit: ${q.limit}`)
  const fields = q.columns.length > 0 ? [...q.columns] : table.columns.map((c) => c.name)
  for (const embed of q.embeds) {
    const relation = table.relations.find((r) => r.name === embed)
    const target = tables.find((t) => t.name === relation?.table)
    fields.push(`${embed} { ${(target?.columns ?? []).map((c) => c.name).join(' ')} }`)
  }
  return `{\n  ${q.table}(${args.join(', ')}) {\n    ${fields.join('\n    ')}\n  }\n}`
}
