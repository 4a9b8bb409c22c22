import type { ColumnIR, RelationIR, TableIR } from '../../ir/project-ir.ts'
import { assertNever } from '../../shared/assert-never.ts'

/**
 * Examples written in the app's own tables, for the SDK's module comment and README: one table
 * is picked, and calls are printed with its columns and relations.
 */

/** A table's relations by name. */
export function sortedRelations(table: TableIR): RelationIR[] {
  return [...table.relations].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}

/** The table with the most to show (an enum column, a belongs-to, a has-many); the first such by name. */
export function exampleTable(tables: readonly TableIR[]): TableIR | undefined {
  const score = (t: TableIR) =>
    Number(t.columns.some((c) => c.type === 'enum')) + Number(t.relations.some((r) => r.kind === 'belongsTo')) + Number(t.relations.some((r) => r.kind === 'hasMany'))
  return [...tables].sort((a, b) => score(b) - score(a))[0]
}

/** The belongs-to relation examples include: a required one if there is one. */
export function exampleParent(table: TableIR): Extract<RelationIR, { kind: 'belongsTo' }> | undefined {
  const parents = sortedRelations(table).filter((r) => r.kind === 'belongsTo')
  return parents.find((r) => !r.nullable) ?? parents[0]
}

/** `koya.<table>.list(…)`, `.create(…)` and `.update(…)` with the table's columns. */
export function exampleCalls(table: TableIR): string[] {
  const filterColumn = table.columns.find((c) => c.type === 'enum') ?? table.columns.find((c) => !c.readOnly && c.type === 'text')
  const where = filterColumn ? `where: { ${filterColumn.name}: ${exampleValue(filterColumn)} }, ` : ''
  const order = table.columns.some((c) => c.name === 'createdAt') ? "orderBy: { createdAt: 'desc' }, " : ''
  const parent = exampleParent(table)
  const include = parent ? `, include: { ${parent.name}: true }` : ''
  const required = table.columns.filter((c) => !c.readOnly && !c.nullable && c.default === null)
  const row = required.map((c) => (c.type === 'ref' ? c.name : `${c.name}: ${exampleValue(c)}`)).join(', ')
  const patchColumn = table.columns.find((c) => !c.readOnly && c.type === 'enum' && (c.values?.length ?? 0) > 1)
  return [
    `const rows = await koya.${table.name}.list({ ${where}${order}limit: 20${include} })`,
    `const row = await koya.${table.name}.create({ ${row} })`,
    ...(patchColumn ? [`await koya.${table.name}.update(row.id, { ${patchColumn.name}: ${exampleValue(patchColumn, 1)} })`] : []),
  ]
}

function exampleValue(column: ColumnIR, index = 0): string {
  switch (column.type) {
    case 'enum':
      return `'${column.values?.[index] ?? column.values?.[0] ?? ''}'`
    case 'text':
      return "'…'"
    case 'int':
    case 'real':
      return String(column.min ?? 1)
    case 'bool':
      return 'true'
    case 'timestamp':
      return "'2026-12-01T09:30:00.000Z'"
    case 'date':
      return "'2026-12-01'"
    case 'json':
      return '{}'
    case 'id':
    case 'ref':
    case 'createdAt':
    case 'updatedAt':
      return column.name
    default:
      return assertNever(column.type, 'column type')
  }
}
