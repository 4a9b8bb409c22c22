import { assertNever } from '../../shared/assert-never.ts'
import { quoteIdent } from '../../shared/sql-text.ts'
import type { PolicyExprIR, PolicyLiteral, PolicyParamIR, PolicyValueIR, RelationIR, TableIR } from '../../ir/project-ir.ts'

/**
 * Print a policy predicate as a SQLite boolean expression over the policy's row, aliased
 * `"row"`. Subqueries use the aliases `"p1"`, `"p2"`, … in the order they are printed; every
 * literal is a bound `?` parameter (booleans as 0/1) and the printer never writes `?` otherwise.
 *
 * The result may evaluate to NULL where the predicate is false (a comparison with a null side):
 * the null rule makes that NULL mean false, so a caller uses the SQL positively (`WHERE sql`,
 * `EXISTS … WHERE sql`) or as `COALESCE(sql, 0)`; the printer itself does this under `not`,
 * in `every` and in `?:`. Comparisons stay bare (`"row"."ownerId" = ?`) so indexes serve them.
 *
 * Belongs-to paths become `EXISTS` over the parents joined by primary key: a path through a
 * missing parent matches no row, so every comparison and null test on it is false. Has-many
 * traversal (`.some/.every`) is `EXISTS` / `NOT EXISTS`, never COUNT. `.some` reaches the
 * children through the last parent's foreign key without joining that parent (foreign keys are
 * enforced, so a non-null key has its row); `.every` through a missing parent is false.
 */
export function printPolicySql(expr: PolicyExprIR, table: string, tables: readonly TableIR[]): { sql: string; params: PolicyParamIR[] } {
  const printer = new Printer(tables)
  const sql = printer.expr(expr, [{ alias: 'row', table: printer.table(table) }])
  return { sql, params: printer.params }
}

interface Scope {
  readonly alias: string
  readonly table: TableIR
}

/** A parent reached from a scope's row through a belongs-to path, joined inside an EXISTS. */
interface Hop {
  readonly alias: string
  readonly table: TableIR
  /** `"p1"."id" = "row"."projectId"`: links this parent to the row (or parent) before it. */
  readonly link: string
}

class Printer {
  readonly params: PolicyParamIR[] = []
  private aliasCount = 0
  private readonly byName: ReadonlyMap<string, TableIR>

  constructor(tables: readonly TableIR[]) {
    this.byName = new Map(tables.map((t) => [t.name, t]))
  }

  table(name: string): TableIR {
    const table = this.byName.get(name)
    if (!table) throw new Error(`Policy printer: unknown table "${name}".`)
    return table
  }

  private alias(): string {
    this.aliasCount += 1
    return `p${this.aliasCount}`
  }

  private literal(value: PolicyLiteral): string {
    this.params.push({ kind: 'value', value: typeof value === 'boolean' ? (value ? 1 : 0) : value })
    return '?'
  }

  expr(expr: PolicyExprIR, scopes: readonly Scope[]): string {
    switch (expr.kind) {
      case 'constant':
        return expr.value ? '1' : '0'
      case 'compare':
        return this.atom([expr.left, expr.right], scopes, ([left, right]) => `${left} ${expr.operator} ${right}`)
      case 'isNull':
        return this.atom([expr.value], scopes, ([value]) => `${value} IS ${expr.negated ? 'NOT ' : ''}NULL`)
      case 'in': {
        // A column's affinity would make SQLite convert an item of the other kind before
        // comparing ('1' IN an int column matches 1), but a number never equals a text (as in
        // `['1', 2].includes(task.priority)`): such items are left out.
        const kind = this.storageOf(expr.value, scopes)
        const list = kind === undefined ? expr.list : expr.list.filter((v) => (typeof v === 'string' ? 'text' : 'number') === kind)
        // An empty list admits nothing; `x IN ()` is not SQLite.
        if (list.length === 0) return '0'
        return this.atom([expr.value], scopes, ([value]) => `${value} IN (${list.map((v) => this.literal(v)).join(', ')})`)
      }
      case 'hasRole': {
        const alias = this.alias()
        this.params.push({ kind: 'authRoles' })
        const sql = `EXISTS (SELECT 1 FROM json_each(?) ${quoteIdent(alias)} WHERE ${quoteIdent(alias)}."value" = ?)`
        this.literal(expr.role)
        return sql
      }
      case 'truthy':
        // Bools are stored 0/1; `= 1` keeps NULL false and an index usable.
        return this.atom([expr.value], scopes, ([value]) => `${value} = 1`)
      case 'not':
        return `NOT COALESCE(${this.expr(expr.expr, scopes)}, 0)`
      case 'and':
        return this.junction(expr.exprs, 'AND', '1', scopes)
      case 'or':
        return this.junction(expr.exprs, 'OR', '0', scopes)
      case 'conditional': {
        // CASE WHEN treats a NULL test as false, which is the null rule already.
        const test = this.expr(expr.test, scopes)
        const then = this.expr(expr.then, scopes)
        const otherwise = this.expr(expr.otherwise, scopes)
        return `(CASE WHEN ${test} THEN ${then} ELSE ${otherwise} END)`
      }
      case 'some':
      case 'every':
        return this.quantifier(expr, scopes)
      default:
        return assertNever(expr, 'policy expression')
    }
  }

  private junction(exprs: readonly PolicyExprIR[], op: 'AND' | 'OR', empty: string, scopes: readonly Scope[]): string {
    if (exprs.length === 0) return empty
    if (exprs.length === 1) return this.expr(exprs[0]!, scopes)
    return `(${exprs.map((e) => this.expr(e, scopes)).join(` ${op} `)})`
  }

  private relation(table: TableIR, name: string, kind: RelationIR['kind']): RelationIR {
    const relation = table.relations.find((r) => r.name === name)
    if (!relation || relation.kind !== kind) throw new Error(`Policy printer: table "${table.name}" has no ${kind} relation "${name}".`)
    return relation
  }

  private column(table: TableIR, name: string): string {
    if (!table.columns.some((c) => c.name === name)) throw new Error(`Policy printer: table "${table.name}" has no column "${name}".`)
    return quoteIdent(name)
  }

  /** The parents along `path` from `scope`, one hop per relation, with their join conditions. */
  private hops(scope: Scope, path: readonly string[]): Hop[] {
    const hops: Hop[] = []
    let from = scope
    for (const name of path) {
      const relation = this.relation(from.table, name, 'belongsTo')
      const alias = this.alias()
      const table = this.table(relation.table)
      hops.push({ alias, table, link: `${quoteIdent(alias)}."id" = ${quoteIdent(from.alias)}.${this.column(from.table, relation.column)}` })
      from = { alias, table }
    }
    return hops
  }

  /**
   * A comparison or test over values. Values reached through belongs-to paths are read inside
   * one EXISTS that joins their parents (shared prefixes joined once), so a missing parent makes
   * the whole test false rather than a NULL that `IS NULL` would accept.
   */
  private atom(values: readonly PolicyValueIR[], scopes: readonly Scope[], print: (values: string[]) => string): string {
    const joined = new Map<string, Hop>()
    const hops: Hop[] = []
    const reach = (scopeIndex: number, path: readonly string[]): Scope => {
      let at = this.scope(scopes, scopeIndex)
      for (let i = 0; i < path.length; i++) {
        const key = `${scopeIndex}:${path.slice(0, i + 1).join('.')}`
        let hop = joined.get(key)
        if (!hop) {
          hop = this.hops(at, [path[i]!])[0]!
          joined.set(key, hop)
          hops.push(hop)
        }
        at = hop
      }
      return at
    }
    // Join conditions carry no parameters, so the `?`s print in the order they are bound:
    // the values first, then whatever `print` adds (an IN list).
    const texts = values.map((value) => {
      switch (value.kind) {
        case 'column': {
          const at = reach(value.scope, value.path)
          return `${quoteIdent(at.alias)}.${this.column(at.table, value.column)}`
        }
        case 'literal':
          return this.literal(value.value)
        case 'authUserId':
          this.params.push({ kind: 'authUserId' })
          return '?'
        default:
          return assertNever(value, 'policy value')
      }
    })
    const test = print(texts)
    if (hops.length === 0) return test
    const from = hops.map((hop) => `${quoteIdent(hop.table.name)} ${quoteIdent(hop.alias)}`).join(', ')
    return `EXISTS (SELECT 1 FROM ${from} WHERE ${hops.map((hop) => hop.link).join(' AND ')} AND ${test})`
  }

  /** How a column value is stored (bools as 0/1 numbers); undefined for a value without affinity. */
  private storageOf(value: PolicyValueIR, scopes: readonly Scope[]): 'text' | 'number' | undefined {
    if (value.kind !== 'column') return undefined
    let table = this.scope(scopes, value.scope).table
    for (const name of value.path) table = this.table(this.relation(table, name, 'belongsTo').table)
    const type = table.columns.find((c) => c.name === value.column)?.type
    return type === 'int' || type === 'real' || type === 'bool' ? 'number' : 'text'
  }

  private scope(scopes: readonly Scope[], index: number): Scope {
    const scope = scopes[index]
    if (!scope) throw new Error(`Policy printer: scope ${index} is not open here.`)
    return scope
  }

  private quantifier(expr: Extract<PolicyExprIR, { kind: 'some' | 'every' }>, scopes: readonly Scope[]): string {
    const start = this.scope(scopes, expr.scope)
    const parents = expr.path.length === 0 ? [] : this.hops(start, expr.kind === 'some' ? expr.path.slice(0, -1) : expr.path)
    const last: Scope = parents.at(-1) ?? start
    // `.some` through a path skips its last parent: the children's key equals the foreign key
    // that points at it, and a null key joins nothing.
    const skipped = expr.kind === 'some' && expr.path.length > 0 ? this.relation(last.table, expr.path.at(-1)!, 'belongsTo') : undefined
    const parentTable = skipped ? this.table(skipped.table) : last.table
    const parentKey = `${quoteIdent(last.alias)}.${skipped ? this.column(last.table, skipped.column) : '"id"'}`
    const relation = this.relation(parentTable, expr.relation, 'hasMany')
    const child: Scope = { alias: this.alias(), table: this.table(relation.table) }
    const childLink = `${quoteIdent(child.alias)}.${this.column(child.table, relation.column)} = ${parentKey}`
    const predicate = this.expr(expr.predicate, [...scopes, child])
    const childFrom = `${quoteIdent(child.table.name)} ${quoteIdent(child.alias)}`
    if (expr.kind === 'some') {
      const from = [...parents.map((hop) => `${quoteIdent(hop.table.name)} ${quoteIdent(hop.alias)}`), childFrom].join(', ')
      const where = [...parents.map((hop) => hop.link), childLink, predicate].filter((w) => w !== '1')
      return `EXISTS (SELECT 1 FROM ${from} WHERE ${where.length === 0 ? '1' : where.join(' AND ')})`
    }
    const none = `NOT EXISTS (SELECT 1 FROM ${childFrom} WHERE ${childLink} AND NOT COALESCE(${predicate}, 0))`
    if (parents.length === 0) return none
    const from = parents.map((hop) => `${quoteIdent(hop.table.name)} ${quoteIdent(hop.alias)}`).join(', ')
    return `EXISTS (SELECT 1 FROM ${from} WHERE ${parents.map((hop) => hop.link).join(' AND ')} AND ${none})`
  }
}
