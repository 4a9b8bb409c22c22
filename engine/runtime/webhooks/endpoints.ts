import { createHash } from 'node:crypto'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import type { AuditLog } from '../auth/audit-log.ts'
import { statementsOf } from '../data/statement-cache.ts'

/** A webhook's delivery state (`_koya_webhook_endpoints`). */
export interface EndpointState {
  readonly name: string
  readonly disabledAt: number | null
  readonly disabledReason: string | null
  /** The first failed attempt since the last success; null while the endpoint answers. */
  readonly failingSince: number | null
  readonly lastSuccessAt: number | null
}

export interface Endpoints {
  state(name: string): EndpointState
  succeeded(name: string, at: number): void
  /** Record a failed attempt; disables the endpoint (and says so) once it has failed for `disableAfterMs`. */
  failed(name: string, at: number, disableAfterMs: number): boolean
  /** Disable an endpoint and raise the admin event (an audit-log entry `webhook.disabled`). Returns false if it already was. */
  disable(name: string, reason: string, at: number): boolean
  enable(name: string): void
  /**
   * The instant the rotation from `previous` to `current` was first seen (recorded on first sight),
   * or null when no previous secret is configured.
   */
  rotationStartedAt(name: string, current: string, previous: string | undefined, at: number): number | null
}

const SQL = {
  ensure: 'INSERT INTO "_koya_webhook_endpoints" ("name") VALUES (?) ON CONFLICT DO NOTHING',
  state: 'SELECT "name", "disabledAt", "disabledReason", "failingSince", "lastSuccessAt", "secretFingerprint", "previousFingerprint", "rotatedAt" FROM "_koya_webhook_endpoints" WHERE "name" = ?',
  succeeded: 'UPDATE "_koya_webhook_endpoints" SET "failingSince" = NULL, "lastSuccessAt" = ? WHERE "name" = ?',
  failed: 'UPDATE "_koya_webhook_endpoints" SET "failingSince" = coalesce("failingSince", ?) WHERE "name" = ? RETURNING "failingSince"',
  disable: 'UPDATE "_koya_webhook_endpoints" SET "disabledAt" = ?, "disabledReason" = ? WHERE "name" = ? AND "disabledAt" IS NULL',
  enable: 'UPDATE "_koya_webhook_endpoints" SET "disabledAt" = NULL, "disabledReason" = NULL, "failingSince" = NULL WHERE "name" = ?',
  rotation: 'UPDATE "_koya_webhook_endpoints" SET "secretFingerprint" = ?, "previousFingerprint" = ?, "rotatedAt" = ? WHERE "name" = ?',
} as const

interface Row extends EndpointState {
  readonly secretFingerprint: string | null
  readonly previousFingerprint: string | null
  readonly rotatedAt: number | null
}

/** A secret's SHA-256, so the table can tell a rotation from a restart without holding the secret. */
function fingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url')
}

/**
 * The endpoints' state, on the app's connection. A row exists for every configured webhook once
 * `ensure`d at boot.
 *
 * @example
 * const endpoints = createEndpoints(db, audit, ['taskDone'])
 * endpoints.failed('taskDone', Date.now(), 5 * 86_400_000)
 */
export function createEndpoints(db: SqliteDatabase, audit: AuditLog | undefined, names: readonly string[]): Endpoints {
  const statements = statementsOf(db)
  for (const name of names) statements.run(SQL.ensure, [name])
  const row = (name: string): Row => (statements.all(SQL.state, [name])[0] as Row | undefined) ?? { name, disabledAt: null, disabledReason: null, failingSince: null, lastSuccessAt: null, secretFingerprint: null, previousFingerprint: null, rotatedAt: null }
  const endpoints: Endpoints = {
    state: row,
    succeeded(name, at) {
      statements.run(SQL.succeeded, [at, name])
    },
    failed(name, at, disableAfterMs) {
      const since = (statements.all(SQL.failed, [at, name])[0] as { failingSince: number } | undefined)?.failingSince ?? at
      if (at - since < disableAfterMs) return false
      return endpoints.disable(name, `every attempt failed for ${Math.round((at - since) / 3_600_000)} h`, at)
    },
    disable(name, reason, at) {
      const changed = statements.run(SQL.disable, [at, reason, name]).changes > 0
      if (changed) audit?.record({ actorId: null, subjectId: null, action: 'webhook.disabled', reason, requestId: null, detail: { webhook: name } })
      return changed
    },
    enable(name) {
      statements.run(SQL.enable, [name])
    },
    rotationStartedAt(name, current, previous, at) {
      if (previous === undefined || previous === '') return null
      const state = row(name)
      const pair = [fingerprint(current), fingerprint(previous)] as const
      if (state.secretFingerprint === pair[0] && state.previousFingerprint === pair[1] && state.rotatedAt !== null) return state.rotatedAt
      statements.run(SQL.rotation, [pair[0], pair[1], at, name])
      return at
    },
  }
  return endpoints
}
