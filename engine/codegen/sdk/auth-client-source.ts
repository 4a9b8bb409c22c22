import type { ProjectIR, TableIR } from '../../ir/project-ir.ts'
import { literal } from '../ts-types.ts'
import type { ClientMember } from './print-client.ts'

/**
 * The SDK's `auth` and `admin` namespaces: sign-up, login, sessions, email verification,
 * passwords and impersonation at /auth, role grants and the audit log at /admin. The app's part
 * (the user row, what sign-up takes, the roles, the OAuth providers) is printed from the IR; the
 * clients are the same for every app. Both exist only when the app has a users table.
 */

/** The users table, when the app has one: without it there is no one to sign in. */
export function usersTableOf(ir: ProjectIR): TableIR | undefined {
  return ir.tables.find((t) => t.isUsers)
}

/** `koya.auth` and `koya.admin`. */
export function authMembers(ir: ProjectIR): ClientMember[] {
  if (usersTableOf(ir) === undefined) return []
  return [
    { name: 'auth', doc: 'Sign-up, login and the session at /auth; keeps the session token and sends it with every request.', type: 'AuthClient', create: 'new AuthClient(transport, slot)' },
    { name: 'admin', doc: 'Role grants and the audit log at /admin: an admin\'s session or the service key.', type: 'AdminClient', create: 'new AdminClient(transport)' },
  ]
}

/** The names `koya.*` reserves besides the tables. */
export const AUTH_MEMBER_NAMES: readonly string[] = ['auth', 'admin']

/** The app's types for the auth namespaces; empty without a users table. */
export function printAuthTypes(ir: ProjectIR): string {
  const users = usersTableOf(ir)
  if (users === undefined) return ''
  const providers = (['github', 'google'] as const).filter((name) => ir.auth.oauth[name] !== null)
  return [
    '// ─── Auth: the app\'s part ──────────────────────────────────────────────────────────────────────',
    '',
    `/** A user as the auth endpoints answer with it: a row of ${users.name}. */`,
    `export type AuthUser = ${users.typeName}`,
    '',
    `/** What signup takes: the columns of a new row of ${users.name} (emailVerified is set by the server), and a password. */`,
    `export type AuthSignupInput = Omit<${users.typeName}Insert, 'emailVerified'> & { password: string }`,
    '',
    '/** The roles of the app (defineConfig({ roles })); admin always exists. */',
    `export type AuthRole = ${[...ir.roles].map(literal).join(' | ') || 'never'}`,
    '',
    '/** The OAuth providers the app signs in with (auth.oauth). */',
    `export type AuthOAuthProvider = ${providers.map(literal).join(' | ') || 'never'}`,
    '',
  ].join('\n')
}

/**
 * The auth and admin clients, printed verbatim when the app has a users table. Written as
 * String.raw text: the SDK code in it uses no backticks and no template literals.
 */
export const authClientSource = String.raw`
// ─── Auth: /auth ────────────────────────────────────────────────────────────────────────────────

/** A session the server issued: its token (sent as 'Authorization: Bearer <token>') and when it lapses unless used. */
export interface AuthSession {
  token: string
  /** ISO 8601, UTC. Using the session moves it forward, up to the app's absolute timeout. */
  expiresAt: string
}

export interface AuthSignupResult {
  user: AuthUser
  /** The new user is signed in at once; with email verification on, user.emailVerified stays false until the emailed link is used. */
  session: AuthSession
}

export interface AuthLoginResult {
  user: AuthUser
  session: AuthSession
}

/** The signed-in user, their roles and the session; impersonator is set while an admin acts as the user. */
export interface AuthSessionInfo {
  user: AuthUser
  roles: AuthRole[]
  session: { createdAt: string; expiresAt: string; absoluteExpiresAt: string }
  impersonator?: { id: string; email: string; reason: string | null }
}

export interface AuthImpersonation {
  /** The user the admin now acts as. */
  user: AuthUser
  /** The impersonation session: short-lived, never renewed, every write audited. */
  session: AuthSession
  impersonator: { id: string }
}

/**
 * koya.auth: sign-up, login and the session. A session token the server issues (signup, login,
 * changePassword, impersonate) is kept and sent with every later request; logout forgets it.
 *
 * @example
 * const { user } = await koya.auth.login({ email, password })
 * const info = await koya.auth.session()
 * await koya.auth.logout()
 */
export class AuthClient {
  readonly #transport: KoyaTransport
  readonly #slot: TokenSlot

  constructor(transport: KoyaTransport, slot: TokenSlot) {
    this.#transport = transport
    this.#slot = slot
  }

  /** Creates an account and signs in. Throws KL_AUTH_EMAIL_TAKEN or KL_AUTH_WEAK_PASSWORD. */
  async signup(input: AuthSignupInput): Promise<AuthSignupResult> {
    const result = (await this.#send('POST', '/auth/signup', input)) as AuthSignupResult
    this.#slot.current = result.session.token
    return result
  }

  /** Signs in and keeps the session token. Throws KL_AUTH_INVALID_CREDENTIALS or KL_AUTH_RATE_LIMITED. */
  async login(credentials: { email: string; password: string }): Promise<AuthLoginResult> {
    const result = (await this.#send('POST', '/auth/login', credentials)) as AuthLoginResult
    this.#slot.current = result.session.token
    return result
  }

  /** Ends this session on the server, and forgets its token here even if the server cannot be reached. */
  async logout(): Promise<void> {
    try {
      await this.#send('POST', '/auth/logout')
    } finally {
      this.#forget()
    }
  }

  /** Ends every session of the user, on every device; returns how many ended. */
  async logoutAll(): Promise<{ revoked: number }> {
    const result = (await this.#send('POST', '/auth/logout-all')) as { revoked: number }
    this.#forget()
    return result
  }

  /** Who is signed in. Throws KL_AUTH_REQUIRED (401) without a live session. */
  async session(): Promise<AuthSessionInfo> {
    return (await this.#send('GET', '/auth/session')) as AuthSessionInfo
  }

  /** Marks the email verified with the token from the verification email's link. Throws KL_AUTH_INVALID_TOKEN. */
  async verifyEmail(token: string): Promise<{ user: AuthUser }> {
    return (await this.#send('POST', '/auth/verify-email', { token })) as { user: AuthUser }
  }

  /** Sends a new verification email. Answers alike whether or not the address has an account. */
  async resendVerification(email: string): Promise<void> {
    await this.#send('POST', '/auth/verify-email/resend', { email })
  }

  /** Sends a password reset email. Answers alike whether or not the address has an account. */
  async forgotPassword(email: string): Promise<void> {
    await this.#send('POST', '/auth/password/forgot', { email })
  }

  /** Sets a new password with the token from the reset email's link; every session of the user ends. */
  async resetPassword(input: { token: string; password: string }): Promise<void> {
    await this.#send('POST', '/auth/password/reset', input)
  }

  /** Changes the password: every session ends, and the new one the server issues is kept. */
  async changePassword(input: { currentPassword: string; newPassword: string }): Promise<AuthSession> {
    const result = (await this.#send('POST', '/auth/password/change', input)) as { session: AuthSession }
    this.#slot.current = result.session.token
    return result.session
  }

  /**
   * Acts as another user (an admin's own session only; the reason goes into the audit log). The
   * client sends the impersonation token until stopImpersonating.
   */
  async impersonate(input: { userId: string; reason: string }): Promise<AuthImpersonation> {
    const result = (await this.#send('POST', '/auth/impersonate', input)) as AuthImpersonation
    this.#slot.saved ??= { token: this.#slot.current }
    this.#slot.current = result.session.token
    return result
  }

  /** Ends the impersonation and goes back to the admin's own session. */
  async stopImpersonating(): Promise<void> {
    await this.#send('POST', '/auth/impersonate/stop')
    this.#slot.current = this.#slot.saved === undefined ? null : this.#slot.saved.token
    this.#slot.saved = undefined
  }

  /**
   * The address to send the browser to for signing in with a provider; after the callback it
   * lands on redirectTo (a path of the app, or an address the app allows), signed in by cookie.
   */
  oauthUrl(provider: AuthOAuthProvider, options: { redirectTo?: string } = {}): string {
    const params: (readonly [string, string])[] = options.redirectTo === undefined ? [] : [['redirectTo', options.redirectTo]]
    return this.#transport.urlOf('/auth/oauth/' + encodeURIComponent(provider), params)
  }

  /** The token the client sends now, or null: to keep a session across page loads, store it and pass it to createClient. */
  async getToken(): Promise<string | null> {
    const token = typeof this.#slot.current === 'function' ? await this.#slot.current() : this.#slot.current
    return token ?? null
  }

  /** Sends this token from now on (null: none). */
  setToken(token: string | null): void {
    this.#slot.current = token
    this.#slot.saved = undefined
  }

  #forget(): void {
    this.#slot.current = null
    this.#slot.saved = undefined
  }

  async #send(method: 'GET' | 'POST', path: string, body?: object): Promise<unknown> {
    return (await this.#transport.request(body === undefined ? { method, path } : { method, path, body })).body
  }
}

// ─── Admin: /admin ──────────────────────────────────────────────────────────────────────────────

export interface AuthRoleGrants {
  userId: string
  /** The user's roles after the change. */
  roles: AuthRole[]
}

/** One entry of the audit log. */
export interface AuthAuditEntry {
  id: string
  /** ISO 8601, UTC. */
  at: string
  /** Who acted: the admin (also while impersonating); null for the service key. */
  actorId: string | null
  /** Whom it concerned: the impersonated user, the user whose roles changed. */
  subjectId: string | null
  action: 'impersonation.start' | 'impersonation.stop' | 'impersonation.write' | 'role.grant' | 'role.revoke' | (string & {})
  reason: string | null
  requestId: string | null
  detail: { [key: string]: JsonValue } | null
}

export interface AuthAuditFilter {
  /** Entries by this actor (a user id). */
  actor?: string
  /** Entries about this user. */
  subject?: string
  action?: AuthAuditEntry['action']
  /** ISO 8601, inclusive. */
  from?: string
  /** ISO 8601, exclusive. */
  to?: string
  /** 1 to 1000; default 100. */
  limit?: number
}

/**
 * koya.admin: role grants and the audit log. Needs an admin's own session (not an
 * impersonation) or the service key; otherwise KL_AUTH_REQUIRED or KL_AUTH_FORBIDDEN.
 *
 * @example
 * await koya.admin.grantRole(userId, 'support')
 * const recent = await koya.admin.audit({ action: 'impersonation.start', limit: 20 })
 */
export class AdminClient {
  readonly #transport: KoyaTransport

  constructor(transport: KoyaTransport) {
    this.#transport = transport
  }

  /** Grants the user a role; returns their roles. Throws KL_AUTH_USER_NOT_FOUND or KL_AUTH_UNKNOWN_ROLE. */
  async grantRole(userId: string, role: AuthRole): Promise<AuthRoleGrants> {
    return (await this.#transport.request({ method: 'POST', path: this.#rolesPath(userId), body: { role } })).body as AuthRoleGrants
  }

  /** Takes a role from the user; returns their roles. */
  async revokeRole(userId: string, role: AuthRole): Promise<AuthRoleGrants> {
    return (await this.#transport.request({ method: 'DELETE', path: this.#rolesPath(userId) + '/' + encodeURIComponent(role) })).body as AuthRoleGrants
  }

  /** Signs the user out everywhere: every session ends. Returns how many did. */
  async revokeSessions(userId: string): Promise<{ userId: string; revoked: number }> {
    return (await this.#transport.request({ method: 'DELETE', path: '/admin/users/' + encodeURIComponent(userId) + '/sessions' })).body as { userId: string; revoked: number }
  }

  /** The audit log, newest first, filtered. */
  async audit(filter: AuthAuditFilter = {}): Promise<AuthAuditEntry[]> {
    const params: (readonly [string, string])[] = []
    for (const name of ['actor', 'subject', 'action', 'from', 'to', 'limit'] as const) {
      const value = filter[name]
      if (value !== undefined) params.push([name, String(value)])
    }
    return (await this.#transport.request({ method: 'GET', path: '/admin/audit', params })).body as AuthAuditEntry[]
  }

  #rolesPath(userId: string): string {
    return '/admin/users/' + encodeURIComponent(userId) + '/roles'
  }
}
`
