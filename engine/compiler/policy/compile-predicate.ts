import type { PoliciesDef } from '../../dsl/index.ts'
import { KoyaError, KoyaErrorList, type SourceLocation } from '../../shared/errors.ts'
import type { PolicyExprIR, PolicyOperation, ProjectIR } from '../../ir/project-ir.ts'
import { buildPolicyExpr } from './build-policy-expr.ts'
import type { PolicyArrowSyntax, PolicyRuleSyntax, PolicySourceSyntax, PolicySyntaxProblem } from './policy-syntax.ts'
import { readPredicateSource } from './read-policy-syntax.ts'

/**
 * Compile one predicate from its source text, without files: `(task, auth) => …` over the rows
 * of `table`. Loads TypeScript on the calling thread; for tests and tools.
 *
 * @throws KoyaErrorList with every KL_POLICY_* problem, located in the text (file `<policy>`).
 */
export function compilePolicyPredicate(sourceText: string, table: string, ir: Pick<ProjectIR, 'tables' | 'roles' | 'consents'>): PolicyExprIR {
  const { arrow, problems } = readPredicateSource(sourceText, '<policy>')
  const errors = problems.map(toKoyaError)
  if (!ir.tables.some((t) => t.name === table)) {
    throw new KoyaErrorList([...errors, new KoyaError('KL_POLICY_UNKNOWN_TABLE', `"${table}" is not a table.`, { at: { file: '<policy>', line: 1, column: 1 } })])
  }
  let expr: PolicyExprIR | undefined
  if (arrow !== null) {
    expr = buildPolicyExpr(arrow, table, { tables: ir.tables, roles: ir.roles, ...(ir.consents === undefined ? {} : { consents: ir.consents }), report: (code, message, at, hint) => errors.push(new KoyaError(code, message, hint === undefined ? { at } : { at, hint })) })
  }
  if (expr === undefined || errors.length > 0) throw new KoyaErrorList(errors)
  return expr
}

function toKoyaError(problem: PolicySyntaxProblem): KoyaError {
  return new KoyaError(problem.code, problem.message, problem.hint === undefined ? { at: problem.at } : { at: problem.at, hint: problem.hint })
}

/**
 * The policy syntax of a definition built in memory (no source files): each predicate is read
 * from the function itself (`toString()`, the code as the JavaScript engine holds it, so after
 * any transpilation). Locations name the rule, `<tasks.read>:line:col` within that text.
 */
export function readPolicySyntaxFromDefs(defs: readonly PoliciesDef[]): PolicySourceSyntax {
  const problems: PolicySyntaxProblem[] = []
  const rules: PolicyRuleSyntax[] = []
  const top = (file: string): SourceLocation => ({ file, line: 1, column: 1 })
  const read = (fn: unknown, file: string): PolicyArrowSyntax | null => {
    const found = readPredicateSource(String(fn), file)
    problems.push(...found.problems)
    return found.arrow
  }
  for (const def of defs) {
    for (const [table, tableRules] of Object.entries(def.rules)) {
      for (const operation of ['read', 'create', 'update', 'delete'] as const satisfies readonly PolicyOperation[]) {
        const rule = tableRules[operation]
        if (rule === undefined) continue
        const file = `<${table}.${operation}>`
        rules.push({
          table,
          tableAt: top(file),
          operation,
          at: top(file),
          rule:
            typeof rule === 'function'
              ? { kind: 'predicate', predicate: read(rule, file) }
              : { kind: 'usingCheck', using: read(rule.using, `<${table}.update.using>`), check: read(rule.check, `<${table}.update.check>`) },
        })
      }
    }
  }
  return { calls: [{ at: top('<policies>'), rules, partial: false }], problems }
}
