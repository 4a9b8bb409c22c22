import { ownedTables, personalColumns } from '../../ir/privacy.ts'
import type { ProjectIR } from '../../ir/project-ir.ts'
import type { DataLayer } from '../data/data-layer.ts'
import type { RowObject } from '../data/write-events.ts'
import type { Consents } from './consents.ts'
import { ownedRows } from './owner-walk.ts'

/** The export archive: a manifest, one array of rows per owned table, the consent history. */
export interface PrivacyExport {
  readonly manifest: {
    readonly format: 'koyalite-export/1'
    readonly app: string
    readonly userId: string
    readonly exportedAt: string
    readonly tables: readonly { readonly name: string; readonly ownerPath: string; readonly rows: number; readonly personalColumns: readonly string[] }[]
  }
  readonly tables: Readonly<Record<string, readonly RowObject[]>>
  readonly consents: readonly unknown[]
}

/**
 * Everything the app holds about a user: every row reachable through the owner paths (read
 * through the data layer as the system role), and their consent history.
 *
 * @example
 * const archive = exportUserData(model, data, consents, userId, new Date())
 * archive.manifest.tables // [{ name: 'users', ownerPath: '', rows: 1, personalColumns: ['email'] }, …]
 */
export function exportUserData(model: ProjectIR, data: DataLayer, consents: Consents, userId: string, now: Date): PrivacyExport {
  const rows = ownedRows(model, data, userId)
  const tables = ownedTables(model)
  return {
    manifest: {
      format: 'koyalite-export/1',
      app: model.name,
      userId,
      exportedAt: now.toISOString(),
      tables: tables.map((t) => ({ name: t.name, ownerPath: t.privacy!.owner!.join('.'), rows: rows.get(t.name)!.length, personalColumns: personalColumns(t) })),
    },
    tables: Object.fromEntries(tables.map((t) => [t.name, rows.get(t.name)!])),
    consents: consents.history(userId),
  }
}
