import { ownedTables } from '../../ir/privacy.ts'
import type { ColumnIR, ProjectIR, TableIR } from '../../ir/project-ir.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import type { DataLayer } from '../data/data-layer.ts'
import type { Where } from '../data/query.ts'
import { ownedRows } from './owner-walk.ts'

const SYSTEM = { kind: 'system' } as const
const CHUNK = 500

export interface ErasureReport {
  readonly userId: string
  readonly tables: readonly { readonly name: string; readonly rule: string; readonly rows: number }[]
  readonly userRow: 'deleted' | 'anonymized'
  readonly sessionsRevoked: number
  readonly retention: string
}

export const BACKUP_RETENTION =
  'Backups taken before this erasure still hold the erased data until they are pruned (koyalite backup --keep, docs/backup.md); a restore of one must be followed by the erasure again.'

/** Auth's tables of a user: rows deleted with the user, or by hand when the user row is kept anonymised. */
const USER_SYSTEM_TABLES = ['_koya_credentials', '_koya_oauth_accounts', '_koya_tokens', '_koya_role_grants', '_koya_sessions'] as const

/**
 * Erase a user in one transaction (docs/compliance.md): each owned table's rows are deleted,
 * anonymised (personal columns overwritten, optional refs to the user unset) or kept per its
 * `onErase` rule, deepest tables first; every optional ref to the user elsewhere is unset; the
 * user row is deleted, or anonymised when kept rows still reference it; sessions, credentials,
 * tokens, grants and consent records go. Writes of application rows go through the data layer
 * as the system role. `secure_delete` is on for the transaction, so freed space is zeroed, and
 * the WAL is checkpointed and truncated afterwards (best effort: a reader may hold it).
 *
 * @example
 * const report = eraseUser(model, db, data, userId, () => sessions.revokeAllOf(userId))
 */
export function eraseUser(model: ProjectIR, db: SqliteDatabase, data: DataLayer, userId: string, revokeSessions: () => number): ErasureReport {
  const users = model.tables.find((t) => t.isUsers)!
  const secureDelete = db.pragma('secure_delete', { simple: true }) as number
  db.pragma('secure_delete = ON')
  try {
    const report = db.transaction((): ErasureReport => {
      const rows = ownedRows(model, data, userId)
      const tables: { name: string; rule: string; rows: number }[] = []
      for (const table of ownedTables(model).reverse()) {
        if (table.isUsers) continue
        const ids = rows.get(table.name)!.map((r) => r.id as string)
        const rule = table.privacy!.onErase
        tables.push({ name: table.name, rule, rows: rule === 'keep' ? 0 : ids.length })
        for (let i = 0; i < ids.length; i += CHUNK) {
          const where: Where = { kind: 'in', column: 'id', values: ids.slice(i, i + CHUNK) }
          if (rule === 'delete') data.delete(SYSTEM, { table: table.name, target: { where } })
          else if (rule === 'anonymize') anonymize(data, table, ids.slice(i, i + CHUNK))
        }
      }
      for (const table of model.tables) unsetRefsTo(data, table, users.name, userId)
      const sessionsRevoked = revokeSessions()
      for (const name of ['_koya_consents', '_koya_consent_state']) db.prepare(`DELETE FROM "${name}" WHERE "userId" = ?`).run(userId)
      let userRow: ErasureReport['userRow'] = 'deleted'
      try {
        db.transaction(() => data.delete(SYSTEM, { table: users.name, target: { id: userId } }))()
      } catch {
        // Kept rows (onErase 'keep' or 'anonymize') still point at the user with a required ref:
        // the row stays as an anonymous tombstone, and what auth keeps of the person goes.
        userRow = 'anonymized'
        anonymize(data, users, [userId])
        for (const name of USER_SYSTEM_TABLES) db.prepare(`DELETE FROM "${name}" WHERE "userId" = ?`).run(userId)
      }
      tables.unshift({ name: users.name, rule: userRow === 'deleted' ? 'delete' : 'anonymize', rows: 1 })
      scrubChangeLog(db, [userId, ...[...rows.values()].flatMap((list) => list.map((r) => r.id as string))])
      return { userId, tables, userRow, sessionsRevoked, retention: BACKUP_RETENTION }
    })()
    try {
      db.pragma('wal_checkpoint(TRUNCATE)')
    } catch {
      // A reader holds the WAL: the frames are overwritten as the WAL is reused.
    }
    return report
  } finally {
    db.pragma(`secure_delete = ${secureDelete}`)
  }
}

/**
 * Realtime's change log keeps the old image of each changed row (until it is pruned): the images
 * of erased rows, this erasure's own events included, are cut down to the id, so subscribers
 * see those rows leave (a partial image passes no policy) and the values are gone at once.
 */
function scrubChangeLog(db: SqliteDatabase, ids: readonly string[]): void {
  const scrub = db.prepare('UPDATE "_koya_realtime_events" SET "old" = json_object(\'id\', "rowId") WHERE "rowId" = ? AND "old" IS NOT NULL')
  for (const id of ids) scrub.run(id)
}

function anonymize(data: DataLayer, table: TableIR, ids: readonly string[]): void {
  const personal = table.columns.filter((c) => c.personal === true && !c.readOnly)
  if (personal.length === 0) return
  // A unique column needs a value per row; the others take one patch for the whole chunk.
  if (personal.some((c) => c.unique)) {
    for (const id of ids) data.update(SYSTEM, { table: table.name, target: { id }, patch: Object.fromEntries(personal.map((c) => [c.name, placeholderOf(c, id)])) })
  } else {
    data.update(SYSTEM, { table: table.name, target: { where: { kind: 'in', column: 'id', values: ids } }, patch: Object.fromEntries(personal.map((c) => [c.name, placeholderOf(c, '')])) })
  }
}

function unsetRefsTo(data: DataLayer, table: TableIR, users: string, userId: string): void {
  for (const column of table.columns) {
    if (column.references?.table !== users || !column.nullable) continue
    data.update(SYSTEM, { table: table.name, target: { where: { kind: 'compare', column: column.name, operator: 'eq', value: userId } }, patch: { [column.name]: null } })
  }
}

/** A value that says nothing about anyone and passes the column's checks. */
function placeholderOf(column: ColumnIR, id: string): unknown {
  if (column.nullable) return null
  switch (column.type) {
    case 'text': {
      const base = column.unique ? (column.name === 'email' ? `erased-${id}@erased.invalid` : `erased-${id}`) : 'erased'
      return base.padEnd(column.min ?? 0, '-').slice(0, column.max ?? base.length)
    }
    case 'enum':
      return column.values![0]
    case 'int':
    case 'real':
      return column.min ?? 0
    case 'bool':
      return false
    case 'timestamp':
      return '1970-01-01T00:00:00.000Z'
    case 'date':
      return '1970-01-01'
    case 'json':
      return {}
    default:
      return null
  }
}
