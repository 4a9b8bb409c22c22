import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AUTH_FIELDS } from '../../shared/auth-fields.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { AuthContext } from './auth-context.ts'

/** The admin API needs the service key or an admin's own session (not an impersonation). */
export function requireAdmin(ctx: AuthContext, request: FastifyRequest): { readonly actorId: string | null } {
  const { actor } = ctx.requests.authOf(request)
  if (actor.kind === 'system') return { actorId: null }
  if (actor.kind === 'anonymous') throw new KoyaError('KL_AUTH_REQUIRED', `${request.method} ${request.url.split('?')[0]} needs an admin's session or the service key.`)
  if (actor.impersonatorId === undefined && actor.roles.includes('admin')) return { actorId: actor.userId }
  throw new KoyaError('KL_AUTH_FORBIDDEN', 'The admin API needs the admin role.')
}

const MAX_AUDIT_ENTRIES = 1000

/** POST/DELETE /admin/users/:id/roles and DELETE /admin/users/:id/sessions (with a users table), and GET /admin/audit. */
export function registerAdminRoutes(app: FastifyInstance, ctx: AuthContext, hasUsers: boolean): void {
  if (hasUsers) registerRoleRoutes(app, ctx)
  registerAuditRoute(app, ctx)
}

function registerRoleRoutes(app: FastifyInstance, ctx: AuthContext): void {
  const { grants, users, audit } = ctx
  const role = { type: 'string', minLength: 1, maxLength: 64 }
  const idParams = { type: 'object', properties: { id: AUTH_FIELDS.userId, role } }
  const userOf = (id: string) => {
    const user = users.findById(id)
    if (user === undefined) throw new KoyaError('KL_AUTH_USER_NOT_FOUND', 'No user has that id.')
    return user
  }

  app.post(
    '/admin/users/:id/roles',
    { schema: { params: idParams, body: { type: 'object', properties: { role }, required: ['role'], additionalProperties: false } } },
    async (request) => {
      const { actorId } = requireAdmin(ctx, request)
      const user = userOf((request.params as { id: string }).id)
      const { role } = request.body as { role: string }
      grants.grant(user.id, role, actorId, ctx.clock())
      audit.record({ actorId, subjectId: user.id, action: 'role.grant', reason: null, requestId: request.id, detail: { role } })
      return { userId: user.id, roles: grants.rolesOf(user.id) }
    },
  )

  // Sign a user out everywhere (a stolen device, a departing employee): their impersonations
  // by admins end with them.
  app.delete('/admin/users/:id/sessions', { schema: { params: idParams } }, async (request) => {
    const { actorId } = requireAdmin(ctx, request)
    const user = userOf((request.params as { id: string }).id)
    const revoked = ctx.sessions.revokeAllOf(user.id)
    audit.record({ actorId, subjectId: user.id, action: 'sessions.revoke', reason: null, requestId: request.id, detail: { revoked } })
    return { userId: user.id, revoked }
  })

  app.delete('/admin/users/:id/roles/:role', { schema: { params: idParams } }, async (request) => {
    const { actorId } = requireAdmin(ctx, request)
    const { id, role } = request.params as { id: string; role: string }
    const user = userOf(id)
    grants.revoke(user.id, role)
    audit.record({ actorId, subjectId: user.id, action: 'role.revoke', reason: null, requestId: request.id, detail: { role } })
    return { userId: user.id, roles: grants.rolesOf(user.id) }
  })
}

function registerAuditRoute(app: FastifyInstance, ctx: AuthContext): void {
  const text = { type: 'string', minLength: 1, maxLength: 200 }
  app.get(
    '/admin/audit',
    { schema: { querystring: { type: 'object', properties: { actor: text, subject: text, action: text, from: text, to: text, limit: { type: 'string', pattern: '^[0-9]{1,4}$' } }, additionalProperties: false } } },
    async (request) => {
      requireAdmin(ctx, request)
      const query = request.query as { actor?: string; subject?: string; action?: string; from?: string; to?: string; limit?: string }
      const limit = query.limit === undefined ? 100 : Number(query.limit)
      if (limit < 1 || limit > MAX_AUDIT_ENTRIES) throw new KoyaError('KL_API_BAD_PAGINATION', `limit must be between 1 and ${MAX_AUDIT_ENTRIES}.`)
      return ctx.audit.query({
        ...(query.actor !== undefined ? { actor: query.actor } : {}),
        ...(query.subject !== undefined ? { subject: query.subject } : {}),
        ...(query.action !== undefined ? { action: query.action } : {}),
        ...(query.from !== undefined ? { from: isoTime(query.from, 'from') } : {}),
        ...(query.to !== undefined ? { to: isoTime(query.to, 'to') } : {}),
        limit,
      })
    },
  )
}

/** A time filter as the log stores times (ISO 8601 UTC with milliseconds), so text order is time order. */
function isoTime(value: string, name: string): string {
  const time = Date.parse(value)
  if (Number.isNaN(time)) throw new KoyaError('KL_API_BAD_REQUEST', `"${name}" is not a date-time: ${JSON.stringify(value)}.`, { hint: 'Write an ISO 8601 time, e.g. 2026-11-26T00:00:00Z.' })
  return new Date(time).toISOString()
}
