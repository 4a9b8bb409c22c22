import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ADMIN_ROUTE_IDS, adminRoutes, MAX_AUDIT_ENTRIES, type AdminRouteId } from '../../ir/routes/admin-routes.ts'
import type { AdminUserRouteId } from '../../ir/routes/admin-user-routes.ts'
import type { ProjectIR } from '../../ir/project-ir.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { AuditLog } from '../auth/audit-log.ts'
import type { RequestAuthResolver } from '../auth/request-auth.ts'
import type { RoleGrants } from '../auth/role-grants.ts'
import type { SessionStore } from '../auth/session-store.ts'
import type { UserDirectory } from '../auth/user-directory.ts'
import { registerContractRoutes, type RouteHandlers } from '../http/route-contract.ts'
import { userOperationHandlers, type UserAccounts } from './user-operations.ts'

/**
 * What the admin module needs from auth: who a request is, and the users, roles, sessions and
 * audit log it manages.
 *
 * @example
 * const { adminDeps } = await registerAuth(app, options)
 */
export interface AdminDeps {
  readonly model: ProjectIR
  readonly clock: () => Date
  readonly requests: Pick<RequestAuthResolver, 'authOf'>
  readonly users: Pick<UserDirectory, 'findById' | 'markVerified'>
  readonly grants: RoleGrants
  readonly sessions: Pick<SessionStore, 'revokeAllOf' | 'revoke'>
  readonly audit: AuditLog
  /** Queue the password-reset email (the link of POST /auth/password/forgot) to the user. */
  readonly sendPasswordReset: (user: { readonly id: string; readonly email: string }) => Promise<void>
}

/**
 * The admin API at /admin, as the route contract describes it (engine/ir/routes/admin-routes.ts):
 * role grants and sessions of users (with a users table) and the audit log. Each endpoint needs
 * the service key or an admin's own session (not an impersonation).
 *
 * @example
 * const auth = await registerAuth(app, options)
 * registerAdmin(app, auth.adminDeps, createUserAccounts(db, data, clock))
 */
export function registerAdmin(app: FastifyInstance, deps: AdminDeps, accounts: UserAccounts): void {
  registerContractRoutes(app, {
    ids: ADMIN_ROUTE_IDS,
    routes: adminRoutes(deps.model).routes,
    handlers: { ...adminHandlers(deps), ...userOperationHandlers(deps, accounts) },
    isAnonymous: (request) => deps.requests.authOf(request).actor.kind === 'anonymous',
  })
}

/** The service key, or an admin's own session (not an impersonation); anonymous callers never get here (the contract refuses them). */
export function requireAdmin(deps: AdminDeps, request: FastifyRequest): { readonly actorId: string | null } {
  const { actor } = deps.requests.authOf(request)
  if (actor.kind === 'system') return { actorId: null }
  if (actor.kind === 'anonymous') throw new KoyaError('KL_AUTH_REQUIRED', `${request.method} ${request.url.split('?')[0]} needs an admin's session or the service key.`)
  if (actor.impersonatorId === undefined && actor.roles.includes('admin')) return { actorId: actor.userId }
  throw new KoyaError('KL_AUTH_FORBIDDEN', 'The admin API needs the admin role.')
}

function adminHandlers(deps: AdminDeps): RouteHandlers<Exclude<AdminRouteId, AdminUserRouteId>> {
  const { grants, users, audit } = deps
  const userOf = (id: string) => {
    const user = users.findById(id)
    if (user === undefined) throw new KoyaError('KL_AUTH_USER_NOT_FOUND', 'No user has that id.')
    return user
  }
  return {
    async grantRole(request) {
      const { actorId } = requireAdmin(deps, request)
      const user = userOf((request.params as { id: string }).id)
      const { role } = request.body as { role: string }
      grants.grant(user.id, role, actorId, deps.clock())
      audit.record({ actorId, subjectId: user.id, action: 'role.grant', reason: null, requestId: request.id, detail: { role } })
      return { userId: user.id, roles: grants.rolesOf(user.id) }
    },

    async revokeRole(request) {
      const { actorId } = requireAdmin(deps, request)
      const { id, role } = request.params as { id: string; role: string }
      const user = userOf(id)
      grants.revoke(user.id, role)
      audit.record({ actorId, subjectId: user.id, action: 'role.revoke', reason: null, requestId: request.id, detail: { role } })
      return { userId: user.id, roles: grants.rolesOf(user.id) }
    },

    // Sign a user out everywhere (a stolen device, a departing employee): their impersonations
    // by admins end with them.
    async revokeSessions(request) {
      const { actorId } = requireAdmin(deps, request)
      const user = userOf((request.params as { id: string }).id)
      const revoked = deps.sessions.revokeAllOf(user.id)
      audit.record({ actorId, subjectId: user.id, action: 'sessions.revoke', reason: null, requestId: request.id, detail: { revoked } })
      return { userId: user.id, revoked }
    },

    async listAuditEntries(request) {
      requireAdmin(deps, request)
      const query = request.query as { actor?: string; subject?: string; action?: string; from?: string; to?: string; limit?: string }
      const limit = query.limit === undefined ? 100 : Number(query.limit)
      if (limit < 1 || limit > MAX_AUDIT_ENTRIES) throw new KoyaError('KL_API_BAD_PAGINATION', `limit must be between 1 and ${MAX_AUDIT_ENTRIES}.`)
      return audit.query({
        ...(query.actor !== undefined ? { actor: query.actor } : {}),
        ...(query.subject !== undefined ? { subject: query.subject } : {}),
        ...(query.action !== undefined ? { action: query.action } : {}),
        ...(query.from !== undefined ? { from: isoTime(query.from, 'from') } : {}),
        ...(query.to !== undefined ? { to: isoTime(query.to, 'to') } : {}),
        limit,
      })
    },
  }
}

/** A time filter as the log stores times (ISO 8601 UTC with milliseconds), so text order is time order. */
export function isoTime(value: string, name: string): string {
  const time = Date.parse(value)
  if (Number.isNaN(time)) throw new KoyaError('KL_API_BAD_REQUEST', `"${name}" is not a date-time: ${JSON.stringify(value)}.`, { hint: 'Write an ISO 8601 time, e.g. 2026-11-26T00:00:00Z.' })
  return new Date(time).toISOString()
}
