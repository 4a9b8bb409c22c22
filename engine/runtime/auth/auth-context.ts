import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ProjectIR } from '../../ir/project-ir.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import type { DataLayer } from '../data/data-layer.ts'
import type { AuditLog } from './audit-log.ts'
import type { AuthSettings, Env } from './auth-settings.ts'
import type { OneTimeTokens } from './one-time-tokens.ts'
import type { RateLimit, RateLimiter } from './rate-limiter.ts'
import type { RequestAuth, RequestAuthResolver } from './request-auth.ts'
import type { RoleGrants } from './role-grants.ts'
import type { IssuedSession, SessionStore } from './session-store.ts'
import type { UserDirectory, UserRecord } from './user-directory.ts'

/** The limits on sign-up, login and password reset, per client address and per account. */
export interface AuthRateLimits {
  readonly signupPerIp: RateLimit
  readonly signupPerAccount: RateLimit
  readonly loginPerIp: RateLimit
  /**
   * Login attempts per account and client address (and current-password checks at password
   * change), counted before the password is checked; a success clears them. Over it, that client
   * is locked out of that account, not the account's owner elsewhere (decision 46).
   */
  readonly loginFailuresPerAccount: RateLimit
  /**
   * Login attempts per account from all clients: the ceiling a spread-out guesser meets. Over
   * it, only a client with no failures on the account may still try (its owner's right password
   * gets through); a failure locks that client too.
   */
  readonly loginAttemptsPerAccount: RateLimit
  /** Forgot, reset and resend-verification requests. */
  readonly resetPerIp: RateLimit
  readonly resetPerAccount: RateLimit
}

export const DEFAULT_AUTH_RATE_LIMITS: AuthRateLimits = {
  signupPerIp: { max: 10, windowSeconds: 3600 },
  signupPerAccount: { max: 3, windowSeconds: 3600 },
  loginPerIp: { max: 30, windowSeconds: 600 },
  loginFailuresPerAccount: { max: 10, windowSeconds: 900 },
  loginAttemptsPerAccount: { max: 100, windowSeconds: 900 },
  resetPerIp: { max: 10, windowSeconds: 3600 },
  resetPerAccount: { max: 3, windowSeconds: 3600 },
}

/** Everything the auth routes share. */
export interface AuthContext {
  readonly db: SqliteDatabase
  readonly model: ProjectIR
  readonly data: DataLayer
  readonly env: Env
  readonly clock: () => Date
  readonly settings: AuthSettings
  readonly limits: AuthRateLimits
  readonly sessions: SessionStore
  readonly users: UserDirectory
  readonly grants: RoleGrants
  readonly audit: AuditLog
  readonly tokens: OneTimeTokens
  readonly limiter: RateLimiter
  readonly requests: RequestAuthResolver
  readonly verifyUnknownPassword: (password: string) => Promise<false>
}

/**
 * What the OAuth routes (engine/runtime/auth/oauth/routes.ts) get from the auth core: sessions,
 * users and the request's identity, without reaching into its tables.
 *
 * @example
 * export function registerOAuthRoutes(app: FastifyInstance, deps: OAuthRouteDeps): void {
 *   app.get('/auth/oauth/github/callback', async (request, reply) => {
 *     const user = deps.findUserByEmail(email) ?? (await deps.createUser({ email, emailVerified: true, displayName }))
 *     const session = await deps.startSession(reply, user.id)
 *     …
 *   })
 * }
 */
export interface OAuthRouteDeps {
  readonly db: SqliteDatabase
  readonly model: ProjectIR
  /** The environment settings are read from (client ids and secrets). */
  readonly env: Env
  readonly clock: () => Date
  /** The public URL (for redirect URIs) and cookie settings. */
  readonly settings: AuthSettings
  /** Start a session for the user: sets the session cookie on `reply` and returns the token, once. */
  startSession(reply: FastifyReply, userId: string): Promise<IssuedSession>
  /** The user with this email (normalized: trimmed, lower-cased), if any. */
  findUserByEmail(email: string): UserRecord | undefined
  findUserById(id: string): UserRecord | undefined
  /**
   * Insert a user without a password, as the system: `values` are columns of the users table
   * (`email` is normalized; the app's required columns must be given).
   *
   * @throws KoyaError KL_AUTH_EMAIL_TAKEN, KL_API_VALIDATION, KL_API_CONFLICT
   */
  createUser(values: Record<string, unknown>): Promise<UserRecord>
  /** The user's row as the API shows it (JSON text). */
  readUser(userId: string): string | undefined
  /** Who the request is (session, service key or anonymous). */
  authOf(request: FastifyRequest): RequestAuth
  /** Count a hit of a client address under a name; over the limit, throws KL_AUTH_RATE_LIMITED (429). */
  rateLimitAddress(name: string, ip: string, limit: RateLimit): void
}
