import type { PolicyExprIR, PolicyLiteral, PolicyValueIR, TableIR } from '../../engine/ir/project-ir.ts'
import type { Random } from './policy-random.ts'

/**
 * Print a PolicyExprIR as the TypeScript arrow a user would write for it, with the freedom the
 * policy language allows drawn at random: parameter names (callbacks may shadow an outer name
 * the body does not use), `?.` and `!` on member chains, `task.assignee === null` for a test of
 * the ref column, `null === x`, minimal or extra parentheses (so && / || / ?: / ! precedence is
 * the parser's to get right), single- or double-quoted strings.
 *
 * The property tests compile the text with compilePolicyPredicate and hold the SQL the runtime
 * runs to what the reference evaluator says of the IR printed here: that exercises the reader,
 * the builder and the SQL printer together.
 */
export function printPolicySource(random: Random, expr: PolicyExprIR, table: string, tables: readonly TableIR[]): string {
  const byName = new Map(tables.map((t) => [t.name, t]))
  const auth = random.pick(['auth', 'a', 'ctx'])
  const rowName = random.pick(['row', 'it', table.slice(0, 1), `${table.slice(0, -1)}`])
  const params = (uses: { row: boolean; auth: boolean }) => {
    if (!uses.auth && random.chance(0.5)) return `(${uses.row ? rowName : `_${rowName}`})`
    return `(${uses.row ? rowName : `_${rowName}`}, ${auth})`
  }

  interface Scope {
    readonly name: string
    readonly table: TableIR
  }

  const tableOf = (name: string) => {
    const found = byName.get(name)
    if (!found) throw new Error(`policy-source: unknown table ${name}`)
    return found
  }

  /** `name.rel1?.rel2` for a scope and a belongs-to path; the table it lands on. */
  const chain = (scopes: readonly Scope[], scope: number, path: readonly string[]): { text: string; table: TableIR } => {
    const start = scopes[scope]
    if (!start) throw new Error(`policy-source: scope ${scope} is not open`)
    let text = start.name
    let at = start.table
    for (const name of path) {
      const relation = at.relations.find((r) => r.name === name)
      if (!relation) throw new Error(`policy-source: ${at.name} has no relation ${name}`)
      text += `${dot()}${name}${random.chance(0.1) ? '!' : ''}`
      at = tableOf(relation.table)
    }
    return { text, table: at }
  }
  const dot = () => (random.chance(0.3) ? '?.' : '.')

  const literal = (value: PolicyLiteral): string => {
    if (typeof value === 'string') return random.chance(0.5) ? `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'` : JSON.stringify(value)
    return String(value)
  }

  const value = (v: PolicyValueIR, scopes: readonly Scope[]): string => {
    switch (v.kind) {
      case 'literal':
        return literal(v.value)
      case 'authUserId':
        return `${auth}.userId`
      case 'column': {
        const { text } = chain(scopes, v.scope, v.path)
        return `${text}${dot()}${v.column}`
      }
      default: {
        const never: never = v
        throw new Error(`policy-source: unknown value ${JSON.stringify(never)}`)
      }
    }
  }

  /** A null test's operand: the ref column, or (sometimes) the belongs-to relation it points along. */
  const nullOperand = (v: PolicyValueIR, scopes: readonly Scope[]): string => {
    if (v.kind === 'column' && random.chance(0.5)) {
      const { text, table: at } = chain(scopes, v.scope, v.path)
      const relation = at.relations.find((r) => r.kind === 'belongsTo' && r.column === v.column)
      if (relation) return `${text}${dot()}${relation.name}`
      return `${text}${dot()}${v.column}`
    }
    return value(v, scopes)
  }

  // Precedence: ?: 1, || 2, && 3, === !== 4, < <= > >= 5, ! 6, member/call/literal 7.
  const print = (e: PolicyExprIR, scopes: readonly Scope[], min: number): string => {
    const [text, precedence] = printed(e, scopes)
    return precedence < min || random.chance(0.08) ? `(${text})` : text
  }

  const printed = (e: PolicyExprIR, scopes: readonly Scope[]): [string, number] => {
    switch (e.kind) {
      case 'constant':
        return [String(e.value), 7]
      case 'compare': {
        const operator = e.operator === '=' ? '===' : e.operator === '<>' ? '!==' : e.operator
        return [`${value(e.left, scopes)} ${operator} ${value(e.right, scopes)}`, e.operator === '=' || e.operator === '<>' ? 4 : 5]
      }
      case 'isNull': {
        const operand = nullOperand(e.value, scopes)
        const operator = e.negated ? '!==' : '==='
        return [random.chance(0.2) ? `null ${operator} ${operand}` : `${operand} ${operator} null`, 4]
      }
      case 'in':
        return [`[${e.list.map(literal).join(', ')}].includes(${value(e.value, scopes)})`, 7]
      case 'hasRole':
        return [`${auth}.roles.includes(${literal(e.role)})`, 7]
      case 'hasConsent':
        return [`${auth}.consents.includes(${literal(e.purpose)})`, 7]
      case 'truthy':
        return [value(e.value, scopes), 7]
      case 'not':
        return [`!${print(e.expr, scopes, 6)}`, 6]
      case 'and':
      case 'or': {
        if (e.exprs.length === 0) return [e.kind === 'and' ? 'true' : 'false', 7]
        if (e.exprs.length === 1) return printed(e.exprs[0]!, scopes)
        const precedence = e.kind === 'and' ? 3 : 2
        return [e.exprs.map((x) => print(x, scopes, precedence)).join(e.kind === 'and' ? ' && ' : ' || '), precedence]
      }
      case 'conditional':
        return [`${print(e.test, scopes, 2)} ? ${print(e.then, scopes, 1)} : ${print(e.otherwise, scopes, 1)}`, 1]
      case 'some':
      case 'every': {
        const { text, table: at } = chain(scopes, e.scope, e.path)
        const relation = at.relations.find((r) => r.name === e.relation)
        if (!relation) throw new Error(`policy-source: ${at.name} has no relation ${e.relation}`)
        // The callback's name may shadow an outer scope's, but not one the body reads, nor auth.
        const used = scopesUsed(e.predicate)
        const taken = new Set([auth, ...scopes.filter((_, i) => used.has(i)).map((s) => s.name)])
        const name = random.pick(['m', 'x', 'c', 'r', 'row', 'it', rowName].filter((n) => !taken.has(n)))
        const inner = [...scopes, { name, table: tableOf(relation.table) }]
        return [`${text}${dot()}${e.relation}.${e.kind}((${name}) => ${print(e.predicate, inner, 1)})`, 7]
      }
      case 'referencedBy':
        throw new Error('policy-source: referencedBy is made by the runtime, never written in a policy')
      default: {
        const never: never = e
        throw new Error(`policy-source: unknown expression ${JSON.stringify(never)}`)
      }
    }
  }

  const root: Scope = { name: rowName, table: tableOf(table) }
  const body = print(expr, [root], 1)
  return `${params({ row: scopesUsed(expr).has(0), auth: usesAuth(expr) })} => ${body}`
}

/** The scope indexes an expression reads (its own inner scopes included). */
function scopesUsed(expr: PolicyExprIR): Set<number> {
  const used = new Set<number>()
  const value = (v: PolicyValueIR) => {
    if (v.kind === 'column') used.add(v.scope)
  }
  const walk = (e: PolicyExprIR): void => {
    switch (e.kind) {
      case 'compare':
        value(e.left)
        value(e.right)
        return
      case 'isNull':
      case 'in':
      case 'truthy':
        value(e.value)
        return
      case 'not':
        walk(e.expr)
        return
      case 'and':
      case 'or':
        e.exprs.forEach(walk)
        return
      case 'conditional':
        walk(e.test)
        walk(e.then)
        walk(e.otherwise)
        return
      case 'some':
      case 'every':
        used.add(e.scope)
        walk(e.predicate)
        return
      default:
        return
    }
  }
  walk(expr)
  return used
}

function usesAuth(expr: PolicyExprIR): boolean {
  return JSON.stringify(expr).includes('"authUserId"') || JSON.stringify(expr).includes('"hasRole"')
}
