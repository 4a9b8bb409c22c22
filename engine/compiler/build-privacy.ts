import type { TableDef } from '../dsl/index.ts'
import type { ColumnIR, TablePrivacyIR } from '../ir/project-ir.ts'
import type { Problems } from './problems.ts'

interface PrivacyInput {
  readonly def: TableDef
  readonly columns: readonly ColumnIR[]
}

/**
 * Each table's owner path (the refs from a row to the user it is about) and erasure rule
 * (docs/compliance.md). A declared `owner` is checked column by column; otherwise the shortest
 * path of refs to the users table is inferred (ties: the first ref in declaration order, so the
 * result is deterministic). A table with personal columns and no path is reported as a warning
 * (KL_DEF_NO_OWNER_PATH): its rows can be neither exported nor erased with their owner. The
 * default erasure rule is `defaultEraseRule`'s.
 *
 * Returns the privacy facts by table name; a table without a path and without declarations has
 * none (model.json of a project without users is unchanged).
 */
export function buildPrivacy(tables: readonly PrivacyInput[], problems: Problems): Map<string, TablePrivacyIR> {
  const byName = new Map(tables.map((t) => [t.def.name, t]))
  const users = tables.find((t) => t.def.users)
  const inferred = users === undefined ? new Map<string, string[]>() : shortestPaths(tables, users.def.name)
  const result = new Map<string, TablePrivacyIR>()
  for (const table of tables) {
    const { owner: declared, onErase } = table.def.options
    let owner: string[] | null = inferred.get(table.def.name) ?? null
    if (declared !== undefined) owner = checkDeclaredPath(table, declared, byName, problems)
    const hasPersonal = table.columns.some((c) => c.personal === true)
    if (owner === null && hasPersonal) {
      problems.warn(
        'KL_DEF_NO_OWNER_PATH',
        `Table "${table.def.name}" has personal columns (${table.columns.filter((c) => c.personal).map((c) => `"${c.name}"`).join(', ')}) but no path of refs to the users table: export and erasure cannot find its rows.`,
        problems.atTable(table.def.name),
      )
    }
    if (owner === null && declared === undefined && onErase === undefined) continue
    result.set(table.def.name, { owner, ownerDeclared: declared !== undefined, onErase: onErase ?? defaultEraseRule(owner) })
  }
  return result
}

/**
 * The user's own rows go with them (the users row, a direct ref); rows reached through other
 * tables (a project of the user's workspace) are shared work and stay (decision 127).
 */
function defaultEraseRule(owner: readonly string[] | null): TablePrivacyIR['onErase'] {
  return owner !== null && owner.length <= 1 ? 'delete' : 'keep'
}

/** Breadth-first from the users table over refs pointing at the tables already reached. */
function shortestPaths(tables: readonly PrivacyInput[], usersTable: string): Map<string, string[]> {
  const paths = new Map<string, string[]>([[usersTable, []]])
  let frontier = [usersTable]
  while (frontier.length > 0) {
    const next: string[] = []
    for (const table of tables) {
      if (paths.has(table.def.name)) continue
      const ref = table.columns.find((c) => c.references !== null && frontier.includes(c.references.table))
      if (ref === undefined) continue
      paths.set(table.def.name, [ref.name, ...paths.get(ref.references!.table)!])
      next.push(table.def.name)
    }
    frontier = next
  }
  return paths
}

function checkDeclaredPath(table: PrivacyInput, declared: string, byName: ReadonlyMap<string, PrivacyInput>, problems: Problems): string[] | null {
  const at = problems.table(table.def.name)?.options.get('owner') ?? problems.atTable(table.def.name)
  const path = declared.split('.')
  let current: PrivacyInput | undefined = table
  for (const [i, name] of path.entries()) {
    const column: ColumnIR | undefined = current?.columns.find((c) => c.name === name)
    const target = column?.references?.table
    if (current === undefined || column === undefined || target === undefined) {
      problems.add('KL_DEF_OWNER_PATH', `The owner path "${declared}" of table "${table.def.name}" names "${name}", not a ref column of table "${current?.def.name ?? '?'}".`, at)
      return null
    }
    current = byName.get(target)
    if (i === path.length - 1 && current?.def.users !== true) {
      problems.add('KL_DEF_OWNER_PATH', `The owner path "${declared}" of table "${table.def.name}" ends at table "${target}", not at the users table.`, at)
      return null
    }
  }
  return path
}
