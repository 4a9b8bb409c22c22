import type { PoliciesDef } from '../../dsl/index.ts'
import { assertNever } from '../../shared/assert-never.ts'
import { formatLocation, type SourceLocation } from '../../shared/errors.ts'
import type { PolicyOperation, ProjectIR, PolicyPredicateIR, TableIR, TablePoliciesIR } from '../../ir/project-ir.ts'
import type { Problems } from '../problems.ts'
import { buildPolicyExpr, type PolicyContext } from './build-policy-expr.ts'
import { checkPolicyIndexes } from './policy-indexes.ts'
import type { PoliciesCallSyntax, PolicyArrowSyntax, PolicyRuleSyntax, PolicySourceSyntax } from './policy-syntax.ts'

const OPERATIONS: readonly PolicyOperation[] = ['read', 'create', 'update', 'delete']

type RuleForm = PolicyRuleSyntax['rule']['kind']

/** A rule as the imported PoliciesDefs hold it: what will run, without its source. */
interface DefRule {
  readonly table: string
  readonly operation: PolicyOperation
  readonly form: RuleForm
}

/** The PoliciesDefs a config holds, each once (the same set listed twice is one set). */
export function policiesDefsOf(policies: PoliciesDef | readonly PoliciesDef[] | undefined): PoliciesDef[] {
  if (policies === undefined) return []
  return [...new Set(Array.isArray(policies) ? (policies as readonly PoliciesDef[]) : [policies as PoliciesDef])]
}

function defRulesOf(defs: readonly PoliciesDef[]): DefRule[] {
  const rules: DefRule[] = []
  for (const def of defs) {
    for (const [table, tableRules] of Object.entries(def.rules)) {
      for (const operation of OPERATIONS) {
        const rule = tableRules[operation]
        if (rule !== undefined) rules.push({ table, operation, form: typeof rule === 'function' ? 'predicate' : 'usingCheck' })
      }
    }
  }
  return rules
}

const keyOf = (table: string, operation: PolicyOperation) => `${table}.${operation}`

/**
 * Build each table's policies from the rules read in the source, checked against the
 * PoliciesDefs the config imported: the source gives each predicate's text, the import says
 * which rules exist. They must agree on the (table, operation) pairs; a rule only the import
 * has was built at run time, which the compiler cannot read. Every problem goes to `problems`;
 * unindexed columns the policies filter on are warnings.
 */
export function buildPolicies(defs: readonly PoliciesDef[], syntax: PolicySourceSyntax, tables: readonly TableIR[], roles: readonly string[], problems: Problems, consents?: ProjectIR['consents']): TablePoliciesIR[] {
  for (const problem of syntax.problems) problems.add(problem.code, problem.message, problem.at, problem.hint)
  const context: PolicyContext = { tables, roles, ...(consents === undefined ? {} : { consents }), report: (code, message, at, hint) => problems.add(code, message, at, hint) }
  const tableNames = new Set(tables.map((t) => t.name))
  const defRules = defRulesOf(defs)
  const defCount = new Map<string, number>()
  for (const rule of defRules) defCount.set(keyOf(rule.table, rule.operation), (defCount.get(keyOf(rule.table, rule.operation)) ?? 0) + 1)

  const written = new Map<string, { call: PoliciesCallSyntax; rule: PolicyRuleSyntax }[]>()
  for (const call of syntax.calls) {
    for (const rule of call.rules) {
      const key = keyOf(rule.table, rule.operation)
      written.set(key, [...(written.get(key) ?? []), { call, rule }])
    }
  }
  checkUnusedCalls(syntax.calls, defCount, problems)
  const unknownTables = new Set<string>()
  for (const call of syntax.calls) {
    for (const rule of call.rules) {
      if (!tableNames.has(rule.table) && !problems.brokenTables.has(rule.table) && !unknownTables.has(formatLocation(rule.tableAt))) {
        unknownTables.add(formatLocation(rule.tableAt))
        problems.add('KL_POLICY_UNKNOWN_TABLE', `Policies are written for "${rule.table}", which is not a table of the schema.`, rule.tableAt, `Tables: ${[...tableNames].sort().join(', ')}.`)
      }
    }
  }

  // Rules the import has but the source does not show, unless an unreadable call explains it.
  const partial = syntax.calls.some((c) => c.partial)
  for (const [key, count] of defCount) {
    if (partial || (written.get(key)?.length ?? 0) >= count) continue
    problems.add(
      'KL_POLICY_UNSUPPORTED',
      `The rule ${key} is in the policies passed to defineConfig(), but no policies() call in the definition's files writes it: a rule built at run time (in a loop, from a helper, by spreading another object) is not supported.`,
      problems.atConfig('policies'),
      'Write each rule inline in a policies(schema, { … }) call, in a file koyalite.ts imports.',
    )
  }

  const byTable = new Map<string, { -readonly [K in PolicyOperation]: TablePoliciesIR[K] }>()
  for (const [key, found] of written) {
    const [first, ...others] = found
    if (first === undefined) continue
    for (const other of others) {
      problems.add('KL_POLICY_DUPLICATE', `The rule ${key} is written twice (first at ${formatLocation(first.rule.at)}).`, other.rule.at)
    }
    const { table, operation } = first.rule
    if (!tableNames.has(table)) continue
    const def = defRules.find((r) => keyOf(r.table, r.operation) === key)
    if (def !== undefined && def.form !== first.rule.rule.kind) {
      problems.add('KL_POLICY_UNSUPPORTED', `The rule ${key} is written as ${formName(first.rule.rule.kind)}, but the policies passed to defineConfig() hold ${formName(def.form)}: it was changed at run time.`, first.rule.at, 'Write each rule inline and pass the result of policies() to defineConfig() unchanged.')
    }
    const predicate = (arrow: PolicyArrowSyntax | null): PolicyPredicateIR | null => {
      if (arrow === null) return null
      const expr = buildPolicyExpr(arrow, table, context)
      if (expr === undefined) return null
      return { source: arrow.source, at: arrow.at, expr }
    }
    const entry = byTable.get(table) ?? { read: null, create: null, update: null, delete: null }
    byTable.set(table, entry)
    const rule = first.rule.rule
    // Unused rules are compiled for their diagnostics, but only rules the config holds apply.
    const used = def !== undefined
    switch (rule.kind) {
      case 'predicate': {
        const compiled = predicate(rule.predicate)
        if (compiled === null || !used) break
        if (operation === 'update') entry.update = { using: compiled, check: compiled }
        else entry[operation] = compiled
        break
      }
      case 'usingCheck': {
        const using = predicate(rule.using)
        const check = predicate(rule.check)
        if (using !== null && check !== null && used && operation === 'update') entry.update = { using, check }
        break
      }
      default:
        assertNever(rule, 'policy rule')
    }
  }

  // `strict: true` in any policies() call of a table makes the table strict (the value is data,
  // read from the imported definition: it holds no code for the compiler to read).
  const strict = new Set(defs.flatMap((def) => Object.entries(def.rules).filter(([, rules]) => rules.strict === true).map(([table]) => table)))
  const result = [...byTable.entries()]
    .filter(([, e]) => e.read !== null || e.create !== null || e.update !== null || e.delete !== null)
    .map(([table, e]): TablePoliciesIR => ({ table, read: e.read, create: e.create, update: e.update, delete: e.delete, ...(strict.has(table) ? { strict: true } : {}) }))
    .sort((a, b) => a.table.localeCompare(b.table))
  for (const warning of checkPolicyIndexes(result, tables)) problems.warn('KL_POLICY_UNINDEXED', warning.message, warning.at, warning.hint)
  return result
}

function formName(form: RuleForm): string {
  return form === 'predicate' ? 'one predicate' : '{ using, check }'
}

/** A policies() call none of whose rules the config holds was not passed to defineConfig(). */
function checkUnusedCalls(calls: readonly PoliciesCallSyntax[], defCount: ReadonlyMap<string, number>, problems: Problems): void {
  for (const call of calls) {
    const unused = call.rules.filter((rule) => !defCount.has(keyOf(rule.table, rule.operation)))
    if (unused.length === 0) continue
    const report = (what: string, at: SourceLocation) =>
      problems.add('KL_POLICY_UNUSED', `${what} is not among the policies passed to defineConfig(), so it would not apply.`, at)
    if (unused.length === call.rules.length) report('This policies() call', call.at)
    else for (const rule of unused) report(`The rule ${keyOf(rule.table, rule.operation)}`, rule.at)
  }
}
