import { ownedTables } from '../../ir/privacy.ts'
import type { ProjectIR, TableIR } from '../../ir/project-ir.ts'
import type { DataLayer } from '../data/data-layer.ts'
import type { RowObject } from '../data/write-events.ts'
import type { Where } from '../data/query.ts'

const SYSTEM = { kind: 'system' } as const
/** Ids per `in` filter: far below SQLite's 32766 bound parameters. */
const CHUNK = 500
const PAGE = 1000

/**
 * The rows of each owned table that reach `userId` through the table's owner path, read through
 * the data layer as the system role (export and erasure; docs/compliance.md). The path is walked
 * from the user outwards: the ids reached on the last table of the path, then the rows pointing
 * at them, so a path through refs without a relation name (`createdBy`) works too.
 *
 * @example
 * ownedRows(model, data, userId).get('tasks') // [{ id, title, createdBy: userId, … }]
 */
export function ownedRows(model: ProjectIR, data: DataLayer, userId: string): Map<string, RowObject[]> {
  const byName = new Map(model.tables.map((t) => [t.name, t]))
  const memo = new Map<string, RowObject[]>()
  const reaching = (table: TableIR, path: readonly string[]): RowObject[] => {
    const key = `${table.name}:${path.join('.')}`
    const known = memo.get(key)
    if (known !== undefined) return known
    let rows: RowObject[]
    if (path.length === 0) rows = readAll(data, table.name, { kind: 'compare', column: 'id', operator: 'eq', value: userId })
    else if (path.length === 1) rows = readAll(data, table.name, { kind: 'compare', column: path[0]!, operator: 'eq', value: userId })
    else {
      const column = table.columns.find((c) => c.name === path[0])!
      const parents = reaching(byName.get(column.references!.table)!, path.slice(1))
      const ids = parents.map((r) => r.id as string)
      rows = []
      for (let i = 0; i < ids.length; i += CHUNK) rows.push(...readAll(data, table.name, { kind: 'in', column: path[0]!, values: ids.slice(i, i + CHUNK) }))
    }
    memo.set(key, rows)
    return rows
  }
  return new Map(ownedTables(model).map((table) => [table.name, reaching(table, table.privacy!.owner!)]))
}

/** Every row `where` matches, in pages ordered by id. */
function readAll(data: DataLayer, table: string, where: Where): RowObject[] {
  const rows: RowObject[] = []
  for (;;) {
    const last = rows.at(-1)?.id as string | undefined
    const page = data.list(SYSTEM, {
      table,
      where: last === undefined ? where : { kind: 'and', where: [where, { kind: 'compare', column: 'id', operator: 'gt', value: last }] },
      orderBy: [{ column: 'id' }],
      limit: PAGE,
    }, { as: 'objects' }).rows
    rows.push(...page)
    if (page.length < PAGE) return rows
  }
}
