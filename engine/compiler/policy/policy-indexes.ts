import { assertNever } from '../../shared/assert-never.ts'
import type { PolicyExprIR, PolicyPredicateIR, PolicyValueIR, TableIR, TablePoliciesIR } from '../../ir/project-ir.ts'

export interface PolicyIndexWarning {
  readonly message: string
  readonly hint: string
  readonly at: { readonly file: string; readonly line: number; readonly column: number }
}

/**
 * Warn about policies that would scan: a `.some/.every` joins the related table on its foreign
 * key, and an equality test on the policy table's own column (`task.ownerId === auth.userId`)
 * filters every list. Either column needs an index whose leading column it is (`id` is the
 * primary key). Parent hops are primary-key lookups and need nothing; a filter on a related row
 * is applied after the join has narrowed it, so only the join column is asked for there.
 *
 * One warning per (policy, table, column), in policy order; the hint is the index to add.
 */
export function checkPolicyIndexes(policies: readonly TablePoliciesIR[], tables: readonly TableIR[]): PolicyIndexWarning[] {
  const byName = new Map(tables.map((t) => [t.name, t]))
  const warnings: PolicyIndexWarning[] = []
  for (const table of policies) {
    const named: [string, PolicyPredicateIR | null][] = [
      ['read', table.read],
      ['create', table.create],
      ['update', table.update?.using ?? null],
      ['update check', table.update && table.update.check !== table.update.using && JSON.stringify(table.update.check.expr) !== JSON.stringify(table.update.using.expr) ? table.update.check : null],
      ['delete', table.delete],
    ]
    for (const [operation, predicate] of named) {
      if (!predicate) continue
      const seen = new Set<string>()
      for (const use of columnUses(predicate.expr, table.table, byName)) {
        const key = `${use.table}.${use.column}`
        if (seen.has(key) || use.column === 'id') continue
        seen.add(key)
        const target = byName.get(use.table)
        if (!target || target.indexes.some((index) => index.columns[0] === use.column)) continue
        warnings.push({
          message: `The ${operation} policy of table "${table.table}" ${use.how} "${use.table}"."${use.column}", which has no index: every check scans "${use.table}".`,
          hint: `Add an index on ${use.table}.${use.column} (\`.index()\` on the column): CREATE INDEX "${use.table}_${use.column}_idx" ON "${use.table}" ("${use.column}");`,
          at: predicate.at,
        })
      }
    }
  }
  return warnings
}

interface ColumnUse {
  readonly table: string
  readonly column: string
  readonly how: 'joins on' | 'filters on'
}

function columnUses(expr: PolicyExprIR, table: string, byName: ReadonlyMap<string, TableIR>): ColumnUse[] {
  const uses: ColumnUse[] = []
  /** `scopes[i]`: the table of scope i. */
  const visit = (e: PolicyExprIR, scopes: readonly string[]): void => {
    switch (e.kind) {
      case 'constant':
      case 'hasRole':
      case 'hasConsent':
      case 'isNull':
      case 'truthy':
        return
      case 'compare': {
        if (e.operator !== '=') return
        const own = ownColumn(e.left) ?? ownColumn(e.right)
        const other = ownColumn(e.left) ? e.right : e.left
        if (own && other.kind !== 'column') uses.push({ table, column: own, how: 'filters on' })
        return
      }
      case 'in': {
        const own = ownColumn(e.value)
        if (own) uses.push({ table, column: own, how: 'filters on' })
        return
      }
      case 'not':
        return visit(e.expr, scopes)
      case 'and':
      case 'or':
        return e.exprs.forEach((x) => visit(x, scopes))
      case 'conditional':
        return [e.test, e.then, e.otherwise].forEach((x) => visit(x, scopes))
      case 'some':
      case 'every': {
        let at = byName.get(scopes[e.scope] ?? '')
        for (const name of e.path) {
          const relation = at?.relations.find((r) => r.name === name)
          at = relation ? byName.get(relation.table) : undefined
        }
        const relation = at?.relations.find((r) => r.name === e.relation && r.kind === 'hasMany')
        if (!relation) return
        uses.push({ table: relation.table, column: relation.column, how: 'joins on' })
        return visit(e.predicate, [...scopes, relation.table])
      }
      case 'referencedBy':
        // Made by the runtime for files on rows, never compiled from a user's policy.
        return
      default:
        return assertNever(e, 'policy expression')
    }
  }
  visit(expr, [table])
  return uses
}

/** A column of the policy's own row (scope 0, no path): the one a list filters by. */
function ownColumn(value: PolicyValueIR): string | undefined {
  switch (value.kind) {
    case 'column':
      return value.scope === 0 && value.path.length === 0 ? value.column : undefined
    case 'literal':
    case 'authUserId':
      return undefined
    default:
      return assertNever(value, 'policy value')
  }
}
