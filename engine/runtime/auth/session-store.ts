import type { SqliteDatabase } from '../../shared/sqlite.ts'
import type { AuthSettings } from './auth-settings.ts'
import { lazyStatement } from './lazy-statement.ts'
import { generateToken, hashToken } from './tokens.ts'

/** A session as the server knows it. Its id is the SHA-256 of the token, never the token. */
export interface Session {
  readonly id: string
  readonly userId: string
  readonly createdAt: string
  /** Idle expiry: pushed forward on use (sliding), never past absoluteExpiresAt. */
  readonly expiresAt: string
  readonly absoluteExpiresAt: string
  /** Set for an impersonation session: the admin acting as userId. */
  readonly impersonatorId: string | null
  readonly impersonatorSessionId: string | null
  readonly reason: string | null
}

/** A live session with what a request needs to know of its people, read in one statement. */
export interface ValidSession {
  readonly session: Session
  /** The user's granted roles, sorted. */
  readonly roles: readonly string[]
  /** For an impersonation: whether its admin still holds the admin role. */
  readonly impersonatorIsAdmin: boolean
  /** Renewed by this use: the cookie should be re-sent. */
  readonly renewed: boolean
}

/** What a client gets once: the token, and when the session ends unless it is used. */
export interface IssuedSession {
  readonly token: string
  readonly expiresAt: string
}

export interface SessionStore {
  create(userId: string): { session: Session; issued: IssuedSession }
  /** An admin's session acting as `userId` until `expiresAt`; it never slides. */
  createImpersonation(admin: Session, userId: string, reason: string, expiresAt: Date): { session: Session; issued: IssuedSession }
  /**
   * The live session of a token with its user's roles, or undefined (unknown, expired, revoked).
   * A session used after half its idle time is renewed: `renewed` then says the cookie should be
   * re-sent. One statement, read on every authenticated request, so a grant, a revocation or a
   * logout (in this process or another) applies to the next request.
   */
  validate(token: string): ValidSession | undefined
  revoke(sessionId: string): void
  /** Every session of the user, and impersonations started from them. Returns how many. */
  revokeAllOf(userId: string): number
}

/**
 * Sessions in `_koya_sessions`, on the server's clock.
 *
 * @example
 * const sessions = createSessionStore(db, settings, () => new Date())
 * const { issued } = sessions.create(userId) // issued.token goes to the client, once
 */
export function createSessionStore(db: SqliteDatabase, settings: AuthSettings, clock: () => Date): SessionStore {
  const insert = lazyStatement(db, `INSERT INTO "_koya_sessions" ("id", "userId", "createdAt", "expiresAt", "absoluteExpiresAt", "impersonatorId", "impersonatorSessionId", "reason")
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
  // Scalar subqueries, not joins: SQLite answers this in the time of the session lookup alone,
  // where a LEFT JOIN on the admin's session took three times as long (measured; issue 21). Role
  // names are identifiers (the compiler checks them), so a comma joins them unambiguously.
  const select = lazyStatement(db, `SELECT s.*,
      (SELECT a."expiresAt" FROM "_koya_sessions" a WHERE a."id" = s."impersonatorSessionId") AS "adminExpiresAt",
      (SELECT group_concat("role", ',') FROM (SELECT g."role" FROM "_koya_role_grants" g WHERE g."userId" = s."userId" ORDER BY g."role")) AS "roles",
      EXISTS (SELECT 1 FROM "_koya_role_grants" g WHERE g."userId" = s."impersonatorId" AND g."role" = 'admin') AS "impersonatorIsAdmin"
    FROM "_koya_sessions" s WHERE s."id" = ?`)
  const extend = lazyStatement(db, 'UPDATE "_koya_sessions" SET "expiresAt" = ? WHERE "id" = ?')
  const remove = lazyStatement(db, 'DELETE FROM "_koya_sessions" WHERE "id" = ?')
  const removeAll = lazyStatement(db, 'DELETE FROM "_koya_sessions" WHERE "userId" = ?')
  const removeExpired = lazyStatement(db, 'DELETE FROM "_koya_sessions" WHERE "userId" = ? AND ("expiresAt" <= ? OR "absoluteExpiresAt" <= ?)')

  const issue = (userId: string, expiresAt: Date, absoluteExpiresAt: Date, impersonation?: { admin: Session; reason: string }) => {
    const now = clock()
    const token = generateToken()
    const session: Session = {
      id: hashToken(token),
      userId,
      createdAt: now.toISOString(),
      expiresAt: expiresAt.toISOString(),
      absoluteExpiresAt: absoluteExpiresAt.toISOString(),
      impersonatorId: impersonation?.admin.userId ?? null,
      impersonatorSessionId: impersonation?.admin.id ?? null,
      reason: impersonation?.reason ?? null,
    }
    db.transaction(() => {
      // Old sessions are deleted when their user signs in again, so the table does not grow.
      removeExpired().run(userId, session.createdAt, session.createdAt)
      insert().run(session.id, userId, session.createdAt, session.expiresAt, session.absoluteExpiresAt, session.impersonatorId, session.impersonatorSessionId, session.reason)
    })()
    return { session, issued: { token, expiresAt: session.expiresAt } }
  }

  return {
    create(userId) {
      const now = clock().getTime()
      const absolute = now + settings.absoluteTimeoutMs
      return issue(userId, new Date(Math.min(now + settings.idleTimeoutMs, absolute)), new Date(absolute))
    },

    createImpersonation(admin, userId, reason, expiresAt) {
      const end = new Date(Math.min(expiresAt.getTime(), Date.parse(admin.absoluteExpiresAt)))
      return issue(userId, end, end, { admin, reason })
    },

    validate(token) {
      const row = select().all(hashToken(token))[0] as (Session & { adminExpiresAt: string | null; roles: string | null; impersonatorIsAdmin: 0 | 1 }) | undefined
      if (row === undefined) return undefined
      const now = clock().getTime()
      const { adminExpiresAt, roles: roleList, impersonatorIsAdmin: isAdmin, ...session } = row
      const roles = roleList === null ? [] : roleList.split(',')
      const impersonatorIsAdmin = isAdmin === 1
      const expired =
        now >= Date.parse(session.expiresAt) ||
        now >= Date.parse(session.absoluteExpiresAt) ||
        // An impersonation ends with the admin's session: revoked (the row is gone) or expired,
        // idle or absolute (its idle expiry never passes its absolute one). Using the
        // impersonation does not keep the admin's session alive.
        (session.impersonatorSessionId !== null && (adminExpiresAt === null || now >= Date.parse(adminExpiresAt)))
      if (expired) {
        remove().run(session.id)
        return undefined
      }
      // Impersonation sessions never slide; others renew once half the idle time has passed,
      // which writes at most twice per idle period instead of on every request.
      if (session.impersonatorId === null && Date.parse(session.expiresAt) - now < settings.idleTimeoutMs / 2) {
        const expiresAt = new Date(Math.min(now + settings.idleTimeoutMs, Date.parse(session.absoluteExpiresAt))).toISOString()
        if (expiresAt !== session.expiresAt) {
          extend().run(expiresAt, session.id)
          return { session: { ...session, expiresAt }, roles, impersonatorIsAdmin, renewed: true }
        }
      }
      return { session, roles, impersonatorIsAdmin, renewed: false }
    },

    revoke(sessionId) {
      remove().run(sessionId)
    },

    revokeAllOf(userId) {
      return removeAll().run(userId).changes
    },
  }
}
