import { AUTH_FIELDS } from '../../shared/auth-fields.ts'
import type { ProjectIR } from '../project-ir.ts'
import { ADMIN_USER_ROUTE_IDS, adminUserRoutes, adminUserSchemas } from './admin-user-routes.ts'
import { err, usersTableOf } from './auth-routes.ts'
import { componentRef, type RouteContract, type RouteError, type RouteGroup, type RouteParameter, type RouteSchema } from './route-contract.ts'

/**
 * The /admin endpoints (engine/runtime/admin): role grants and sessions of users (with a users
 * table) and the audit log (always). An admin's own session or the service key.
 */

export const ADMIN_ROUTE_IDS = ['grantRole', 'revokeRole', 'revokeSessions', 'listAuditEntries', ...ADMIN_USER_ROUTE_IDS] as const
export type AdminRouteId = (typeof ADMIN_ROUTE_IDS)[number]

export const ADMIN_TAG = 'Admin'

/** The most entries one audit query answers with. */
export const MAX_AUDIT_ENTRIES = 1000

const AUDIT_ACTIONS = ['impersonation.start', 'impersonation.stop', 'impersonation.write', 'role.grant', 'role.revoke', 'sessions.revoke', 'session.revoke', 'user.verify-email', 'user.password-reset']

/** Not an enum of the app's roles: an undeclared one answers KL_AUTH_UNKNOWN_ROLE, which says more than a validation error. */
function roleSchema(ir: ProjectIR): RouteSchema {
  return { type: 'string', minLength: 1, maxLength: 64, description: `One of the app's roles (defineConfig({ roles })): ${ir.roles.map((r) => `\`${r}\``).join(', ')}.` }
}

const adminErrors: readonly RouteError[] = [
  err(401, 'Neither an admin\'s session nor the service key came with the request', 'KL_AUTH_REQUIRED'),
  err(403, 'The signed-in user is not an admin (or is impersonating), or the origin is not trusted', 'KL_AUTH_FORBIDDEN', 'KL_AUTH_CSRF'),
]
const userNotFound = err(404, 'No user has this id', 'KL_AUTH_USER_NOT_FOUND')

/**
 * The /admin group of an app.
 *
 * @example
 * adminRoutes(ir).routes.map((route) => route.id) // ['grantRole', 'revokeRole', 'revokeSessions', 'listAuditEntries']
 */
export function adminRoutes(ir: ProjectIR): RouteGroup<AdminRouteId> {
  const userId: RouteParameter = { name: 'id', description: 'The user\'s `id`.', schema: AUTH_FIELDS.userId }
  const roleGrants = componentRef('AuthRoleGrants')
  const userRoutes: RouteContract<AdminRouteId>[] = [
    {
      id: 'grantRole',
      method: 'POST',
      path: '/admin/users/:id/roles',
      tag: ADMIN_TAG,
      summary: 'Grant a role',
      description: 'Give the user one of the app\'s roles; recorded in the audit log.',
      auth: 'admin',
      params: [userId],
      body: { description: 'The role.', schema: { type: 'object', properties: { role: roleSchema(ir) }, required: ['role'], additionalProperties: false } },
      responses: [{ status: 200, description: 'The user\'s roles now.', schema: roleGrants }],
      errors: [err(400, 'The role is not declared, or the body does not match the schema', 'KL_AUTH_UNKNOWN_ROLE', 'KL_API_VALIDATION'), ...adminErrors, userNotFound],
      sdk: { namespace: 'admin', name: 'grantRole', doc: 'Grants the user a role; returns their roles. Throws KL_AUTH_USER_NOT_FOUND or KL_AUTH_UNKNOWN_ROLE.', input: { kind: 'bodyRest', fields: [{ name: 'role', type: 'AuthRole' }] }, paramArgs: { id: { name: 'userId', type: 'string' } }, returns: 'AuthRoleGrants', token: 'none' },
    },
    {
      id: 'revokeRole',
      method: 'DELETE',
      path: '/admin/users/:id/roles/:role',
      tag: ADMIN_TAG,
      summary: 'Revoke a role',
      description: 'Take a role from the user; recorded in the audit log.',
      auth: 'admin',
      params: [userId, { name: 'role', description: 'The role to take away.', schema: roleSchema(ir) }],
      responses: [{ status: 200, description: 'The user\'s roles now.', schema: roleGrants }],
      errors: [err(400, 'The role is not declared, or a parameter does not match the schema', 'KL_AUTH_UNKNOWN_ROLE', 'KL_API_VALIDATION'), ...adminErrors, userNotFound],
      sdk: { namespace: 'admin', name: 'revokeRole', doc: 'Takes a role from the user; returns their roles.', input: { kind: 'none' }, paramArgs: { id: { name: 'userId', type: 'string' }, role: { name: 'role', type: 'AuthRole' } }, returns: 'AuthRoleGrants', token: 'none' },
    },
    {
      id: 'revokeSessions',
      method: 'DELETE',
      path: '/admin/users/:id/sessions',
      tag: ADMIN_TAG,
      summary: 'Sign a user out everywhere',
      description: 'End every session of the user (and impersonations of them); recorded in the audit log.',
      auth: 'admin',
      params: [userId],
      responses: [{ status: 200, description: 'How many sessions ended.', schema: { type: 'object', properties: { userId: { type: 'string' }, revoked: { type: 'integer', minimum: 0 } }, required: ['userId', 'revoked'] } }],
      errors: [...adminErrors, userNotFound],
      sdk: { namespace: 'admin', name: 'revokeSessions', doc: 'Signs the user out everywhere: every session ends. Returns how many did.', input: { kind: 'none' }, returns: '{ userId: string; revoked: number }', paramArgs: { id: { name: 'userId', type: 'string' } }, token: 'none' },
    },
  ]
  const text = (description: string): RouteSchema => ({ type: 'string', minLength: 1, maxLength: 200, description })
  const audit: RouteContract<AdminRouteId> = {
    id: 'listAuditEntries',
    method: 'GET',
    path: '/admin/audit',
    tag: ADMIN_TAG,
    summary: 'Audit log',
    description: 'Impersonations (start, stop, every write), role changes and sessions revoked by an admin, newest first.',
    auth: 'admin',
    query: [
      { name: 'actor', description: 'Entries by this user id.', schema: text('A user id.') },
      { name: 'subject', description: 'Entries about this user id.', schema: text('A user id.') },
      { name: 'action', description: `One action: ${AUDIT_ACTIONS.map((a) => `\`${a}\``).join(', ')}.`, schema: text('An action.') },
      { name: 'from', description: 'From this time, inclusive (ISO 8601).', schema: text('An ISO 8601 time, e.g. 2026-11-26T00:00:00Z.') },
      { name: 'to', description: 'Up to this time, exclusive (ISO 8601).', schema: text('An ISO 8601 time.') },
      { name: 'limit', description: `At most this many entries (1 to ${MAX_AUDIT_ENTRIES}; default 100).`, schema: { type: 'string', pattern: '^[0-9]{1,4}$' } },
    ],
    responses: [{ status: 200, description: 'The entries.', schema: { type: 'array', items: componentRef('AuthAuditEntry') } }],
    errors: [
      err(400, 'A time is not ISO 8601, the limit is out of range, or a parameter is unknown', 'KL_API_BAD_REQUEST', 'KL_API_BAD_PAGINATION', 'KL_API_VALIDATION'),
      err(401, 'Neither an admin\'s session nor the service key came with the request', 'KL_AUTH_REQUIRED'),
      err(403, 'The signed-in user is not an admin (or is impersonating)', 'KL_AUTH_FORBIDDEN'),
    ],
    sdk: { namespace: 'admin', name: 'audit', doc: 'The audit log, newest first, filtered.', input: { kind: 'query', type: 'AuthAuditFilter' }, returns: 'AuthAuditEntry[]', token: 'none' },
  }
  return {
    tag: { name: ADMIN_TAG, description: 'Role grants, sessions and the audit log. Needs an admin\'s own session (not an impersonation) or the service key.' },
    routes: [...(usersTableOf(ir) === undefined ? [] : [...userRoutes, ...adminUserRoutes(ADMIN_TAG)]), audit],
    schemas: adminSchemas(ir, usersTableOf(ir) !== undefined),
  }
}

function adminSchemas(ir: ProjectIR, hasUsers: boolean): Record<string, RouteSchema> {
  return {
    ...(hasUsers ? { AuthRoleGrants: { type: 'object', properties: { userId: { type: 'string' }, roles: { type: 'array', items: { type: 'string', enum: [...ir.roles] } } }, required: ['userId', 'roles'] }, ...adminUserSchemas(ir.roles) } : {}),
    AuthAuditEntry: {
      type: 'object',
      description: 'One entry of the audit log. Entries keep user ids, not references: they outlive the users they name.',
      properties: {
        id: { type: 'string' },
        at: { type: 'string', format: 'date-time', description: 'When it happened.' },
        actorId: { type: ['string', 'null'], description: 'Who acted (the admin, also while impersonating); null for the service key.' },
        subjectId: { type: ['string', 'null'], description: 'Whom it concerned.' },
        action: { type: 'string', examples: AUDIT_ACTIONS },
        reason: { type: ['string', 'null'] },
        requestId: { type: ['string', 'null'] },
        detail: { type: ['object', 'null'], description: 'What else is known: the role granted, the write\'s method, URL and status.' },
      },
      required: ['id', 'at', 'actorId', 'subjectId', 'action', 'reason', 'requestId', 'detail'],
    },
  }
}
