import { ownedTables } from '../../ir/privacy.ts'
import { OBJECTS_TABLE, fileColumnsOf } from '../../ir/storage-objects.ts'
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
  /**
   * Storage objects the user uploaded: `removed` (their rows deleted in the transaction, their
   * bytes after the commit), `kept` (still held by a file column of a row that was kept: they
   * stay, no longer owned by anyone).
   */
  readonly files: { readonly removed: number; readonly kept: number }
  readonly retention: string
}

/** What an erasure did, and the storage keys whose bytes go once it has committed. */
export interface Erasure {
  readonly report: ErasureReport
  readonly objectKeys: readonly string[]
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
 * const { report, objectKeys } = eraseUser(model, db, data, userId, () => sessions.revokeAllOf(userId))
 * for (const key of objectKeys) await driver.delete(key)
 */
export function eraseUser(model: ProjectIR, db: SqliteDatabase, data: DataLayer, userId: string, revokeSessions: () => number): Erasure {
  const users = model.tables.find((t) => t.isUsers)!
  const secureDelete = db.pragma('secure_delete', { simple: true }) as number
  db.pragma('secure_delete = ON')
  try {
    const erasure = db.transaction((): Erasure => {
      const rows = ownedRows(model, data, userId)
      const uploadsBefore = countUploads(model, db, userId)
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
      // After the rows: objects their deleted rows held are released by storage's own subscriber
      // (files-on-rows.ts); what is left of the user's uploads is judged against the kept rows.
      const uploads = releaseUploads(model, db, data, userId)
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
      return { report: { userId, tables, userRow, sessionsRevoked, files: { removed: uploadsBefore - uploads.kept, kept: uploads.kept }, retention: BACKUP_RETENTION }, objectKeys: uploads.removed }
    })()
    try {
      db.pragma('wal_checkpoint(TRUNCATE)')
    } catch {
      // A reader holds the WAL: the frames are overwritten as the WAL is reused.
    }
    return erasure
  } finally {
    db.pragma(`secure_delete = ${secureDelete}`)
  }
}

/**
 * The user's uploads (`_koya_objects.ownerId`): an object a file column of a remaining row still
 * holds stays, disowned (the row is someone else's, or kept by its table's rule); every other
 * one's row is deleted here, in the erasure's transaction, and its storage key returned so the
 * bytes go after the commit (an erasure rolled back keeps them). The rows are deleted with SQL of
 * their own, not through the data layer, whose delete would remove the bytes before the commit.
 */
function releaseUploads(model: ProjectIR, db: SqliteDatabase, data: DataLayer, userId: string): { removed: string[]; kept: number } {
  if ((model.buckets ?? []).length === 0) return { removed: [], kept: 0 }
  const columns = fileColumnsOf(model)
  const owned = db.prepare(`SELECT "id", "key" FROM "${OBJECTS_TABLE}" WHERE "ownerId" = ?`).all(userId) as { id: string; key: string }[]
  const removed: string[] = []
  let kept = 0
  const disown = db.prepare(`UPDATE "${OBJECTS_TABLE}" SET "ownerId" = NULL WHERE "id" = ?`)
  const remove = db.prepare(`DELETE FROM "${OBJECTS_TABLE}" WHERE "id" = ?`)
  for (const object of owned) {
    if (columns.some((column) => data.findOne(SYSTEM, { table: column.table, where: fileHeldBy(column, object.id) }) !== undefined)) {
      disown.run(object.id)
      kept++
    } else {
      remove.run(object.id)
      removed.push(object.key)
    }
  }
  return { removed, kept }
}

/** How many storage objects the user uploaded (0 for an app without buckets). */
function countUploads(model: ProjectIR, db: SqliteDatabase, userId: string): number {
  if ((model.buckets ?? []).length === 0) return 0
  return db.prepare(`SELECT count(*) FROM "${OBJECTS_TABLE}" WHERE "ownerId" = ?`).pluck().get(userId) as number
}

/** Rows whose file column holds `id` (a `t.files` array is JSON text: ids are plain ASCII, quoted). */
function fileHeldBy(column: ReturnType<typeof fileColumnsOf>[number], id: string): Where {
  return column.many ? { kind: 'compare', column: column.column, operator: 'like', value: `*"${id}"*` } : { kind: 'compare', column: column.column, operator: 'eq', value: id }
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
