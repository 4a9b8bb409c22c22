import { relationNameOf } from '../shared/naming.ts'
import type { ColumnIR, RelationIR } from '../ir/project-ir.ts'
import type { Problems } from './problems.ts'
import type { ResolvedColumn } from './build-columns.ts'

interface TableColumns {
  readonly name: string
  readonly columns: readonly ResolvedColumn[]
}

/**
 * Derive relations from refs, across the whole schema. A ref named `xId` gives the belongs-to
 * relation `x`; the referenced table gets a has-many relation named after the referencing
 * table, or `inverse`. Refs with other names give no belongs-to relation, and a has-many one
 * only when `inverse` names it.
 *
 * Checked: every ref targets a known table; no relation name collides with a column or another
 * relation of its table (two inverses with one name are "ambiguous").
 */
export function buildRelations(tables: readonly TableColumns[], problems: Problems): Map<string, RelationIR[]> {
  const relations = new Map<string, RelationIR[]>(tables.map((table) => [table.name, []]))
  const columnNames = new Map(tables.map((table) => [table.name, new Set(table.columns.map((c) => c.ir.name))]))
  /** `table.relation` → who claimed it, for the collision message. */
  const claimed = new Map<string, { by: string; inverse: boolean }>()

  const claim = (table: string, relation: RelationIR, by: string, inverse: boolean, at: () => ReturnType<Problems['atColumn']>): void => {
    const key = `${table}.${relation.name}`
    if (columnNames.get(table)?.has(relation.name)) {
      problems.add(
        'KL_DEF_REF_NAME',
        `The relation "${relation.name}" from ${by} collides with the column "${relation.name}" of table "${table}".`,
        at(),
        inverse ? `Name the inverse relation: { inverse: '${relation.name}List' }.` : undefined,
      )
      return
    }
    const previous = claimed.get(key)
    if (previous) {
      const code = previous.inverse && inverse ? 'KL_DEF_AMBIGUOUS_INVERSE' : 'KL_DEF_REF_NAME'
      problems.add(code, `Table "${table}" would get two relations named "${relation.name}": from ${previous.by} and from ${by}.`, at())
      return
    }
    claimed.set(key, { by, inverse })
    relations.get(table)?.push(relation)
  }

  for (const table of tables) {
    for (const column of table.columns) {
      const target = column.refTarget
      if (target === undefined) continue
      const at = () => problems.atColumn(table.name, column.ir.name, 'ref')
      if (!relations.has(target)) {
        if (problems.brokenTables.has(target)) continue
        problems.add(
          'KL_DEF_UNKNOWN_REF_TABLE',
          `Column "${column.ir.name}" on table "${table.name}" references table "${target}", which is not passed to defineConfig().`,
          at(),
        )
        continue
      }
      const by = `${table.name}.${column.ir.name}`
      const belongsTo = relationNameOf(column.ir.name)
      if (belongsTo !== undefined) {
        claim(table.name, { kind: 'belongsTo', name: belongsTo, table: target, column: column.ir.name, nullable: column.ir.nullable }, by, false, at)
      }
      if (belongsTo !== undefined || column.inverse !== undefined) {
        claim(target, { kind: 'hasMany', name: column.inverse ?? table.name, table: table.name, column: column.ir.name }, by, true, at)
      }
    }
  }
  for (const list of relations.values()) list.sort((a, b) => a.name.localeCompare(b.name))
  return relations
}

/** Columns that are the leading column of some index need no index of their own. */
export function isIndexLeader(column: ColumnIR, indexes: readonly { readonly columns: readonly string[] }[]): boolean {
  return indexes.some((index) => index.columns[0] === column.name)
}
