import type { SqliteDatabase } from '../../shared/sqlite.ts'
import { uuidv7 } from '../../shared/uuid.ts'
import { lazyStatement } from './lazy-statement.ts'

/** One entry of `_koya_audit_log`. */
export interface AuditEntry {
  readonly id: string
  readonly at: string
  /** Who acted: the admin (also while impersonating); null for the system role. */
  readonly actorId: string | null
  /** Whom it concerned: the impersonated user, the user whose roles changed. */
  readonly subjectId: string | null
  /** `impersonation.start`, `impersonation.stop`, `impersonation.write`, `role.grant`, `role.revoke`. */
  readonly action: string
  readonly reason: string | null
  readonly requestId: string | null
  readonly detail: Readonly<Record<string, unknown>> | null
}

export interface AuditFilter {
  readonly actor?: string
  readonly subject?: string
  readonly action?: string
  /** ISO 8601, inclusive. */
  readonly from?: string
  /** ISO 8601, exclusive. */
  readonly to?: string
  readonly limit: number
}

export interface AuditLog {
  record(entry: Omit<AuditEntry, 'id' | 'at'>): void
  /** Newest first. */
  query(filter: AuditFilter): AuditEntry[]
}

/**
 * The audit log: append-only from the server's side, readable through GET /admin/audit. Entries
 * keep ids, not foreign keys, so they outlive the users they name.
 *
 * @example
 * audit.record({ actorId: admin.id, subjectId: user.id, action: 'role.grant', reason: null, requestId: request.id, detail: { role: 'support' } })
 */
export function createAuditLog(db: SqliteDatabase, clock: () => Date): AuditLog {
  const insert = lazyStatement(db, 'INSERT INTO "_koya_audit_log" ("id", "at", "actorId", "subjectId", "action", "reason", "requestId", "detail") VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
  return {
    record(entry) {
      const now = clock()
      insert().run(uuidv7(now.getTime()), now.toISOString(), entry.actorId, entry.subjectId, entry.action, entry.reason, entry.requestId, entry.detail === null ? null : JSON.stringify(entry.detail))
    },
    query(filter) {
      const where: string[] = []
      const params: unknown[] = []
      const add = (clause: string, value: unknown) => {
        where.push(clause)
        params.push(value)
      }
      if (filter.actor !== undefined) add('"actorId" = ?', filter.actor)
      if (filter.subject !== undefined) add('"subjectId" = ?', filter.subject)
      if (filter.action !== undefined) add('"action" = ?', filter.action)
      if (filter.from !== undefined) add('"at" >= ?', filter.from)
      if (filter.to !== undefined) add('"at" < ?', filter.to)
      const sql = `SELECT * FROM "_koya_audit_log"${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY "at" DESC, "id" DESC LIMIT +?`
      const rows = db.prepare(sql).all(...params, filter.limit) as (Omit<AuditEntry, 'detail'> & { detail: string | null })[]
      return rows.map((row) => ({ ...row, detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>) }))
    },
  }
}
