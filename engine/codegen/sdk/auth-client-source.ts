import { privacyTypesSource } from './privacy-types-source.ts'
import type { ProjectIR } from '../../ir/project-ir.ts'
import { oauthProvidersOf, signupIsUniform, usersTableOf } from '../../ir/routes/auth-routes.ts'
import type { RouteGroup } from '../../ir/routes/route-contract.ts'
import { literal } from '../ts-types.ts'
import type { ClientMember } from './print-client.ts'
import { namespaceMembers, printNamespaceClasses, type NamespaceExtras } from './print-namespaces.ts'

/**
 * The SDK's `auth` and `admin` namespaces. Their methods are printed from the route contract
 * (engine/ir/routes, print-namespaces.ts); here are the types they use (the app's part printed
 * from the IR, the rest the same for every app) and the helpers that send no request.
 */

export { usersTableOf }

/** The names `koya.*` reserves besides the tables, for an app with and without a users table. */
export function reservedMemberNames(ir: ProjectIR): string[] {
  return usersTableOf(ir) === undefined ? ['admin'] : ['auth', 'admin']
}

const EXTRAS: Record<string, NamespaceExtras> = {
  auth: {
    memberDoc: 'Sign-up, login and the session at /auth; keeps the session token and sends it with every request.',
    classDoc: [
      'koya.auth: sign-up, login and the session. A session token the server issues (login,',
      'changePassword, impersonate; signup when it signs in) is kept and sent with every later',
      'request; logout forgets it.',
      '',
      '@example',
      'const { user } = await koya.auth.login({ email, password })',
      'const info = await koya.auth.session()',
      'await koya.auth.logout()',
    ],
    members: String.raw`
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
  }`,
    usesSlot: true,
  },
  admin: {
    memberDoc: "Role grants, sessions and the audit log at /admin: an admin's session or the service key.",
    classDoc: [
      "koya.admin: role grants, sessions and the audit log. Needs an admin's own session (not an",
      'impersonation) or the service key; otherwise KL_AUTH_REQUIRED or KL_AUTH_FORBIDDEN.',
      '',
      '@example',
      "const recent = await koya.admin.audit({ action: 'impersonation.start', limit: 20 })",
    ],
    members: '',
    usesSlot: false,
  },
}

/** `koya.auth` and `koya.admin`, as the contract has them. */
export function authMembers(groups: readonly RouteGroup[]): ClientMember[] {
  return namespaceMembers(groups, EXTRAS)
}

/** The types and classes of the contract's namespaces. */
export function printAuthSections(ir: ProjectIR, groups: readonly RouteGroup[]): string[] {
  const users = usersTableOf(ir) !== undefined
  return [printAppAuthTypes(ir), ...(users ? [authTypesSource, privacyTypesSource] : []), adminTypesSource, printNamespaceClasses(groups, EXTRAS)]
}

/** The app's types for the namespaces: the roles always; with a users table the user, sign-up and OAuth types. */
export function printAppAuthTypes(ir: ProjectIR): string {
  const users = usersTableOf(ir)
  const roles = [
    '/** The roles of the app (defineConfig({ roles })); admin always exists. */',
    `export type AuthRole = ${[...ir.roles].map(literal).join(' | ') || 'never'}`,
    '',
  ]
  if (users === undefined) return ['// ─── Auth: the app\'s part ──────────────────────────────────────────────────────────────────────', '', ...roles].join('\n')
  const signupResult = signupIsUniform(ir)
    ? ['/** What signup answers: the app verifies email, so the answer is the same whether or not the address has an account, and nobody is signed in. */', 'export interface AuthSignupResult {', '  ok: true', '}']
    : ['export interface AuthSignupResult {', '  user: AuthUser', '  /** The new user is signed in at once. */', '  session: AuthSession', '}']
  return [
    '// ─── Auth: the app\'s part ──────────────────────────────────────────────────────────────────────',
    '',
    `/** A user as the auth endpoints answer with it: a row of ${users.name}. */`,
    `export type AuthUser = ${users.typeName}`,
    '',
    `/** What signup takes: the columns of a new row of ${users.name} (emailVerified is set by the server), and a password. */`,
    `export type AuthSignupInput = Omit<${users.typeName}Insert, 'emailVerified'> & { password: string }`,
    '',
    ...signupResult,
    '',
    ...roles,
    '/** The OAuth providers the app signs in with (auth.oauth). */',
    `export type AuthOAuthProvider = ${oauthProvidersOf(ir).map(literal).join(' | ') || 'never'}`,
    '',
  ].join('\n')
}

/** The declarations printAppAuthTypes makes, whatever the app (its output varies only after the `=` or inside the braces). */
export const APP_AUTH_TYPE_NAMES: readonly string[] = ['AuthUser', 'AuthSignupInput', 'AuthSignupResult', 'AuthRole', 'AuthOAuthProvider']

/** The auth types the same for every app with a users table. */
export const authTypesSource = String.raw`
// ─── Auth: /auth ────────────────────────────────────────────────────────────────────────────────

/** A session the server issued: its token (sent as 'Authorization: Bearer <token>') and when it lapses unless used. */
export interface AuthSession {
  token: string
  /** ISO 8601, UTC. Using the session moves it forward, up to the app's absolute timeout. */
  expiresAt: string
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
`

/** The admin types the same for every app. */
export const adminTypesSource = String.raw`
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
  action: 'impersonation.start' | 'impersonation.stop' | 'impersonation.write' | 'role.grant' | 'role.revoke' | 'sessions.revoke' | (string & {})
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

/** A user as the admin dashboard shows them (admin.users). */
export interface AdminUser {
  id: string
  email: string
  emailVerified: boolean
  roles: AuthRole[]
  /** Live sessions, newest first; the id is the SHA-256 of the token, never the token. */
  sessions: { id: string; createdAt: string; expiresAt: string; impersonatorId: string | null; reason: string | null }[]
}

export interface AdminUserFilter {
  /** Part of an email (case-insensitive), or a user id. */
  q?: string
  /** Users whose email sorts after this one (the last email of the previous page). */
  after?: string
  /** 1 to 100; default 25. */
  limit?: number
}

// ─── Jobs: /admin/jobs, /admin/emails ──────────────────────────────────────────────────────────

/** One run of the queue: a job ("job:<name>") or an email ("email"). Times are ISO 8601, UTC. */
export interface JobRun {
  id: number
  kind: string
  status: 'pending' | 'running' | 'done' | 'dead' | 'cancelled'
  payload: JsonValue
  priority: number
  /** Runs so far. */
  attempts: number
  maxAttempts: number
  /** Not before this time (the next retry, after a failed attempt). */
  runAt: string
  createdAt: string
  startedAt: string | null
  finishedAt: string | null
  /** What the run last reported with ctx.progress(…). */
  progress: JsonValue
  result: JsonValue
  /** The code and message of the last failed attempt. */
  lastError: string | null
  uniqueKey: string | null
  /** The cron slot (wall time in the job's zone) of a scheduled run. */
  slot: string | null
  groupKey: string | null
}

export interface JobRunFilter {
  /** A job's name, or "email". */
  name?: string
  status?: JobRun['status']
  /** Runs with a smaller id (the next page). */
  before?: number
  /** 1 to 1000; default 100. */
  limit?: number
}

/** An email the mail catcher kept (no email API key configured). */
export interface CaughtEmail {
  id: number
  jobId: number | null
  tag: string | null
  from: string | null
  to: string[]
  subject: string
  html: string | null
  text: string | null
  createdAt: string
}

export interface CaughtEmailFilter {
  to?: string
  /** 1 to 1000; default 100. */
  limit?: number
}

// ─── Meta: /admin/meta, /admin/maintenance ────────────────────────────────────────────────────

/** The \`_koya_project\` record. */
export interface MetaProject {
  name: string
  environment: string
  /** When a server first served this database. */
  createdAt: string
  /** When a server last started on it. */
  servedAt: string
  /** Whether writes are refused (503 KL_API_MAINTENANCE). */
  maintenance: boolean
  maintenanceReason: string | null
}

/** A policy as written (TypeScript source and location) and as the SQL it became. */
export interface MetaPolicy {
  source: string
  at: { file: string; line: number; column: number }
  sql: string
  params: JsonValue[]
}

/** The schema as the server runs it. */
export interface MetaDescription {
  project: MetaProject | null
  roles: string[]
  tables: {
    name: string
    typeName: string
    isUsers: boolean
    columns: { name: string; type: string; nullable: boolean; unique: boolean; [key: string]: JsonValue }[]
    relations: { kind: 'belongsTo' | 'hasMany'; name: string; table: string; column: string }[]
    indexes: { name: string; columns: string[]; unique: boolean }[]
    search: { text: string[]; semantic: string[] } | null
    policies: { read: MetaPolicy | null; create: MetaPolicy | null; update: { using: MetaPolicy; check: MetaPolicy } | null; delete: MetaPolicy | null; strict: boolean }
  }[]
  migrations: { id: string; name: string; appliedAt: string }[]
  systemMigrations: { name: string; appliedAt: string }[]
}

/** One line of the server's log (admin.logs). */
export interface LogEntry {
  seq: number
  time: number
  level: number
  msg: string
  line: { [key: string]: JsonValue }
}

/** The last log lines of the server. */
export interface LogPage {
  written: number
  entries: LogEntry[]
}

/** Per-route figures over the last hour and the recent requests (admin.apiMonitor). */
export interface ApiMonitor {
  since: string
  routes: { method: string; route: string; requests: number; perMinute: number; errorRate: number; p50Ms: number | null; p95Ms: number | null; p99Ms: number | null }[]
  /** With tracing on, each request's traceId. */
  recent: { at: string; requestId: string; method: string; url: string; route: string; status: number; durationMs: number; userId: string | null; traceId?: string }[]
  /** KOYA_TRACE_URL: the trace viewer's URL with {traceId} where the id goes; null when unset. */
  traceUrl: string | null
}

/** Event-loop lag, memory, CPU, SQLite and the slowest statement shapes (admin.performance). */
export interface Performance {
  eventLoop: { meanMs: number; p50Ms: number; p99Ms: number; maxMs: number }
  memory: { rss: number; heapUsed: number; heapTotal: number; external: number }
  cpu: { userMicros: number; systemMicros: number; shareOfOneCore: number }
  sqlite: { fileBytes: number; walBytes: number; pageSize: number; pageCount: number; freePages: number; cacheSize: number; walAutocheckpoint: number; journalMode: string }
  statements: { count: number; totalMs: number; slowest: { sql: string; count: number; totalMs: number; meanMs: number; maxMs: number }[] }
}

/** The effective configuration (admin.config): environment variable names and whether each is set, never values. */
export interface EffectiveConfig {
  app: string
  environment: string
  config: { [key: string]: JsonValue }
  env: { name: string; set: boolean; secret: boolean; usedBy: string }[]
  roles: string[]
  access: { table: string; operation: string; policy: string | null }[]
}

/** One koyalite command run against the project (admin.cliHistory). */
export interface CliCommandRun {
  id: number
  at: string
  command: string
  args: string[]
  user: string
  exitCode: number
  durationMs: number
}
`
