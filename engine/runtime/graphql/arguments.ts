import { IS_VALUES, ORDER_DIRECTIONS } from '../../ir/graphql/graphql-names.ts'
import type { TableIR } from '../../ir/project-ir.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { FilterScalar, OrderBy, Where } from '../data/query.ts'

/**
 * GraphQL arguments (already coerced by graphql-js against the SDL) → the neutral query's parts.
 * The SDL lets through only known fields and well-typed values; what it cannot say (one column
 * per order term, no null filters, page bounds) is checked here, before any SQL.
 */

type Input = Readonly<Record<string, unknown>>
type TableOf = (name: string) => TableIR

const COMPARE = new Set(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike'])

/**
 * A `<Type>Where` input as a filter tree; undefined when it holds no test (`{}`). Every field given
 * holds (an `and`); a null anywhere is refused rather than read as "no filter", so a write by
 * filter can never widen to every row by a null variable.
 *
 * @example
 * whereOf(tasks, tableOf, { status: { in: ['todo'] }, project: { archived: { eq: false } } })
 */
export function whereOf(table: TableIR, tableOf: TableOf, input: Input | null | undefined): Where | undefined {
  if (input === undefined) return undefined
  if (input === null) throw nullFilter(table.name)
  const terms: Where[] = []
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue
    if (value === null) throw nullFilter(`${table.name}.${key}`)
    if (key === 'and' || key === 'or') {
      terms.push({ kind: key, where: (value as Input[]).map((w) => whereOf(table, tableOf, w) ?? { kind: 'and', where: [] }) })
    } else if (key === 'not') {
      terms.push({ kind: 'not', where: whereOf(table, tableOf, value as Input) ?? { kind: 'and', where: [] } })
    } else {
      const relation = table.relations.find((r) => r.name === key)
      if (relation === undefined) terms.push(...columnTests(table, key, value as Input))
      else if (relation.kind === 'belongsTo') {
        const inner = whereOf(tableOf(relation.table), tableOf, value as Input)
        terms.push({ kind: 'parent', relation: key, ...(inner ? { where: inner } : {}) })
      } else {
        for (const [quantifier, nested] of Object.entries(value as Input)) {
          if (nested === undefined) continue
          if (nested === null) throw nullFilter(`${table.name}.${key}.${quantifier}`)
          const inner = whereOf(tableOf(relation.table), tableOf, nested as Input)
          terms.push({ kind: quantifier as 'some' | 'every' | 'none', relation: key, ...(inner ? { where: inner } : {}) })
        }
      }
    }
  }
  if (terms.length === 0) return undefined
  return terms.length === 1 ? terms[0] : { kind: 'and', where: terms }
}

function columnTests(table: TableIR, column: string, tests: Input): Where[] {
  const out: Where[] = []
  for (const [operator, value] of Object.entries(tests)) {
    if (value === undefined) continue
    if (value === null) throw nullFilter(`${table.name}.${column}.${operator}`)
    if (operator === 'in') out.push({ kind: 'in', column, values: value as FilterScalar[] })
    else if (operator === 'is') out.push({ kind: 'is', column, value: IS_VALUES[value as keyof typeof IS_VALUES] })
    else if (COMPARE.has(operator)) out.push({ kind: 'compare', column, operator: operator as 'eq', value: value as FilterScalar })
  }
  return out
}

function nullFilter(where: string): KoyaError {
  return new KoyaError('KL_API_BAD_FILTER', `The filter on "${where}" is null.`, { hint: 'Leave a filter out instead of passing null; test a null column with `is: NULL`.' })
}

/**
 * `[{ dueAt: DESC_NULLS_LAST }, { title: ASC }]` as order terms: one column per term, because an
 * input object's fields carry no order of their own.
 */
export function orderOf(input: readonly Input[] | null | undefined): OrderBy[] | undefined {
  if (input === undefined || input === null) return undefined
  return input.map((term) => {
    const entries = Object.entries(term).filter(([, v]) => v !== undefined && v !== null)
    if (entries.length !== 1) {
      throw new KoyaError('KL_API_BAD_ORDER', `An orderBy term names ${entries.length} columns; it must name exactly one.`, {
        hint: 'Write one object per column, in order: orderBy: [{ dueAt: DESC }, { title: ASC }].',
      })
    }
    const [column, direction] = entries[0]!
    return { column, ...ORDER_DIRECTIONS[direction as keyof typeof ORDER_DIRECTIONS] }
  })
}

/** A list's page: `limit` within the server's largest page (`defaultLimit` when absent), `offset` as given. */
export function pageOf(args: Input, { maxLimit, defaultLimit }: { readonly maxLimit: number; readonly defaultLimit: number }): { limit: number; offset?: number } {
  const limit = args.limit as number | null | undefined
  const offset = args.offset as number | null | undefined
  if (limit !== undefined && limit !== null && limit > maxLimit) {
    throw new KoyaError('KL_API_LIMIT_EXCEEDED', `limit ${limit} is above the largest page, ${maxLimit} rows.`, { hint: `Ask for at most ${maxLimit} rows and page with offset.` })
  }
  return { limit: limit ?? defaultLimit, ...(offset !== undefined && offset !== null ? { offset } : {}) }
}

/** An input object as a plain row (graphql-js makes them without a prototype), without the `_` placeholder of column-less inputs. */
export function rowOf(input: Input): Record<string, unknown> {
  const row: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(input)) if (key !== '_' && value !== undefined) row[key] = value
  return row
}
