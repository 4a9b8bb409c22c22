import { predicateOf } from '../../ir/policy-roles.ts'
import type { PolicyExprIR, PolicyValueIR, ProjectIR, TableIR } from '../../ir/project-ir.ts'
import { assertNever } from '../../shared/assert-never.ts'
import type { Where } from '../data/query.ts'

/**
 * The tables whose rows decide what a view on `table` admits besides the table's own columns:
 * those its read policy reaches through relations (`task.project.workspace.members`), those the
 * subscription's filter reaches (`some`/`parent` filters), and, since a relation filter sees only
 * related rows the caller may read, what those tables' read policies reach in turn. A write to
 * one of them may move rows in or out of the view without touching the view's table: realtime
 * re-reads the view's ids then. The view's own table is included when its policy or filter reaches
 * other rows of it (a self-reference).
 *
 * @example
 * viewDependencies(model, 'tasks', undefined) // Set { 'projects', 'workspaces', 'members' }
 */
export function viewDependencies(model: ProjectIR, table: string, where: Where | undefined): Set<string> {
  const tables = new Map(model.tables.map((t) => [t.name, t]))
  const found = new Set<string>()
  const policyDone = new Set<string>()
  const addPolicy = (name: string) => {
    if (policyDone.has(name)) return
    policyDone.add(name)
    const read = predicateOf(
      model.policies.find((p) => p.table === name),
      'read',
    )
    if (read) policyTables(read.expr, [tables.get(name)!], tables, found)
  }
  addPolicy(table)
  if (where) whereTables(where, tables.get(table)!, tables, found)
  // Related tables' read policies apply to relation filters and to what a policy traversal finds.
  for (let grew = true; grew; ) {
    grew = false
    for (const name of [...found]) {
      if (!policyDone.has(name)) {
        addPolicy(name)
        grew = true
      }
    }
  }
  return found
}

function relationTable(from: TableIR, name: string, tables: ReadonlyMap<string, TableIR>): TableIR {
  const relation = from.relations.find((r) => r.name === name)
  return relation ? tables.get(relation.table)! : from
}

/** Follow belongs-to `path` from `from`, adding each table reached. */
function follow(from: TableIR, path: readonly string[], tables: ReadonlyMap<string, TableIR>, found: Set<string>): TableIR {
  let at = from
  for (const step of path) {
    at = relationTable(at, step, tables)
    found.add(at.name)
  }
  return at
}

function valueTables(value: PolicyValueIR, scopes: readonly TableIR[], tables: ReadonlyMap<string, TableIR>, found: Set<string>): void {
  if (value.kind === 'column') follow(scopes[value.scope]!, value.path, tables, found)
}

function policyTables(expr: PolicyExprIR, scopes: readonly TableIR[], tables: ReadonlyMap<string, TableIR>, found: Set<string>): void {
  switch (expr.kind) {
    case 'constant':
    case 'hasRole':
    // Consents live in a system table: a change of consent reaches a view with its next event.
    case 'hasConsent':
      return
    case 'compare':
      valueTables(expr.left, scopes, tables, found)
      valueTables(expr.right, scopes, tables, found)
      return
    case 'isNull':
    case 'in':
    case 'truthy':
      valueTables(expr.value, scopes, tables, found)
      return
    case 'not':
      policyTables(expr.expr, scopes, tables, found)
      return
    case 'and':
    case 'or':
      for (const e of expr.exprs) policyTables(e, scopes, tables, found)
      return
    case 'conditional':
      for (const e of [expr.test, expr.then, expr.otherwise]) policyTables(e, scopes, tables, found)
      return
    case 'some':
    case 'every': {
      const owner = follow(scopes[expr.scope]!, expr.path, tables, found)
      const related = relationTable(owner, expr.relation, tables)
      found.add(related.name)
      policyTables(expr.predicate, [...scopes, related], tables, found)
      return
    }
    case 'referencedBy': {
      const referencing = tables.get(expr.table)
      if (referencing === undefined) return
      found.add(referencing.name)
      policyTables(expr.predicate, [referencing], tables, found)
      return
    }
    default:
      return assertNever(expr, 'policy expression')
  }
}

function whereTables(where: Where, table: TableIR, tables: ReadonlyMap<string, TableIR>, found: Set<string>): void {
  switch (where.kind) {
    case 'compare':
    case 'in':
    case 'is':
    case 'match': // the full-text index follows the table itself (triggers)
      return
    case 'and':
    case 'or':
      for (const w of where.where) whereTables(w, table, tables, found)
      return
    case 'not':
      whereTables(where.where, table, tables, found)
      return
    case 'some':
    case 'every':
    case 'none':
    case 'parent': {
      const related = relationTable(table, where.relation, tables)
      found.add(related.name)
      if (where.where) whereTables(where.where, related, tables, found)
      return
    }
    default:
      return assertNever(where, 'filter')
  }
}
