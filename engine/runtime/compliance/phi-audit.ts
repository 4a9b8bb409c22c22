import { phiColumns } from '../../ir/privacy.ts'
import type { ProjectIR } from '../../ir/project-ir.ts'
import type { AuditLog } from '../auth/audit-log.ts'
import type { DataLayer } from '../data/data-layer.ts'
import { relationOf, type ModelIndex } from '../data/model-index.ts'
import { ALL, type SelectItem } from '../data/query.ts'
import type { RowObject } from '../data/write-events.ts'

/** What a `phi.read` audit entry says of each table whose PHI a read answered. */
export interface PhiReadDetail {
  readonly table: string
  /** The PHI columns the read selected. */
  readonly columns: readonly string[]
  /** The ids of the rows answered (those whose id the read selected). */
  readonly ids: readonly string[]
  /** Rows answered whose id the read did not select (`?select=diagnosis`): counted, not named. */
  readonly unidentified: number
}

/**
 * Audit every read that answers a `.phi()` column (docs/compliance.md): one `phi.read` entry per
 * read, who (the user, or the admin impersonating them), when, the request id, and per table the
 * PHI columns and the row ids, written in the read's own transaction through the data layer's
 * read observers, so a PHI value is never answered without its entry. Registered only when the
 * app declares PHI columns; reads of other tables are not touched.
 *
 * @example
 * auditPhiReads(model, data, audit) // true: the clinic app has patients.diagnosis
 */
export function auditPhiReads(model: ProjectIR, data: DataLayer, audit: AuditLog): boolean {
  const phi = new Map(model.tables.map((t) => [t.name, phiColumns(t)] as const).filter(([, columns]) => columns.length > 0))
  if (phi.size === 0) return false
  data.observeReads({
    tables: [...phi.keys()],
    observe(read) {
      const details = new Map<string, { columns: Set<string>; ids: Set<string>; unidentified: number }>()
      collect(data.model, phi, read.table, read.select, read.rows, details)
      if (details.size === 0) return // the read selected none of the PHI columns
      const { actor } = read
      const impersonated = actor.kind === 'user' && actor.impersonatorId !== undefined
      audit.record({
        actorId: actor.kind === 'user' ? (actor.impersonatorId ?? actor.userId) : null,
        subjectId: impersonated ? actor.userId : null,
        action: 'phi.read',
        reason: null,
        requestId: read.requestId ?? null,
        detail: { via: read.via, actor: actor.kind, reads: [...details].map(([table, d]): PhiReadDetail => ({ table, columns: [...d.columns].sort(), ids: [...d.ids], unidentified: d.unidentified })) },
      })
    },
  })
  return true
}

/** Walk the answered rows along the select: which PHI columns of which rows were answered. */
function collect(
  index: ModelIndex,
  phi: ReadonlyMap<string, readonly string[]>,
  tableName: string,
  select: readonly SelectItem[],
  rows: readonly RowObject[],
  into: Map<string, { columns: Set<string>; ids: Set<string>; unidentified: number }>,
): void {
  const table = index.table(tableName)
  const phiOfTable = phi.get(tableName) ?? []
  const read = phiOfTable.filter((column) => select.some((item) => item.kind === 'all' || (item.kind === 'column' && item.column === column)))
  if (read.length > 0 && rows.length > 0) {
    const entry = into.get(tableName) ?? { columns: new Set<string>(), ids: new Set<string>(), unidentified: 0 }
    into.set(tableName, entry)
    for (const column of read) entry.columns.add(column)
    const idKey = select.some((item) => item.kind === 'all') ? 'id' : select.find((item) => item.kind === 'column' && item.column === 'id')
    const key = typeof idKey === 'string' ? idKey : idKey?.kind === 'column' ? (idKey.as ?? 'id') : undefined
    for (const row of rows) {
      const id = key === undefined ? undefined : row[key]
      if (id === undefined || id === null) entry.unidentified++
      else entry.ids.add(String(id))
    }
  }
  for (const item of select) {
    if (item.kind !== 'embed') continue
    const relation = relationOf(table, item.relation)
    const nested = rows.flatMap((row) => {
      const value = row[item.as ?? item.relation]
      return Array.isArray(value) ? (value as RowObject[]) : value !== null && typeof value === 'object' ? [value as RowObject] : []
    })
    collect(index, phi, relation.table, item.select ?? ALL, nested, into)
  }
}
