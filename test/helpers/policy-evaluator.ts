import type { CompareOperator, PolicyExprIR, PolicyLiteral, PolicyValueIR, TableIR } from '../../engine/ir/project-ir.ts'

/**
 * A reference evaluator of PolicyIR over rows in memory, written apart from the SQL printer (it
 * shares no code with it) so the two can be compared: the property tests hold the printer and
 * the runtime to what this file says.
 *
 * Rows hold values as SQLite stores them (booleans 0/1). The null rule: a comparison is true
 * only when both sides are present and non-null; `isNull` is the only test that sees null; a
 * belongs-to path through a missing parent has no value, so every test on it is false, and
 * `.some`/`.every` through one are false too.
 */
export type Row = Readonly<Record<string, unknown>>
export type Rows = Readonly<Record<string, readonly Row[]>>

export interface EvalCaller {
  readonly userId: string | null
  readonly roles: readonly string[]
  /** Purposes whose current version the caller granted (absent: none). */
  readonly consents?: readonly string[]
}

const ABSENT = Symbol('absent')
type Value = unknown | typeof ABSENT

export class PolicyEvaluator {
  private readonly tables: ReadonlyMap<string, TableIR>

  constructor(
    tables: readonly TableIR[],
    private readonly rows: Rows,
  ) {
    this.tables = new Map(tables.map((t) => [t.name, t]))
  }

  /** Ids of `table`'s rows the caller passes, sorted. */
  admitted(expr: PolicyExprIR, table: string, caller: EvalCaller): string[] {
    return (this.rows[table] ?? [])
      .filter((row) => this.test(expr, [{ table, row }], caller))
      .map((row) => String(row.id))
      .sort()
  }

  /** Whether `row` of `table` passes. */
  passes(expr: PolicyExprIR, table: string, row: Row, caller: EvalCaller): boolean {
    return this.test(expr, [{ table, row }], caller)
  }

  private test(expr: PolicyExprIR, scopes: readonly { table: string; row: Row }[], caller: EvalCaller): boolean {
    switch (expr.kind) {
      case 'constant':
        return expr.value
      case 'compare': {
        const left = this.value(expr.left, scopes, caller)
        const right = this.value(expr.right, scopes, caller)
        if (left === ABSENT || right === ABSENT || left === null || right === null || left === undefined || right === undefined) return false
        return compare(expr.operator, left, right)
      }
      case 'isNull': {
        const value = this.value(expr.value, scopes, caller)
        if (value === ABSENT) return false
        const isNull = value === null || value === undefined
        return expr.negated ? !isNull : isNull
      }
      case 'in': {
        const value = this.value(expr.value, scopes, caller)
        if (value === ABSENT || value === null || value === undefined) return false
        return expr.list.some((item) => compare('=', value, stored(item)))
      }
      case 'hasRole':
        return caller.roles.includes(expr.role)
      case 'hasConsent':
        return caller.userId !== null && (caller.consents ?? []).includes(expr.purpose)
      case 'truthy': {
        const value = this.value(expr.value, scopes, caller)
        return value === 1 || value === true
      }
      case 'not':
        return !this.test(expr.expr, scopes, caller)
      case 'and':
        return expr.exprs.every((e) => this.test(e, scopes, caller))
      case 'or':
        return expr.exprs.some((e) => this.test(e, scopes, caller))
      case 'conditional':
        return this.test(expr.test, scopes, caller) ? this.test(expr.then, scopes, caller) : this.test(expr.otherwise, scopes, caller)
      case 'some':
      case 'every': {
        const start = scopes[expr.scope]
        if (!start) throw new Error(`scope ${expr.scope} is not open`)
        const parent = this.follow(start, expr.path)
        if (!parent) return false
        const relation = this.tableOf(parent.table).relations.find((r) => r.name === expr.relation)
        if (!relation || relation.kind !== 'hasMany') throw new Error(`no has-many ${expr.relation} on ${parent.table}`)
        const children = (this.rows[relation.table] ?? []).filter((child) => child[relation.column] !== null && child[relation.column] === parent.row.id)
        const holds = (child: Row) => this.test(expr.predicate, [...scopes, { table: relation.table, row: child }], caller)
        return expr.kind === 'some' ? children.some(holds) : children.every(holds)
      }
      case 'referencedBy': {
        const self = scopes[0]
        if (!self) throw new Error('scope 0 is not open')
        return (this.rows[expr.table] ?? []).some((row) => {
          const value = row[expr.column]
          const ids = expr.many ? (typeof value === 'string' ? (JSON.parse(value) as unknown[]) : Array.isArray(value) ? value : []) : [value]
          return ids.includes(self.row.id) && this.test(expr.predicate, [{ table: expr.table, row }], caller)
        })
      }
      default: {
        const never: never = expr
        throw new Error(`unknown expression ${JSON.stringify(never)}`)
      }
    }
  }

  private value(value: PolicyValueIR, scopes: readonly { table: string; row: Row }[], caller: EvalCaller): Value {
    switch (value.kind) {
      case 'literal':
        return stored(value.value)
      case 'authUserId':
        return caller.userId
      case 'column': {
        const start = scopes[value.scope]
        if (!start) throw new Error(`scope ${value.scope} is not open`)
        const at = this.follow(start, value.path)
        return at ? (at.row[value.column] ?? null) : ABSENT
      }
      default: {
        const never: never = value
        throw new Error(`unknown value ${JSON.stringify(never)}`)
      }
    }
  }

  /** Walk belongs-to relations; undefined when a parent is missing. */
  private follow(start: { table: string; row: Row }, path: readonly string[]): { table: string; row: Row } | undefined {
    let at = start
    for (const name of path) {
      const relation = this.tableOf(at.table).relations.find((r) => r.name === name)
      if (!relation || relation.kind !== 'belongsTo') throw new Error(`no belongs-to ${name} on ${at.table}`)
      const key = at.row[relation.column]
      if (key === null || key === undefined) return undefined
      const parent = (this.rows[relation.table] ?? []).find((r) => r.id === key)
      if (!parent) return undefined
      at = { table: relation.table, row: parent }
    }
    return at
  }

  private tableOf(name: string): TableIR {
    const table = this.tables.get(name)
    if (!table) throw new Error(`unknown table ${name}`)
    return table
  }
}

/** A literal as SQLite stores it: booleans as 0/1. */
function stored(value: PolicyLiteral): string | number {
  return typeof value === 'boolean' ? (value ? 1 : 0) : value
}

/**
 * SQLite's comparison for the values these tests store: numbers compare as numbers, text by
 * code unit (ASCII only in the generators, where that equals SQLite's BINARY collation), and
 * any number sorts before any text.
 */
function compare(operator: CompareOperator, left: unknown, right: unknown): boolean {
  const order = cmp(left, right)
  switch (operator) {
    case '=':
      return order === 0
    case '<>':
      return order !== 0
    case '<':
      return order < 0
    case '<=':
      return order <= 0
    case '>':
      return order > 0
    case '>=':
      return order >= 0
    default: {
      const never: never = operator
      throw new Error(`unknown operator ${String(never)}`)
    }
  }
}

function cmp(left: unknown, right: unknown): number {
  const l = typeof left === 'boolean' ? Number(left) : left
  const r = typeof right === 'boolean' ? Number(right) : right
  if (typeof l === 'number' && typeof r === 'number') return l === r ? 0 : l < r ? -1 : 1
  if (typeof l === 'number') return -1
  if (typeof r === 'number') return 1
  const ls = String(l)
  const rs = String(r)
  return ls === rs ? 0 : ls < rs ? -1 : 1
}
