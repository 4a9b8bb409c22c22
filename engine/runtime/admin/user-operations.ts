import type { FastifyRequest } from 'fastify'
import type { AdminUserRouteId } from '../../ir/routes/admin-user-routes.ts'
import { MAX_USER_SEARCH } from '../../ir/routes/admin-user-routes.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import { lazyStatement } from '../auth/lazy-statement.ts'
import type { DataLayer } from '../data/data-layer.ts'
import type { Where } from '../data/query.ts'
import type { RouteHandlers } from '../http/route-contract.ts'
import { requireAdmin, type AdminDeps } from './admin-routes.ts'

/** A live session as the dashboard lists it: its id is the SHA-256 of the token, never the token. */
export interface AdminUserSession {
  readonly id: string
  readonly createdAt: string
  readonly expiresAt: string
  readonly impersonatorId: string | null
  readonly reason: string | null
}

/** A user as the dashboard shows them. */
export interface AdminUser {
  readonly id: string
  readonly email: string
  readonly emailVerified: boolean
  readonly roles: readonly string[]
  readonly sessions: readonly AdminUserSession[]
}

/** The users and their sessions, read for the admin's user operations. */
export interface UserAccounts {
  /** Users whose email contains `q` or whose id is `q`, by email, after `after`. Roles and sessions are left empty: the caller adds them. */
  search(filter: { readonly q?: string; readonly after?: string; readonly limit: number }): { id: string; email: string; emailVerified: boolean }[]
  /** The live sessions of these users, newest first, by user id. */
  sessionsOf(userIds: readonly string[]): Map<string, AdminUserSession[]>
}

const SYSTEM = { kind: 'system' } as const

/**
 * Users through the data layer (the users table is an application table), their sessions from
 * `_koya_sessions` (the auth module's own table), on the server's clock.
 *
 * @example
 * const accounts = createUserAccounts(db, data, () => new Date())
 * accounts.search({ q: 'ada', limit: 25 })
 */
export function createUserAccounts(db: SqliteDatabase, data: DataLayer, clock: () => Date): UserAccounts {
  const usersTable = [...data.model.tables.values()].find((table) => table.ir.isUsers)?.name
  const live = lazyStatement(db, `SELECT "id", "userId", "createdAt", "expiresAt", "impersonatorId", "reason" FROM "_koya_sessions"
    WHERE "userId" IN (SELECT "value" FROM json_each(?)) AND "expiresAt" > ? AND "absoluteExpiresAt" > ? ORDER BY "createdAt" DESC, "id"`)
  return {
    search({ q, after, limit }) {
      if (usersTable === undefined) return []
      const where: Where[] = []
      // `%` and `_` in `q` are taken literally: escaped for LIKE is not expressible in the neutral
      // query, so a `q` holding them is matched as a plain substring in JavaScript instead.
      const literal = q !== undefined && /[%_\\]/.test(q)
      if (q !== undefined && !literal) where.push({ kind: 'or', where: [{ kind: 'compare', column: 'email', operator: 'ilike', value: `%${q}%` }, { kind: 'compare', column: 'id', operator: 'eq', value: q }] })
      if (after !== undefined) where.push({ kind: 'compare', column: 'email', operator: 'gt', value: after })
      const select = (['id', 'email', 'emailVerified'] as const).map((column) => ({ kind: 'column', column }) as const)
      const page = (offset: number, size: number) =>
        data.list(SYSTEM, { table: usersTable, select, ...(where.length > 0 ? { where: { kind: 'and', where } } : {}), orderBy: [{ column: 'email' }, { column: 'id' }], limit: size, offset }, { as: 'objects' }).rows as unknown as { id: string; email: string; emailVerified: boolean }[]
      if (!literal) return page(0, limit)
      const needle = q.toLowerCase()
      const found: { id: string; email: string; emailVerified: boolean }[] = []
      for (let offset = 0; found.length < limit; offset += 500) {
        const rows = page(offset, 500)
        found.push(...rows.filter((row) => row.id === q || row.email.toLowerCase().includes(needle)))
        if (rows.length < 500) break
      }
      return found.slice(0, limit)
    },
    sessionsOf(userIds) {
      const now = clock().toISOString()
      const byUser = new Map<string, AdminUserSession[]>(userIds.map((id) => [id, []]))
      const rows = live().all(JSON.stringify(userIds), now, now) as (AdminUserSession & { userId: string })[]
      for (const { userId, ...session } of rows) byUser.get(userId)?.push(session)
      return byUser
    },
  }
}

/**
 * The handlers of the admin's user operations (engine/ir/routes/admin-user-routes.ts): each
 * change is recorded in the audit log with the acting admin and the request id.
 *
 * @example
 * registerContractRoutes(app, { ids, routes, handlers: { ...adminHandlers(deps), ...userOperationHandlers(deps, accounts) }, isAnonymous })
 */
export function userOperationHandlers(deps: AdminDeps, accounts: UserAccounts): RouteHandlers<AdminUserRouteId> {
  const { users, grants, audit } = deps
  const userOf = (request: FastifyRequest) => {
    const user = users.findById((request.params as { id: string }).id)
    if (user === undefined) throw new KoyaError('KL_AUTH_USER_NOT_FOUND', 'No user has that id.')
    return user
  }
  const withDetail = (found: readonly { id: string; email: string; emailVerified: boolean }[]): AdminUser[] => {
    const sessions = accounts.sessionsOf(found.map((user) => user.id))
    return found.map((user) => ({ id: user.id, email: user.email, emailVerified: user.emailVerified, roles: grants.rolesOf(user.id), sessions: sessions.get(user.id) ?? [] }))
  }
  return {
    async searchUsers(request) {
      requireAdmin(deps, request)
      const query = request.query as { q?: string; after?: string; limit?: string }
      const limit = query.limit === undefined ? 25 : Number(query.limit)
      if (limit < 1 || limit > MAX_USER_SEARCH) throw new KoyaError('KL_API_BAD_PAGINATION', `limit must be between 1 and ${MAX_USER_SEARCH}.`)
      const found = accounts.search({ ...(query.q !== undefined ? { q: query.q } : {}), ...(query.after !== undefined ? { after: query.after } : {}), limit })
      return { users: withDetail(found) }
    },

    async verifyUserEmail(request) {
      const { actorId } = requireAdmin(deps, request)
      const user = userOf(request)
      users.markVerified(user.id)
      audit.record({ actorId, subjectId: user.id, action: 'user.verify-email', reason: null, requestId: request.id, detail: { wasVerified: user.emailVerified } })
      return withDetail([{ ...user, emailVerified: true }])[0]
    },

    async sendPasswordReset(request, reply) {
      const { actorId } = requireAdmin(deps, request)
      const user = userOf(request)
      await deps.sendPasswordReset(user)
      audit.record({ actorId, subjectId: user.id, action: 'user.password-reset', reason: null, requestId: request.id, detail: null })
      return reply.code(202).send({ userId: user.id, queued: true })
    },

    async revokeSession(request) {
      const { actorId } = requireAdmin(deps, request)
      const user = userOf(request)
      const { sessionId } = request.params as { sessionId: string }
      const live = accounts.sessionsOf([user.id]).get(user.id) ?? []
      if (!live.some((session) => session.id === sessionId)) throw new KoyaError('KL_API_NOT_FOUND', 'The user has no live session with that id.', { hint: 'List the user\'s sessions with GET /admin/users?q=<user id>.' })
      deps.sessions.revoke(sessionId)
      audit.record({ actorId, subjectId: user.id, action: 'session.revoke', reason: null, requestId: request.id, detail: { sessionId } })
      return { userId: user.id, sessionId }
    },
  }
}
