import type { SqliteDatabase } from '../../shared/sqlite.ts'
import { lazyStatement } from './lazy-statement.ts'
import { generateToken, hashToken } from './tokens.ts'

export type OneTimeTokenKind = 'verify-email' | 'reset-password'

/** How long an emailed link works. */
export const ONE_TIME_TOKEN_LIFETIME_MS: Record<OneTimeTokenKind, number> = {
  'verify-email': 24 * 60 * 60 * 1000,
  'reset-password': 60 * 60 * 1000,
}

export interface OneTimeTokens {
  /** A new token for the user (earlier ones of the kind stop working). Returns the token, once. */
  issue(kind: OneTimeTokenKind, userId: string, email: string, now: Date): string
  /**
   * Use a token: it is deleted whatever the outcome, and answers its user only if it was
   * unexpired and issued for the address the user still has.
   */
  consume(kind: OneTimeTokenKind, token: string, now: Date, currentEmailOf: (userId: string) => string | undefined): string | undefined
  /** Make every outstanding token of the kind for the user stop working. */
  revokeAllOf(kind: OneTimeTokenKind, userId: string): void
}

/**
 * Email verification and password reset tokens: random, stored as SHA-256, single use, expiring.
 *
 * @example
 * const token = tokens.issue('reset-password', user.id, user.email, clock())
 */
export function createOneTimeTokens(db: SqliteDatabase): OneTimeTokens {
  const insert = lazyStatement(db, 'INSERT INTO "_koya_tokens" ("id", "kind", "userId", "email", "createdAt", "expiresAt") VALUES (?, ?, ?, ?, ?, ?)')
  const removeOfUser = lazyStatement(db, 'DELETE FROM "_koya_tokens" WHERE "userId" = ? AND "kind" = ?')
  const removeExpired = lazyStatement(db, 'DELETE FROM "_koya_tokens" WHERE "expiresAt" <= ?')
  // RETURNING through .all(): see PITFALLS (WAL checkpoints).
  const take = lazyStatement(db, 'DELETE FROM "_koya_tokens" WHERE "id" = ? AND "kind" = ? RETURNING "userId", "email", "expiresAt"')
  return {
    issue(kind, userId, email, now) {
      const token = generateToken()
      db.transaction(() => {
        removeExpired().run(now.toISOString())
        removeOfUser().run(userId, kind)
        insert().run(hashToken(token), kind, userId, email, now.toISOString(), new Date(now.getTime() + ONE_TIME_TOKEN_LIFETIME_MS[kind]).toISOString())
      })()
      return token
    },
    consume(kind, token, now, currentEmailOf) {
      const row = take().all(hashToken(token), kind)[0] as { userId: string; email: string; expiresAt: string } | undefined
      if (row === undefined || now.getTime() >= Date.parse(row.expiresAt)) return undefined
      return currentEmailOf(row.userId) === row.email ? row.userId : undefined
    },
    revokeAllOf(kind, userId) {
      removeOfUser().run(userId, kind)
    },
  }
}
