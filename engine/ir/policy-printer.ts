import { assertNever } from '../shared/assert-never.ts'
import { KoyaError } from '../shared/errors.ts'
import type { PolicyExprIR, PolicyLiteral, PolicyValueIR, RelationIR, TableIR } from './project-ir.ts'
import { SQLITE_DIALECT, type SqlDialect } from './sql-dialect.ts'
import { CONSENT_STATE_TABLE } from './privacy.ts'

/** A bound parameter of a printed policy: a constant, or a fact about the caller filled per request. */
export type PolicyParam =
  | { readonly kind: 'value'; readonly value: string | number }
  | { readonly kind: 'authUserId' }
  /** The caller's roles as a JSON array text. */
  | { readonly kind: 'authRoles' }

/**
 * A printed policy: SQL text split around its parameters (`parts.length === params.length + 1`),
 * so a runtime binds each parameter where it stands (as Kysely RawBuilders, caller facts as
 * slots) and never re-reads the text; `policySqlText` joins it with the dialect's placeholders.
 */
export interface PrintedPolicy {
  readonly parts: readonly string[]
  readonly params: readonly PolicyParam[]
}

/**
 * Print a policy predicate as a boolean expression over the policy's row, aliased `"row"`.
 * Subqueries use the aliases `"p1"`, `"p2"`, … in the order they are printed; every literal is
 * a bound parameter (booleans as the dialect binds them).
 *
 * The result may evaluate to NULL where the predicate is false (a comparison with a null side):
 * the null rule makes that NULL mean false, so a caller uses the SQL positively (`WHERE sql`,
 * `EXISTS … WHERE sql`) or as `COALESCE(sql, false)`; the printer itself does this under `not`,
 * in `every` and in `?:`. Comparisons stay bare (`"row"."ownerId" = ?`) so indexes serve them.
 *
 * Belongs-to paths become `EXISTS` over the parents joined by primary key: a path through a
 * missing parent matches no row, so every comparison and null test on it is false. Has-many
 * traversal (`.some/.every`) is `EXISTS` / `NOT EXISTS`, never COUNT. `.some` reaches the
 * children through the last parent's foreign key without joining that parent (foreign keys are
 * enforced, so a non-null key has its row); `.every` through a missing parent is false.
 *
 * The one printer of policies: the runtime binds its output at boot, access.md shows its text.
 *
 * @example
 * printPolicy({ kind: 'hasRole', role: 'admin' }, 'tasks', model.tables, SQLITE_DIALECT)
 * // { parts: ['EXISTS (SELECT 1 FROM json_each(', ') "p1" WHERE "p1"."value" = ', ')'], params: [{ kind: 'authRoles' }, { kind: 'value', value: 'admin' }] }
 */
export function printPolicy(expr: PolicyExprIR, table: string, tables: readonly TableIR[], dialect: SqlDialect): PrintedPolicy {
  const printer = new Printer(tables, dialect)
  return flatten(printer.expr(expr, [{ alias: 'row', table: printer.table(table) }]))
}

/**
 * The printed policy as one SQL text with the dialect's placeholders, and its parameters.
 *
 * @example
 * policySqlText(expr, 'tasks', model.tables) // { sql: '"row"."ownerId" = ?', params: [{ kind: 'authUserId' }] }
 */
export function policySqlText(expr: PolicyExprIR, table: string, tables: readonly TableIR[], dialect: SqlDialect = SQLITE_DIALECT): { sql: string; params: PolicyParam[] } {
  const { parts, params } = printPolicy(expr, table, tables, dialect)
  return { sql: parts.map((part, i) => (i === 0 ? part : `${dialect.placeholder(i - 1)}${part}`)).join(''), params: [...params] }
}

/** Printed SQL as a tree: text, a parameter where it is bound, or a sequence. */
type Chunk = string | { readonly param: PolicyParam } | readonly Chunk[]

/** Text with chunks in it: `sql\`EXISTS (${subquery})\``. */
function sql(strings: TemplateStringsArray, ...values: Chunk[]): Chunk[] {
  const out: Chunk[] = [strings[0]!]
  values.forEach((value, i) => out.push(value, strings[i + 1]!))
  return out
}

function join(chunks: readonly Chunk[], separator: string): Chunk[] {
  return chunks.flatMap((chunk, i) => (i === 0 ? [chunk] : [separator, chunk]))
}

function flatten(root: Chunk): PrintedPolicy {
  const parts = ['']
  const params: PolicyParam[] = []
  const walk = (chunk: Chunk): void => {
    if (typeof chunk === 'string') parts[parts.length - 1] += chunk
    else if (Array.isArray(chunk)) for (const c of chunk as readonly Chunk[]) walk(c)
    else {
      params.push((chunk as { param: PolicyParam }).param)
      parts.push('')
    }
  }
  walk(root)
  return { parts, params }
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

function internal(message: string): KoyaError {
  return new KoyaError('KL_INT_UNEXPECTED', `Policy printer: ${message}`)
}

class Printer {
  private aliasCount = 0
  private readonly byName: ReadonlyMap<string, TableIR>
  private readonly dialect: SqlDialect
  private readonly q: (name: string) => string

  constructor(tables: readonly TableIR[], dialect: SqlDialect) {
    this.byName = new Map(tables.map((t) => [t.name, t]))
    this.dialect = dialect
    this.q = dialect.quoteIdent
  }

  table(name: string): TableIR {
    const table = this.byName.get(name)
    if (!table) throw internal(`unknown table "${name}".`)
    return table
  }

  private alias(): string {
    this.aliasCount += 1
    return `p${this.aliasCount}`
  }

  private literal(value: PolicyLiteral): Chunk {
    return { param: { kind: 'value', value: typeof value === 'boolean' ? this.dialect.boolParam(value) : value } }
  }

  private get true(): string {
    return this.dialect.literal(true)
  }

  private coalesce(chunk: Chunk): Chunk[] {
    return sql`COALESCE(${chunk}, ${this.dialect.literal(false)})`
  }

  expr(expr: PolicyExprIR, scopes: readonly Scope[]): Chunk {
    switch (expr.kind) {
      case 'constant':
        return this.dialect.literal(expr.value)
      case 'compare':
        return this.atom([expr.left, expr.right], scopes, ([left, right]) => sql`${left!} ${expr.operator} ${right!}`)
      case 'isNull':
        return this.atom([expr.value], scopes, ([value]) => sql`${value!} IS ${expr.negated ? 'NOT ' : ''}NULL`)
      case 'in': {
        // A column's affinity would make SQLite convert an item of the other kind before
        // comparing ('1' IN an int column matches 1), but a number never equals a text (as in
        // `['1', 2].includes(task.priority)`): such items are left out.
        const kind = this.storageOf(expr.value, scopes)
        const list = kind === undefined ? expr.list : expr.list.filter((v) => (typeof v === 'string' ? 'text' : 'number') === kind)
        // An empty list admits nothing; `x IN ()` is not SQL.
        if (list.length === 0) return this.dialect.literal(false)
        return this.atom([expr.value], scopes, ([value]) => sql`${value!} IN (${join(list.map((v) => this.literal(v)), ', ')})`)
      }
      case 'hasRole': {
        const [before, between, after] = this.dialect.rolesContain(this.alias())
        return sql`${before}${{ param: { kind: 'authRoles' } }}${between}${this.literal(expr.role)}${after}`
      }
      case 'hasConsent': {
        // A subquery on the caller's id, not a fact slot of its own: every caller of the data
        // layer (realtime's many actors included) binds the user id already (decision 128).
        const a = this.dialect.quoteIdent(this.alias())
        return sql`EXISTS (SELECT 1 FROM ${this.dialect.quoteIdent(CONSENT_STATE_TABLE)} ${a} WHERE ${a}."userId" = ${{ param: { kind: 'authUserId' } }} AND ${a}."purpose" = ${this.literal(expr.purpose)} AND ${a}."granted" = ${this.true} AND ${a}."version" >= ${this.literal(expr.version)})`
      }
      case 'truthy':
        // Bools are stored 0/1; `= 1` keeps NULL false and an index usable.
        return this.atom([expr.value], scopes, ([value]) => sql`${value!} = ${this.true}`)
      case 'not':
        return sql`NOT ${this.coalesce(this.expr(expr.expr, scopes))}`
      case 'and':
        return this.junction(expr.exprs, 'AND', this.true, scopes)
      case 'or':
        return this.junction(expr.exprs, 'OR', this.dialect.literal(false), scopes)
      case 'conditional': {
        // CASE WHEN treats a NULL test as false, which is the null rule already.
        const test = this.expr(expr.test, scopes)
        const then = this.expr(expr.then, scopes)
        const otherwise = this.expr(expr.otherwise, scopes)
        return sql`(CASE WHEN ${test} THEN ${then} ELSE ${otherwise} END)`
      }
      case 'some':
      case 'every':
        return this.quantifier(expr, scopes)
      case 'referencedBy':
        return this.referencedBy(expr, scopes)
      default:
        return assertNever(expr, 'policy expression')
    }
  }

  private junction(exprs: readonly PolicyExprIR[], op: 'AND' | 'OR', empty: string, scopes: readonly Scope[]): Chunk {
    if (exprs.length === 0) return empty
    if (exprs.length === 1) return this.expr(exprs[0]!, scopes)
    return sql`(${join(exprs.map((e) => this.expr(e, scopes)), ` ${op} `)})`
  }

  private relation(table: TableIR, name: string, kind: RelationIR['kind']): RelationIR {
    const relation = table.relations.find((r) => r.name === name)
    if (!relation || relation.kind !== kind) throw internal(`table "${table.name}" has no ${kind} relation "${name}".`)
    return relation
  }

  private column(table: TableIR, name: string): string {
    if (!table.columns.some((c) => c.name === name)) throw internal(`table "${table.name}" has no column "${name}".`)
    return this.q(name)
  }

  /** The parents along `path` from `scope`, one hop per relation, with their join conditions. */
  private hops(scope: Scope, path: readonly string[]): Hop[] {
    const hops: Hop[] = []
    let from = scope
    for (const name of path) {
      const relation = this.relation(from.table, name, 'belongsTo')
      const alias = this.alias()
      const table = this.table(relation.table)
      hops.push({ alias, table, link: `${this.q(alias)}.${this.q('id')} = ${this.q(from.alias)}.${this.column(from.table, relation.column)}` })
      from = { alias, table }
    }
    return hops
  }

  private from(hops: readonly (Hop | Scope)[]): string {
    return hops.map((hop) => `${this.q(hop.table.name)} ${this.q(hop.alias)}`).join(', ')
  }

  /**
   * A comparison or test over values. Values reached through belongs-to paths are read inside
   * one EXISTS that joins their parents (shared prefixes joined once), so a missing parent makes
   * the whole test false rather than a NULL that `IS NULL` would accept.
   */
  private atom(values: readonly PolicyValueIR[], scopes: readonly Scope[], print: (values: Chunk[]) => Chunk): Chunk {
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
    const printed = values.map((value): Chunk => {
      switch (value.kind) {
        case 'column': {
          const at = reach(value.scope, value.path)
          return `${this.q(at.alias)}.${this.column(at.table, value.column)}`
        }
        case 'literal':
          return this.literal(value.value)
        case 'authUserId':
          return { param: { kind: 'authUserId' } }
        default:
          return assertNever(value, 'policy value')
      }
    })
    const test = print(printed)
    if (hops.length === 0) return test
    return sql`EXISTS (SELECT 1 FROM ${this.from(hops)} WHERE ${hops.map((hop) => hop.link).join(' AND ')} AND ${test})`
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
    if (!scope) throw internal(`scope ${index} is not open here.`)
    return scope
  }

  /** `EXISTS` a row of the referencing table, admitted by its own read policy, that holds this row's id. */
  private referencedBy(expr: Extract<PolicyExprIR, { kind: 'referencedBy' }>, scopes: readonly Scope[]): Chunk {
    const self = this.scope(scopes, 0)
    const row: Scope = { alias: this.alias(), table: this.table(expr.table) }
    const column = `${this.q(row.alias)}.${this.column(row.table, expr.column)}`
    const id = `${this.q(self.alias)}.${this.q('id')}`
    const predicate = this.expr(expr.predicate, [row])
    const admitted = predicate === this.true ? [] : [predicate]
    if (!expr.many) return sql`EXISTS (SELECT 1 FROM ${this.from([row])} WHERE ${join([`${column} = ${id}`, ...admitted], ' AND ')})`
    const each = this.q(this.alias())
    return sql`EXISTS (SELECT 1 FROM ${this.from([row])}, json_each(${column}) ${each} WHERE ${join([`${each}."value" = ${id}`, ...admitted], ' AND ')})`
  }

  private quantifier(expr: Extract<PolicyExprIR, { kind: 'some' | 'every' }>, scopes: readonly Scope[]): Chunk {
    const start = this.scope(scopes, expr.scope)
    const parents = expr.path.length === 0 ? [] : this.hops(start, expr.kind === 'some' ? expr.path.slice(0, -1) : expr.path)
    const last: Scope = parents.at(-1) ?? start
    // `.some` through a path skips its last parent: the children's key equals the foreign key
    // that points at it, and a null key joins nothing.
    const skipped = expr.kind === 'some' && expr.path.length > 0 ? this.relation(last.table, expr.path.at(-1)!, 'belongsTo') : undefined
    const parentTable = skipped ? this.table(skipped.table) : last.table
    const parentKey = `${this.q(last.alias)}.${skipped ? this.column(last.table, skipped.column) : this.q('id')}`
    const relation = this.relation(parentTable, expr.relation, 'hasMany')
    const child: Scope = { alias: this.alias(), table: this.table(relation.table) }
    const childLink = `${this.q(child.alias)}.${this.column(child.table, relation.column)} = ${parentKey}`
    const predicate = this.expr(expr.predicate, [...scopes, child])
    if (expr.kind === 'some') {
      // A predicate that is the constant true adds nothing to the WHERE.
      const where: Chunk[] = [...parents.map((hop) => hop.link), childLink, ...(predicate === this.true ? [] : [predicate])]
      return sql`EXISTS (SELECT 1 FROM ${this.from([...parents, child])} WHERE ${join(where, ' AND ')})`
    }
    const none = sql`NOT EXISTS (SELECT 1 FROM ${this.from([child])} WHERE ${childLink} AND NOT ${this.coalesce(predicate)})`
    if (parents.length === 0) return none
    return sql`EXISTS (SELECT 1 FROM ${this.from(parents)} WHERE ${parents.map((hop) => hop.link).join(' AND ')} AND ${none})`
  }
}
