import { assertNever } from '../../shared/assert-never.ts'
import type { KoyaErrorCode, SourceLocation } from '../../shared/errors.ts'
import type { ColumnType, CompareOperator, PolicyExprIR, PolicyLiteral, PolicyValueIR, TableIR } from '../../ir/project-ir.ts'
import { DO_NOT_SELL_PURPOSE } from '../../dsl/compliance.ts'
import { SUPPORTED_POLICY_FORMS, type PolicyArrowSyntax, type PolicyCompareOperator, type PolicySyntaxNode } from './policy-syntax.ts'

/** What a policy expression is resolved against. */
export interface PolicyContext {
  readonly tables: readonly TableIR[]
  readonly roles: readonly string[]
  /** The declared consent purposes (`defineConfig({ consents })`); `doNotSell` is always one. */
  readonly consents?: readonly { readonly name: string; readonly version: number }[]
  report(code: KoyaErrorCode, message: string, at: SourceLocation, hint?: string): void
}

/** A name in scope: the policy's row, a `.some/.every` variable, or auth. */
type Binding = { readonly kind: 'row'; readonly scope: number; readonly table: TableIR } | { readonly kind: 'auth' }

/** What an operand of a comparison, `.includes` or `.some` resolves to. */
type Operand =
  /** A row: the policy's, a some/every variable, or one reached through belongs-to relations. */
  | {
      readonly kind: 'row'
      readonly scope: number
      readonly path: readonly string[]
      readonly table: TableIR
      /** For a row reached through a relation: the ref column that points at it (`x === null` tests it). */
      readonly ref: PolicyValueIR | null
    }
  | { readonly kind: 'many'; readonly scope: number; readonly path: readonly string[]; readonly relation: string; readonly table: TableIR }
  | { readonly kind: 'value'; readonly value: PolicyValueIR; readonly bool: boolean; readonly type?: ColumnType }
  | { readonly kind: 'null' }
  | { readonly kind: 'auth' }
  | { readonly kind: 'roles' }
  | { readonly kind: 'consents' }
  | { readonly kind: 'list'; readonly values: readonly PolicyLiteral[] }

const COMPARE_OPERATORS: Record<PolicyCompareOperator, CompareOperator> = { '===': '=', '!==': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' }

/**
 * Resolve a predicate's syntax tree against the tables into a PolicyExprIR: parameters become
 * scopes, member chains become columns reached through belongs-to paths, `.some/.every` open a
 * scope over a has-many relation. Every problem is reported; the result is undefined when there
 * was one.
 */
export function buildPolicyExpr(arrow: PolicyArrowSyntax, table: string, context: PolicyContext): PolicyExprIR | undefined {
  const builder = new ExprBuilder(context)
  const rowTable = builder.tables.get(table)
  if (rowTable === undefined) throw new RangeError(`buildPolicyExpr: no table "${table}"`)
  const env = new Map<string, Binding>()
  if (arrow.row !== null) env.set(arrow.row, { kind: 'row', scope: 0, table: rowTable })
  if (arrow.auth !== null) env.set(arrow.auth, { kind: 'auth' })
  const expr = builder.condition(arrow.body, env, 0)
  return builder.failed ? undefined : expr
}

class ExprBuilder {
  readonly tables: ReadonlyMap<string, TableIR>
  readonly #roles: ReadonlySet<string>
  readonly context: PolicyContext
  failed = false

  constructor(context: PolicyContext) {
    this.context = context
    this.tables = new Map(context.tables.map((t) => [t.name, t]))
    this.#roles = new Set(['admin', ...context.roles])
  }

  report(code: KoyaErrorCode, message: string, at: SourceLocation, hint?: string): undefined {
    this.failed = true
    this.context.report(code, message, at, hint)
    return undefined
  }

  unsupported(what: string, at: SourceLocation, hint: string = SUPPORTED_POLICY_FORMS): undefined {
    return this.report('KL_POLICY_UNSUPPORTED', `${what} is not supported in a policy.`, at, hint)
  }

  /** A node in a boolean position. */
  condition(node: PolicySyntaxNode, env: ReadonlyMap<string, Binding>, depth: number): PolicyExprIR | undefined {
    switch (node.kind) {
      case 'literal':
        if (typeof node.value === 'boolean') return { kind: 'constant', value: node.value }
        return this.unsupported(`The ${node.value === null ? 'null' : typeof node.value} literal ${JSON.stringify(node.value)} as a condition`, node.at, 'Compare it with something: row.col === value.')
      case 'identifier':
      case 'member': {
        const operand = this.operand(node, env, depth)
        if (operand === undefined) return undefined
        if (operand.kind === 'value' && operand.bool) return { kind: 'truthy', value: operand.value }
        return this.unsupported(`${capitalize(describeOperand(operand))} used as a condition`, node.at, 'Only a bool column is a condition by itself; compare other values: x !== null, x === \'value\'.')
      }
      case 'call':
        return this.call(node, env, depth)
      case 'compare':
        return this.compare(node, env, depth)
      case 'logical': {
        const left = this.condition(node.left, env, depth)
        const right = this.condition(node.right, env, depth)
        if (left === undefined || right === undefined) return undefined
        const kind = node.operator === '&&' ? 'and' : 'or'
        // `a && b && c` parses as `(a && b) && c`: one flat list, as written.
        const flat = (expr: PolicyExprIR): readonly PolicyExprIR[] => (expr.kind === kind ? expr.exprs : [expr])
        return { kind, exprs: [...flat(left), ...flat(right)] }
      }
      case 'not': {
        const operand = this.condition(node.operand, env, depth)
        return operand === undefined ? undefined : { kind: 'not', expr: operand }
      }
      case 'conditional': {
        const test = this.condition(node.test, env, depth)
        const then = this.condition(node.then, env, depth)
        const otherwise = this.condition(node.otherwise, env, depth)
        if (test === undefined || then === undefined || otherwise === undefined) return undefined
        return { kind: 'conditional', test, then, otherwise }
      }
      case 'array':
        return this.unsupported('An array as a condition', node.at, "Test membership: ['a', 'b'].includes(row.col).")
      case 'arrow':
        return this.unsupported('A function here', node.at)
      case 'invalid':
        this.failed = true
        return undefined
      default:
        return assertNever(node, 'policy syntax node')
    }
  }

  /** A node in a value position: a row, a relation, a column value, a literal, auth… */
  operand(node: PolicySyntaxNode, env: ReadonlyMap<string, Binding>, depth: number): Operand | undefined {
    switch (node.kind) {
      case 'literal':
        return node.value === null ? { kind: 'null' } : { kind: 'value', value: { kind: 'literal', value: node.value }, bool: typeof node.value === 'boolean' }
      case 'identifier': {
        const binding = env.get(node.name)
        if (binding === undefined) {
          if (node.name === 'undefined') return this.unsupported('undefined', node.at, 'Test for a missing value with === null.')
          return this.report(
            'KL_POLICY_UNSUPPORTED',
            `"${node.name}" is not a parameter of this policy: a policy cannot read variables from outside it (closures, imports, globals such as Date).`,
            node.at,
            'Use only the row, auth and the .some()/.every() parameters, and write constants as literals: a policy is compiled to SQL, where outer variables do not exist.',
          )
        }
        return binding.kind === 'auth' ? { kind: 'auth' } : { kind: 'row', scope: binding.scope, path: [], table: binding.table, ref: null }
      }
      case 'member':
        return this.member(node, env, depth)
      case 'array': {
        const values: PolicyLiteral[] = []
        let ok = true
        for (const element of node.elements) {
          if (element.kind === 'literal' && element.value !== null) values.push(element.value)
          else if (element.kind === 'invalid') ok = false
          else ok = this.unsupported('An array element that is not a string, number or boolean literal', element.at, "List literals only: ['todo', 'doing'].includes(task.status).") ?? false
        }
        if (!ok) this.failed = true
        return ok ? { kind: 'list', values } : undefined
      }
      case 'call':
      case 'compare':
      case 'logical':
      case 'not':
      case 'conditional':
        return this.unsupported('A condition used as a value', node.at, 'Combine conditions with && and ||, not by comparing them.')
      case 'arrow':
        return this.unsupported('A function here', node.at)
      case 'invalid':
        this.failed = true
        return undefined
      default:
        return assertNever(node, 'policy syntax node')
    }
  }

  member(node: Extract<PolicySyntaxNode, { kind: 'member' }>, env: ReadonlyMap<string, Binding>, depth: number): Operand | undefined {
    const object = this.operand(node.object, env, depth)
    if (object === undefined) return undefined
    switch (object.kind) {
      case 'row': {
        const column = object.table.columns.find((c) => c.name === node.name)
        if (column !== undefined) {
          return { kind: 'value', value: { kind: 'column', scope: object.scope, path: object.path, column: column.name }, bool: column.type === 'bool', type: column.type }
        }
        const relation = object.table.relations.find((r) => r.name === node.name)
        const target = relation === undefined ? undefined : this.tables.get(relation.table)
        if (relation === undefined || target === undefined) {
          const { columns, relations } = { columns: object.table.columns.map((c) => c.name), relations: object.table.relations.map((r) => r.name) }
          return this.report(
            'KL_POLICY_UNKNOWN_COLUMN',
            `Table "${object.table.name}" has no column or relation "${node.name}".`,
            node.nameAt,
            `Columns: ${columns.join(', ')}${relations.length > 0 ? `; relations: ${relations.join(', ')}` : ''}.`,
          )
        }
        switch (relation.kind) {
          case 'belongsTo':
            return {
              kind: 'row',
              scope: object.scope,
              path: [...object.path, relation.name],
              table: target,
              ref: { kind: 'column', scope: object.scope, path: object.path, column: relation.column },
            }
          case 'hasMany':
            return { kind: 'many', scope: object.scope, path: object.path, relation: relation.name, table: target }
          default:
            return assertNever(relation, 'relation')
        }
      }
      case 'auth':
        if (node.name === 'userId') return { kind: 'value', value: { kind: 'authUserId' }, bool: false }
        if (node.name === 'roles') return { kind: 'roles' }
        if (node.name === 'consents') return { kind: 'consents' }
        return this.unsupported(`auth.${node.name}`, node.nameAt, 'auth has userId (string | null), roles and consents: auth.userId, auth.roles.includes(\'admin\'), auth.consents.includes(\'marketing\').')
      case 'many':
      case 'value':
      case 'null':
      case 'roles':
      case 'consents':
      case 'list':
        return this.unsupported(`Reading .${node.name} of ${describeOperand(object)}`, node.nameAt)
      default:
        return assertNever(object, 'policy operand')
    }
  }

  compare(node: Extract<PolicySyntaxNode, { kind: 'compare' }>, env: ReadonlyMap<string, Binding>, depth: number): PolicyExprIR | undefined {
    const left = this.operand(node.left, env, depth)
    const right = this.operand(node.right, env, depth)
    if (left === undefined || right === undefined) return undefined
    if (left.kind === 'null' || right.kind === 'null') {
      const other = left.kind === 'null' ? right : left
      if (node.operator !== '===' && node.operator !== '!==') {
        return this.unsupported(`Comparing with null using ${node.operator}`, node.at, 'Test null with === null or !== null; comparisons with a null side are false.')
      }
      const negated = node.operator === '!=='
      if (other.kind === 'value') return { kind: 'isNull', value: other.value, negated }
      if (other.kind === 'row' && other.ref !== null) return { kind: 'isNull', value: other.ref, negated }
      return this.unsupported(`Comparing ${describeOperand(other)} with null`, node.at, 'Test a column or a belongs-to relation: row.col === null, task.assignee === null.')
    }
    if (left.kind === 'value' && right.kind === 'value') {
      const mismatch = literalMismatch(left, right) ?? literalMismatch(right, left)
      if (mismatch !== undefined) return this.unsupported(mismatch, node.at, 'Compare a column with a literal of its own type: SQLite would convert one to the other, which JavaScript never does.')
      return { kind: 'compare', operator: COMPARE_OPERATORS[node.operator], left: left.value, right: right.value }
    }
    const wrong = left.kind === 'value' ? right : left
    const hint = wrong.kind === 'row' ? 'Compare rows by their ids: a.id === b.id (or the ref column, task.projectId === project.id).' : SUPPORTED_POLICY_FORMS
    return this.unsupported(`Comparing ${describeOperand(wrong)}`, node.at, hint)
  }

  call(node: Extract<PolicySyntaxNode, { kind: 'call' }>, env: ReadonlyMap<string, Binding>, depth: number): PolicyExprIR | undefined {
    const object = this.operand(node.object, env, depth)
    const [argument] = node.args
    if (object === undefined || argument === undefined) {
      this.failed = true
      return undefined
    }
    switch (node.method) {
      case 'includes':
        return this.includes(object, argument, node.at, env, depth)
      case 'some':
      case 'every': {
        if (object.kind !== 'many') {
          return this.unsupported(`.${node.method}() over ${describeOperand(object)}`, node.at, `.${node.method}() works over a has-many relation: workspace.members.${node.method}((m) => m.userId === auth.userId).`)
        }
        if (argument.kind !== 'arrow') {
          this.failed = true
          return undefined
        }
        const inner = new Map(env)
        inner.set(argument.param, { kind: 'row', scope: depth + 1, table: object.table })
        const predicate = this.condition(argument.body, inner, depth + 1)
        if (predicate === undefined) return undefined
        return { kind: node.method, scope: object.scope, path: object.path, relation: object.relation, predicate }
      }
      default:
        return assertNever(node.method, 'policy method')
    }
  }

  includes(object: Operand, argument: PolicySyntaxNode, at: SourceLocation, env: ReadonlyMap<string, Binding>, depth: number): PolicyExprIR | undefined {
    if (object.kind === 'roles') {
      if (argument.kind !== 'literal' || typeof argument.value !== 'string') {
        if (argument.kind === 'invalid') return this.report('KL_POLICY_UNSUPPORTED', 'Unsupported role expression.', argument.at)
        return this.unsupported('auth.roles.includes() with something other than a string literal', argument.at, "Name the role literally: auth.roles.includes('admin').")
      }
      if (!this.#roles.has(argument.value)) {
        return this.report('KL_POLICY_UNKNOWN_ROLE', `The role "${argument.value}" is not declared.`, argument.at, `Declared roles: ${[...this.#roles].sort().join(', ')}; declare it in defineConfig({ roles: [...] }) or fix the spelling.`)
      }
      return { kind: 'hasRole', role: argument.value }
    }
    if (object.kind === 'consents') {
      const purposes = [{ name: DO_NOT_SELL_PURPOSE, version: 1 }, ...(this.context.consents ?? [])]
      if (argument.kind !== 'literal' || typeof argument.value !== 'string') {
        return this.unsupported('auth.consents.includes() with something other than a string literal', argument.at, "Name the purpose literally: auth.consents.includes('marketing').")
      }
      const purpose = purposes.find((p) => p.name === argument.value)
      if (purpose === undefined) {
        return this.report('KL_POLICY_UNKNOWN_CONSENT', `The consent purpose "${argument.value}" is not declared.`, argument.at, `Declared purposes: ${purposes.map((p) => p.name).sort().join(', ')}; declare it in defineConfig({ consents: { … } }) or fix the spelling.`)
      }
      return { kind: 'hasConsent', purpose: purpose.name, version: purpose.version }
    }
    if (object.kind === 'list') {
      const value = this.operand(argument, env, depth)
      if (value === undefined) return undefined
      if (value.kind !== 'value') return this.unsupported(`Testing whether a list includes ${describeOperand(value)}`, argument.at, "Test a column: ['todo', 'doing'].includes(task.status).")
      const expected = value.type === undefined ? undefined : LITERAL_KIND[value.type]
      const stranger = expected === undefined ? undefined : object.values.find((item) => typeof item !== expected)
      if (stranger !== undefined) {
        return this.unsupported(`Testing a ${value.type} column against ${JSON.stringify(stranger)}`, at, 'List literals of the column\'s own type: SQLite would convert one to the other, which JavaScript never does.')
      }
      return { kind: 'in', value: value.value, list: object.values }
    }
    return this.unsupported(`.includes() on ${describeOperand(object)}`, at, "Use .includes() on auth.roles or on an array literal: ['a', 'b'].includes(row.col).")
  }
}

/** The kind of literal each column type compares with (json: any, so not checked). */
const LITERAL_KIND: Record<ColumnType, 'string' | 'number' | 'boolean' | undefined> = {
  id: 'string',
  text: 'string',
  enum: 'string',
  ref: 'string',
  timestamp: 'string',
  date: 'string',
  createdAt: 'string',
  updatedAt: 'string',
  int: 'number',
  real: 'number',
  bool: 'boolean',
  json: undefined,
}

/** A column compared with a literal of another kind (reachable only past the type checker). */
function literalMismatch(column: Extract<Operand, { kind: 'value' }>, other: Extract<Operand, { kind: 'value' }>): string | undefined {
  if (column.type === undefined || other.value.kind !== 'literal') return undefined
  const expected = LITERAL_KIND[column.type]
  if (expected === undefined || typeof other.value.value === expected) return undefined
  return `Comparing a ${column.type} column with ${JSON.stringify(other.value.value)}`
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

function describeOperand(operand: Operand): string {
  switch (operand.kind) {
    case 'row':
      return operand.path.length === 0 ? `a whole row of "${operand.table.name}"` : `the relation "${operand.path.at(-1)}" (a row of "${operand.table.name}")`
    case 'many':
      return `the has-many relation "${operand.relation}"`
    case 'value':
      return operand.value.kind === 'column' ? `the column "${operand.value.column}"` : operand.value.kind === 'authUserId' ? 'auth.userId' : `the literal ${JSON.stringify(operand.value.value)}`
    case 'null':
      return 'null'
    case 'auth':
      return 'auth'
    case 'roles':
      return 'auth.roles'
    case 'consents':
      return 'auth.consents'
    case 'list':
      return 'an array'
    default:
      return assertNever(operand, 'policy operand')
  }
}
