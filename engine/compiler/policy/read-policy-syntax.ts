import { createRequire } from 'node:module'
import type { ts as TS } from 'ts-morph'
import type { KoyaErrorCode, SourceLocation } from '../../shared/errors.ts'
import type { PolicyOperation } from '../../ir/project-ir.ts'
import {
  SUPPORTED_POLICY_FORMS,
  type PoliciesCallSyntax,
  type PolicyArrowSyntax,
  type PolicyCompareOperator,
  type PolicyRuleSyntax,
  type PolicySourceSyntax,
  type PolicySyntaxNode,
  type PolicySyntaxProblem,
} from './policy-syntax.ts'

// TypeScript is loaded on first use, not on import: the main thread imports this module (for
// in-memory definitions) but must not pay for the compiler unless it reads a policy itself.
const require = createRequire(import.meta.url)
let loaded: typeof TS | undefined
function typescript(): typeof TS {
  loaded ??= (require('ts-morph') as typeof import('ts-morph')).ts
  return loaded
}

const OPERATIONS: readonly PolicyOperation[] = ['read', 'create', 'update', 'delete']

function compareOperator(ts: typeof TS, kind: TS.SyntaxKind): PolicyCompareOperator | undefined {
  switch (kind) {
    case ts.SyntaxKind.EqualsEqualsEqualsToken:
      return '==='
    case ts.SyntaxKind.ExclamationEqualsEqualsToken:
      return '!=='
    case ts.SyntaxKind.LessThanToken:
      return '<'
    case ts.SyntaxKind.LessThanEqualsToken:
      return '<='
    case ts.SyntaxKind.GreaterThanToken:
      return '>'
    case ts.SyntaxKind.GreaterThanEqualsToken:
      return '>='
    default:
      return undefined
  }
}

/** A source file of the definition and its path relative to the project root. */
export interface PolicySourceFile {
  readonly file: string
  readonly sourceFile: TS.SourceFile
}

/**
 * Find every `policies(schema, { … })` call whose callee is imported from 'koyalite' in the
 * definition's files, and read its rules into policy syntax trees.
 */
export function readPolicySyntax(files: readonly PolicySourceFile[]): PolicySourceSyntax {
  const calls: PoliciesCallSyntax[] = []
  const problems: PolicySyntaxProblem[] = []
  for (const file of files) {
    // Most files of a definition never mention policies: skip them without a walk.
    if (!file.sourceFile.text.includes('koyalite') || !file.sourceFile.text.includes('policies')) continue
    const reader = new Reader(file.file, file.sourceFile, problems)
    calls.push(...reader.findCalls())
  }
  return { calls, problems }
}

/**
 * Read one predicate written as source text (`(task, auth) => …`), as if it stood alone in
 * `file`: for tests, and for definitions built in memory, whose predicates exist only as
 * functions (their `toString()`).
 */
export function readPredicateSource(text: string, file: string): { arrow: PolicyArrowSyntax | null; problems: PolicySyntaxProblem[] } {
  const ts = typescript()
  const problems: PolicySyntaxProblem[] = []
  const sourceFile = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const reader = new Reader(file, sourceFile, problems)
  const syntaxError = parseErrorOf(sourceFile)
  if (syntaxError !== undefined) {
    problems.push({ code: 'KL_DEF_SYNTAX', message: `The policy does not parse: ${syntaxError.message}`, hint: undefined, at: reader.at(syntaxError.start) })
    return { arrow: null, problems }
  }
  const statement = sourceFile.statements[0]
  const expression = statement !== undefined && ts.isExpressionStatement(statement) && sourceFile.statements.length === 1 ? reader.unwrap(statement.expression) : undefined
  if (expression === undefined || !ts.isArrowFunction(expression)) {
    problems.push({ code: 'KL_POLICY_NOT_INLINE', message: 'A policy predicate must be an arrow function: (row, auth) => condition.', hint: undefined, at: reader.at(statement?.getStart(sourceFile) ?? 0) })
    return { arrow: null, problems }
  }
  return { arrow: reader.readPredicate(expression), problems }
}

/** The first syntax error TypeScript's parser found, if any (parsing alone, no program). */
function parseErrorOf(sourceFile: TS.SourceFile): { message: string; start: number } | undefined {
  const ts = typescript()
  const host: TS.CompilerHost = {
    getSourceFile: (name) => (name === sourceFile.fileName ? sourceFile : undefined),
    writeFile: () => undefined,
    getDefaultLibFileName: () => 'lib.d.ts',
    useCaseSensitiveFileNames: () => true,
    getCanonicalFileName: (name) => name,
    getCurrentDirectory: () => '/',
    getNewLine: () => '\n',
    fileExists: (name) => name === sourceFile.fileName,
    readFile: () => undefined,
  }
  const program = ts.createProgram([sourceFile.fileName], { noLib: true, noResolve: true }, host)
  const diagnostic = program.getSyntacticDiagnostics(sourceFile)[0]
  return diagnostic === undefined ? undefined : { message: ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'), start: diagnostic.start ?? 0 }
}

class Reader {
  readonly #ts = typescript()

  readonly file: string
  readonly sourceFile: TS.SourceFile
  readonly problems: PolicySyntaxProblem[]
  /** The parameters in scope: a call on any other name is a call on an outer variable or global. */
  readonly #params: string[] = []

  constructor(file: string, sourceFile: TS.SourceFile, problems: PolicySyntaxProblem[]) {
    this.file = file
    this.sourceFile = sourceFile
    this.problems = problems
  }

  at(position: number): SourceLocation {
    const { line, character } = this.sourceFile.getLineAndCharacterOfPosition(position)
    return { file: this.file, line: line + 1, column: character + 1 }
  }

  atNode(node: TS.Node): SourceLocation {
    return this.at(node.getStart(this.sourceFile))
  }

  report(code: KoyaErrorCode, message: string, node: TS.Node, hint?: string): void {
    this.problems.push({ code, message, hint, at: this.atNode(node) })
  }

  /** Type-only wrappers and parentheses change nothing at run time: `(x)`, `x!`, `x as T`, `x satisfies T`. */
  unwrap(node: TS.Expression): TS.Expression {
    const ts = this.#ts
    let current = node
    while (ts.isParenthesizedExpression(current) || ts.isNonNullExpression(current) || ts.isAsExpression(current) || ts.isSatisfiesExpression(current) || ts.isTypeAssertionExpression(current)) {
      current = current.expression
    }
    return current
  }

  findCalls(): PoliciesCallSyntax[] {
    const ts = this.#ts
    const locals = new Set<string>()
    const namespaces = new Set<string>()
    for (const statement of this.sourceFile.statements) {
      if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier) || statement.moduleSpecifier.text !== 'koyalite') continue
      const clause = statement.importClause
      if (!clause || clause.isTypeOnly || !clause.namedBindings) continue
      if (ts.isNamespaceImport(clause.namedBindings)) namespaces.add(clause.namedBindings.name.text)
      else for (const element of clause.namedBindings.elements) if (!element.isTypeOnly && (element.propertyName ?? element.name).text === 'policies') locals.add(element.name.text)
    }
    if (locals.size === 0 && namespaces.size === 0) return []
    const calls: PoliciesCallSyntax[] = []
    const visit = (node: TS.Node): void => {
      if (ts.isCallExpression(node)) {
        const callee = this.unwrap(node.expression)
        const isPolicies =
          (ts.isIdentifier(callee) && locals.has(callee.text)) ||
          (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && namespaces.has(callee.expression.text) && callee.name.text === 'policies')
        if (isPolicies) calls.push(this.readCall(node))
      }
      ts.forEachChild(node, visit)
    }
    visit(this.sourceFile)
    return calls
  }

  readCall(call: TS.CallExpression): PoliciesCallSyntax {
    const ts = this.#ts
    const at = this.atNode(call)
    const argument = call.arguments[1]
    // No rules argument is a type error TypeScript reports.
    if (argument === undefined) return { at, rules: [], partial: true }
    const rules = this.unwrap(argument)
    if (!ts.isObjectLiteralExpression(rules)) {
      this.notInline(argument, 'The rules passed to policies() are not an object literal')
      return { at, rules: [], partial: true }
    }
    const found: PolicyRuleSyntax[] = []
    let partial = false
    for (const property of rules.properties) {
      const table = this.staticName(property)
      if (table === undefined || !ts.isPropertyAssignment(property)) {
        this.notInline(property, 'A table\'s rules are not written inline')
        partial = true
        continue
      }
      const tableRules = this.unwrap(property.initializer)
      if (!ts.isObjectLiteralExpression(tableRules)) {
        this.notInline(property.initializer, `The rules of table "${table}" are not an object literal`)
        partial = true
        continue
      }
      const tableAt = this.atNode(property.name)
      for (const operationProperty of tableRules.properties) {
        const operation = this.staticName(operationProperty)
        if (operation === undefined || ts.isShorthandPropertyAssignment(operationProperty)) {
          this.notInline(operationProperty, `A rule of table "${table}" is not written inline`)
          partial = true
          continue
        }
        // An unknown operation is a type error, and the config's validation names it.
        if (!(OPERATIONS as readonly string[]).includes(operation)) continue
        const rule = this.readRule(table, operation as PolicyOperation, operationProperty)
        found.push({ table, tableAt, operation: operation as PolicyOperation, at: this.atNode(operationProperty.name ?? operationProperty), rule })
      }
    }
    return { at, rules: found, partial }
  }

  /** A property's name when it is written literally (`tasks`, `'tasks'`), else undefined. */
  staticName(property: TS.ObjectLiteralElementLike): string | undefined {
    const ts = this.#ts
    if (!ts.isPropertyAssignment(property) && !ts.isMethodDeclaration(property) && !ts.isShorthandPropertyAssignment(property)) return undefined
    const name = property.name
    if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) || ts.isNoSubstitutionTemplateLiteral(name)) return name.text
    return undefined
  }

  notInline(node: TS.Node, what: string): void {
    this.report('KL_POLICY_NOT_INLINE', `${what}: the compiler reads policies from their source, so it cannot see rules built elsewhere.`, node, 'Write the rules inline in the policies() call: policies(schema, { tasks: { read: (task, auth) => … } }).')
  }

  readRule(table: string, operation: PolicyOperation, property: TS.ObjectLiteralElementLike): PolicyRuleSyntax['rule'] {
    const ts = this.#ts
    const name = `${table}.${operation}`
    if (ts.isMethodDeclaration(property)) {
      this.unsupported(property, `The rule ${name} is a method with a block body`, 'Write it as an arrow with an expression body: read: (row, auth) => condition.')
      return { kind: 'predicate', predicate: null }
    }
    const value = this.unwrap((property as TS.PropertyAssignment).initializer)
    if (operation === 'update' && ts.isObjectLiteralExpression(value)) {
      const part = (key: 'using' | 'check'): PolicyArrowSyntax | null => {
        const found = value.properties.find((p) => this.staticName(p) === key)
        // A missing part is a type error TypeScript reports.
        if (found === undefined) return null
        if (ts.isShorthandPropertyAssignment(found)) {
          this.notInline(found, `The rule ${name}.${key} is not an arrow written inline`)
          return null
        }
        if (!ts.isPropertyAssignment(found)) {
          this.unsupported(found, `The rule ${name}.${key} is a method with a block body`, 'Write it as an arrow with an expression body: using: (row, auth) => condition.')
          return null
        }
        return this.readRuleValue(`${name}.${key}`, found.initializer)
      }
      return { kind: 'usingCheck', using: part('using'), check: part('check') }
    }
    return { kind: 'predicate', predicate: this.readRuleValue(name, (property as TS.PropertyAssignment).initializer) }
  }

  readRuleValue(name: string, initializer: TS.Expression): PolicyArrowSyntax | null {
    const ts = this.#ts
    const value = this.unwrap(initializer)
    if (ts.isArrowFunction(value)) return this.readPredicate(value)
    if (ts.isFunctionExpression(value)) {
      this.unsupported(value, `The rule ${name} is a function expression`, 'Write it as an arrow with an expression body: (row, auth) => condition.')
    } else {
      this.notInline(initializer, `The rule ${name} is not an arrow written inline`)
    }
    return null
  }

  /** A rule's arrow: `(row, auth) => expression`. */
  readPredicate(arrow: TS.ArrowFunction): PolicyArrowSyntax {
    const ts = this.#ts
    const params: (string | null)[] = []
    for (const [position, param] of arrow.parameters.entries()) {
      if (position >= 2) {
        this.unsupported(param, 'A policy takes two parameters, the row and auth')
      } else if (!ts.isIdentifier(param.name) || param.initializer !== undefined || param.dotDotDotToken !== undefined) {
        this.unsupported(param, 'A destructured, defaulted or rest parameter', 'Name the parameters plainly: (task, auth) => task.createdBy === auth.userId.')
        params.push(null)
      } else {
        params.push(param.name.text)
      }
    }
    const body = this.withParams(params, () => this.readArrowBody(arrow))
    return { row: params[0] ?? null, auth: params[1] ?? null, body, source: arrow.getText(this.sourceFile), at: this.atNode(arrow) }
  }

  readArrowBody(arrow: TS.ArrowFunction): PolicySyntaxNode {
    const ts = this.#ts
    if (arrow.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) {
      return this.invalid(arrow, 'An async arrow', 'A policy is a plain condition; it cannot wait for anything.')
    }
    if (ts.isBlock(arrow.body)) {
      return this.invalid(arrow.body, 'A block body ({ … return … })', 'Write the condition as the arrow\'s expression body: (row, auth) => condition.')
    }
    return this.read(arrow.body)
  }

  withParams<T>(names: readonly (string | null)[], read: () => T): T {
    const before = this.#params.length
    this.#params.push(...names.filter((n) => n !== null))
    try {
      return read()
    } finally {
      this.#params.length = before
    }
  }

  unsupported(node: TS.Node, what: string, hint = SUPPORTED_POLICY_FORMS): void {
    this.report('KL_POLICY_UNSUPPORTED', `${what} is not supported in a policy.`, node, hint)
  }

  invalid(node: TS.Node, what: string, hint?: string): PolicySyntaxNode {
    this.unsupported(node, what, hint)
    return { kind: 'invalid', at: this.atNode(node) }
  }

  /** An expression of the policy language. */
  read(expression: TS.Expression): PolicySyntaxNode {
    const ts = this.#ts
    const node = this.unwrap(expression)
    const at = this.atNode(node)
    if (ts.isStringLiteral(node)) return { kind: 'literal', value: node.text, at }
    if (ts.isNumericLiteral(node)) return { kind: 'literal', value: numberOf(node.text), at }
    if (node.kind === ts.SyntaxKind.TrueKeyword) return { kind: 'literal', value: true, at }
    if (node.kind === ts.SyntaxKind.FalseKeyword) return { kind: 'literal', value: false, at }
    if (node.kind === ts.SyntaxKind.NullKeyword) return { kind: 'literal', value: null, at }
    if (ts.isIdentifier(node)) return { kind: 'identifier', name: node.text, at }
    if (ts.isPropertyAccessExpression(node)) {
      if (!ts.isIdentifier(node.name)) return this.invalid(node.name, 'A private field')
      return { kind: 'member', object: this.read(node.expression), name: node.name.text, nameAt: this.atNode(node.name), at }
    }
    if (ts.isCallExpression(node)) return this.readCallExpression(node)
    if (ts.isBinaryExpression(node)) return this.readBinary(node)
    if (ts.isPrefixUnaryExpression(node)) {
      if (node.operator === ts.SyntaxKind.ExclamationToken) return { kind: 'not', operand: this.read(node.operand), at }
      const operand = this.unwrap(node.operand)
      if (node.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(operand)) return { kind: 'literal', value: -numberOf(operand.text), at }
      if (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken) {
        return this.invalid(node, `An increment (${ts.tokenToString(node.operator)})`, 'A policy cannot change anything: compare values instead.')
      }
      return this.invalid(node, `Arithmetic (unary ${ts.tokenToString(node.operator)})`)
    }
    if (ts.isConditionalExpression(node)) {
      return { kind: 'conditional', test: this.read(node.condition), then: this.read(node.whenTrue), otherwise: this.read(node.whenFalse), at }
    }
    if (ts.isArrayLiteralExpression(node)) {
      return { kind: 'array', elements: node.elements.map((element) => (ts.isSpreadElement(element) ? this.invalid(element, 'A spread (...)') : this.read(element))), at }
    }
    return this.invalid(node, describe(ts, node))
  }

  readBinary(node: TS.BinaryExpression): PolicySyntaxNode {
    const ts = this.#ts
    const kind = node.operatorToken.kind
    const at = this.atNode(node.operatorToken)
    const compare = compareOperator(ts, kind)
    if (compare !== undefined) return { kind: 'compare', operator: compare, left: this.read(node.left), right: this.read(node.right), at }
    if (kind === ts.SyntaxKind.AmpersandAmpersandToken || kind === ts.SyntaxKind.BarBarToken) {
      return { kind: 'logical', operator: kind === ts.SyntaxKind.AmpersandAmpersandToken ? '&&' : '||', left: this.read(node.left), right: this.read(node.right), at }
    }
    const token = ts.tokenToString(kind) ?? node.operatorToken.getText(this.sourceFile)
    // The operands' own problems are reported too: every problem at once.
    this.read(node.left)
    this.read(node.right)
    if (kind === ts.SyntaxKind.EqualsEqualsToken || kind === ts.SyntaxKind.ExclamationEqualsToken) {
      return this.invalid(node.operatorToken, `Loose equality (${token})`, `Use ${token}= : policies compare strictly, and x === null is the null test.`)
    }
    if (kind >= ts.SyntaxKind.FirstAssignment && kind <= ts.SyntaxKind.LastAssignment) {
      return this.invalid(node.operatorToken, `An assignment (${token})`, 'A policy cannot change anything: compare with === instead.')
    }
    const arithmetic = [ts.SyntaxKind.PlusToken, ts.SyntaxKind.MinusToken, ts.SyntaxKind.AsteriskToken, ts.SyntaxKind.SlashToken, ts.SyntaxKind.PercentToken, ts.SyntaxKind.AsteriskAsteriskToken]
    if (arithmetic.includes(kind)) return this.invalid(node.operatorToken, `Arithmetic (${token})`)
    return this.invalid(node.operatorToken, `The operator ${token}`)
  }

  readCallExpression(node: TS.CallExpression): PolicySyntaxNode {
    const ts = this.#ts
    const callee = this.unwrap(node.expression)
    if (!ts.isPropertyAccessExpression(callee) || !ts.isIdentifier(callee.name)) {
      return this.invalid(node, `Calling ${callee.getText(this.sourceFile)}()`, 'A policy can call only .includes(), .some() and .every(); ' + SUPPORTED_POLICY_FORMS)
    }
    const method = callee.name.text
    const at = this.atNode(callee.name)
    if (method !== 'includes' && method !== 'some' && method !== 'every') {
      const receiver = this.unwrap(callee.expression)
      if (ts.isIdentifier(receiver) && !this.#params.includes(receiver.text)) {
        this.report(
          'KL_POLICY_UNSUPPORTED',
          `${receiver.text}.${method}() calls "${receiver.text}", which is not a parameter of this policy: a policy cannot use variables from outside it (closures, imports, globals such as Date).`,
          node,
          'A policy is compiled to SQL and sees only the row, auth and the .some()/.every() parameters; write constants as literals.',
        )
        return { kind: 'invalid', at: this.atNode(node) }
      }
      this.read(callee.expression) // its own problems, if any
      return this.invalid(callee.name, `The method .${method}()`, 'A policy can call only .includes(), .some() and .every(); ' + SUPPORTED_POLICY_FORMS)
    }
    const object = this.read(callee.expression)
    if (node.arguments.length !== 1) {
      return this.invalid(node.arguments[1] ?? callee.name, `.${method}() with ${node.arguments.length} arguments`, `Pass .${method}() exactly one argument.`)
    }
    const argument = this.unwrap(node.arguments[0]!)
    if (method === 'includes') return { kind: 'call', object, method, args: [this.read(argument)], at }
    if (!ts.isArrowFunction(argument)) {
      return this.invalid(argument, `A .${method}() callback that is not an arrow written inline`, `Write the callback inline: .${method}((m) => m.userId === auth.userId).`)
    }
    const param = argument.parameters[0]
    if (argument.parameters.length !== 1 || param === undefined || !ts.isIdentifier(param.name) || param.initializer !== undefined || param.dotDotDotToken !== undefined) {
      return this.invalid(argument, `A .${method}() callback without exactly one plain parameter`, `Write the callback with one parameter: .${method}((m) => m.userId === auth.userId).`)
    }
    const body = this.withParams([param.name.text], () => this.readArrowBody(argument))
    return { kind: 'call', object, method, args: [{ kind: 'arrow', param: param.name.text, body, at: this.atNode(argument) }], at }
  }
}

/** `1_000`, `0x10`, `1e3`: the value TypeScript would give the literal. */
function numberOf(text: string): number {
  return Number(text.replaceAll('_', ''))
}

/** What an unsupported expression is, in words. */
function describe(ts: typeof TS, node: TS.Node): string {
  if (ts.isTemplateExpression(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTaggedTemplateExpression(node)) return 'A template literal'
  if (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) return 'A function here'
  if (ts.isNewExpression(node)) return 'A new expression'
  if (ts.isObjectLiteralExpression(node)) return 'An object literal'
  if (ts.isElementAccessExpression(node)) return 'Element access (x[…])'
  if (ts.isPostfixUnaryExpression(node)) return `An increment (${ts.tokenToString(node.operator)})`
  if (ts.isTypeOfExpression(node)) return 'typeof'
  if (ts.isAwaitExpression(node)) return 'await'
  if (ts.isDeleteExpression(node)) return 'delete'
  if (ts.isVoidExpression(node)) return 'void'
  if (ts.isRegularExpressionLiteral(node)) return 'A regular expression'
  if (ts.isBigIntLiteral(node)) return 'A bigint literal'
  if (node.kind === ts.SyntaxKind.ThisKeyword) return 'this'
  return `This expression (${ts.SyntaxKind[node.kind]})`
}
