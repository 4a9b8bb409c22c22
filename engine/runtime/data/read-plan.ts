import { COLUMN_TYPE_FACTS } from '../../ir/column-types.ts'
import type { ColumnIR, RelationIR } from '../../ir/project-ir.ts'
import { assertNever } from '../../shared/assert-never.ts'
import { KoyaError } from '../../shared/errors.ts'
import { columnOf, relationOf, type IndexedTable, type ModelIndex } from './model-index.ts'
import type { CompareOperator, OrderBy as OrderByQuery, SelectItem, TextSearch, Where } from './query.ts'
import { planMatch, planSearch, type PlannedMatch, type PlannedSearch } from './text-search-plan.ts'
import { filterValue } from './column-values.ts'

/** A value bound as a SQL parameter: what better-sqlite3 accepts. */
export type SqlValue = string | number | null

/**
 * A read, checked against the model: every name resolved, every filter value checked and
 * converted to its column's stored form. The SQL printer trusts it.
 */
export interface ReadPlan {
  readonly table: IndexedTable
  readonly fields: readonly Field[]
  /** Conditions of the plan itself (`!inner` embeds, the ids a write reads back). */
  readonly where: readonly Condition[]
  readonly order: readonly OrderBy[]
  readonly limit: number | undefined
  readonly offset: number | undefined
  /**
   * The caller's own filters on this level's table. They are kept apart from `where` because
   * the access layer applies them: only to rows the policy admits, so a filter never runs on a
   * hidden row.
   */
  readonly filters: readonly Condition[]
  /** A ranked full-text read (top level only): rows are joined to their FTS5 matches and ordered by rank. */
  readonly search?: PlannedSearch
}

export type Field =
  | { readonly kind: 'column'; readonly key: string; readonly column: ColumnIR }
  | { readonly kind: 'embed'; readonly key: string; readonly relation: RelationIR; readonly plan: ReadPlan }

export type Condition =
  | { readonly kind: 'compare'; readonly column: ColumnIR; readonly operator: CompareOperator; readonly value: SqlValue }
  | { readonly kind: 'in'; readonly column: ColumnIR; readonly values: readonly SqlValue[] }
  | { readonly kind: 'is'; readonly column: ColumnIR; readonly value: 'null' | 'true' | 'false' }
  | { readonly kind: 'and' | 'or'; readonly conditions: readonly Condition[] }
  /** SQL's NOT: a NULL (a comparison with a null column) stays NULL, so the row is not kept. */
  | { readonly kind: 'not'; readonly condition: Condition }
  /** `NOT COALESCE(c, 0)`: true where `c` is false or NULL (what `every` looks for among the related rows). */
  | { readonly kind: 'notTrue'; readonly condition: Condition }
  /**
   * Whether a related row (through its table's read policy) passes `plan.filters`: `some` keeps
   * the row when one does (`!inner`, `some`, `parent`), `none` when none does (`none`, `every`).
   */
  | { readonly kind: 'related'; readonly quantifier: 'some' | 'none'; readonly relation: RelationIR; readonly plan: ReadPlan }
  /** The row's rowid is among the FTS5 index's matches. */
  | { readonly kind: 'match'; readonly match: PlannedMatch }
  /** The row is among a ranked read's matches (text match, a vector, or either for hybrid): what its count counts. */
  | { readonly kind: 'searched'; readonly search: PlannedSearch }

export interface OrderBy {
  readonly column: ColumnIR
  readonly direction: 'asc' | 'desc'
  readonly nulls: 'first' | 'last'
}

/** What a read plans from: a ReadQuery's shape, or an embed's. */
export interface ReadShape {
  readonly select?: readonly SelectItem[] | undefined
  readonly where?: Where | undefined
  readonly orderBy?: readonly OrderByQuery[] | undefined
  readonly limit?: number | undefined
  readonly offset?: number | undefined
  readonly search?: TextSearch | undefined
}

/** Keys a ranked read adds to each row. */
const SEARCH_KEYS = ['rank', 'snippet']

/** Resolve a neutral read against the model. @throws KoyaError KL_API_* naming the bad part. */
export function planRead(model: ModelIndex, table: IndexedTable, shape: ReadShape): ReadPlan {
  const fields: Field[] = []
  const where: Condition[] = []
  for (const item of shape.select ?? [{ kind: 'all' }]) {
    switch (item.kind) {
      case 'all':
        for (const column of table.ir.columns) fields.push({ kind: 'column', key: column.name, column })
        break
      case 'column':
        fields.push({ kind: 'column', key: item.as ?? item.column, column: columnOf(table, item.column, 'select') })
        break
      case 'embed': {
        const relation = relationOf(table, item.relation)
        const child = planRead(model, model.table(relation.table), item)
        fields.push({ kind: 'embed', key: item.as ?? item.relation, relation, plan: child })
        if (item.inner) where.push({ kind: 'related', quantifier: 'some', relation, plan: child })
        break
      }
      default:
        assertNever(item, 'select item')
    }
  }
  checkPage(shape.limit, 'limit')
  checkPage(shape.offset, 'offset')
  const search = shape.search === undefined ? undefined : planSearch(table, shape.search)
  if (search) {
    const taken = fields.find((f) => SEARCH_KEYS.includes(f.key))
    if (taken) {
      throw new KoyaError('KL_API_BAD_SELECT', `A search result adds "rank" and "snippet" to each row, and the select also names "${taken.key}".`, {
        hint: `Rename it in the select, e.g. \`select=*,${taken.key}_:${taken.key}\` (and list the other columns instead of *).`,
      })
    }
  }
  return {
    ...(search ? { search } : {}),
    table,
    fields,
    where,
    order: (shape.orderBy ?? []).map((term) => {
      const column = columnOf(table, term.column, 'order')
      const direction = term.direction ?? 'asc'
      // PostgreSQL's default, which PostgREST clients expect: NULLs sort as if larger.
      return { column, direction, nulls: term.nulls ?? (direction === 'asc' ? 'last' : 'first') }
    }),
    limit: shape.limit,
    offset: shape.offset,
    // A top-level `and` is split: each term that cannot fail then stays beside the policy,
    // where an index serves it (see CallerFilter in read-sql.ts).
    filters: shape.where === undefined ? [] : topLevel(planCondition(model, table, shape.where)),
  }
}

function topLevel(condition: Condition): Condition[] {
  return condition.kind === 'and' ? condition.conditions.flatMap(topLevel) : [condition]
}

function checkPage(value: number | undefined, name: string): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
    throw new KoyaError('KL_API_BAD_PAGINATION', `${name} must be a whole number of rows, 0 or more; got ${String(value)}.`)
  }
}

/** A read of rows by id (what a write returns), with the caller's select. */
export function planReadByIds(model: ModelIndex, table: IndexedTable, select: readonly SelectItem[] | undefined, ids: readonly string[]): ReadPlan {
  const plan = planRead(model, table, { select })
  const id = columnOf(table, 'id', 'id')
  // Ids are UUIDv7, increasing in creation order: new rows come back in the order sent.
  return { ...plan, where: [...plan.where, { kind: 'in', column: id, values: ids }], order: [{ column: id, direction: 'asc', nulls: 'last' }] }
}

function planCondition(model: ModelIndex, table: IndexedTable, where: Where): Condition {
  switch (where.kind) {
    case 'and':
    case 'or':
      return { kind: where.kind, conditions: where.where.map((w) => planCondition(model, table, w)) }
    case 'not':
      return { kind: 'not', condition: planCondition(model, table, where.where) }
    case 'compare':
    case 'in':
    case 'is':
      return planCompare(table, where)
    case 'match':
      return { kind: 'match', match: planMatch(table, where.query, where.columns) }
    case 'some':
    case 'none':
    case 'every':
    case 'parent': {
      const relation = relationOf(table, where.relation)
      const expected = where.kind === 'parent' ? 'belongsTo' : 'hasMany'
      if (relation.kind !== expected) {
        throw new KoyaError('KL_API_BAD_FILTER', `The filter "${where.kind}" on "${table.name}.${relation.name}" needs a ${expected === 'belongsTo' ? 'belongs-to' : 'has-many'} relation.`, {
          hint: expected === 'belongsTo' ? 'Use some, every or none for a has-many relation.' : 'Use parent for a belongs-to relation.',
        })
      }
      const related = model.table(relation.table)
      const inner = where.where === undefined ? [] : [planCondition(model, related, where.where)]
      // every: no readable related row fails the filter (NULL counts as failing, as in SQL).
      const filters: Condition[] = where.kind === 'every' ? [{ kind: 'notTrue', condition: { kind: 'and', conditions: inner } }] : inner
      const plan: ReadPlan = { table: related, fields: [], where: [], order: [], limit: undefined, offset: undefined, filters }
      return { kind: 'related', quantifier: where.kind === 'some' || where.kind === 'parent' ? 'some' : 'none', relation, plan }
    }
    default:
      return assertNever(where, 'filter')
  }
}

function planCompare(table: IndexedTable, where: Extract<Where, { kind: 'compare' | 'in' | 'is' }>): Condition {
  const column = columnOf(table, where.column, 'filter')
  const what = `The filter on "${column.name}"`
  switch (where.kind) {
    case 'is': {
      if (where.value !== null && column.type !== 'bool') throw new KoyaError('KL_API_BAD_FILTER', `${what}: is.${String(where.value)} applies to boolean columns; "${column.name}" is ${column.type}.`, { hint: 'Use is.null, or eq. for other columns.' })
      return { kind: 'is', column, value: where.value === null ? 'null' : where.value ? 'true' : 'false' }
    }
    case 'in':
      return { kind: 'in', column, values: where.values.map((v) => filterValue(column, v, what)) }
    case 'compare':
      if (where.operator === 'like' || where.operator === 'ilike') {
        if (!COLUMN_TYPE_FACTS[column.type].textual) throw new KoyaError('KL_API_BAD_FILTER', `${what}: ${where.operator} applies to text columns; "${column.name}" is ${column.type}.`)
        if (typeof where.value !== 'string') throw new KoyaError('KL_API_BAD_FILTER', `${what}: ${where.operator} takes a text pattern.`)
        return { kind: 'compare', column, operator: where.operator, value: where.value }
      }
      return { kind: 'compare', column, operator: where.operator, value: filterValue(column, where.value, what) }
    default:
      return assertNever(where, 'comparison')
  }
}
