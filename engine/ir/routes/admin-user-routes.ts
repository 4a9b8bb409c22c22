import { AUTH_FIELDS } from '../../shared/auth-fields.ts'
import { err } from './auth-routes.ts'
import { componentRef, type RouteContract, type RouteError, type RouteParameter, type RouteSchema } from './route-contract.ts'

/**
 * The admin's user operations at /admin/users (engine/runtime/admin/user-operations.ts): search
 * users with their live sessions, mark an address verified, send a password reset, end one
 * session. Part of the Admin group (admin-routes.ts), with a users table only. Deleting a user is
 * the compliance module's `DELETE /admin/users/:id` (after its export, `GET /admin/users/:id/export`).
 */

export const ADMIN_USER_ROUTE_IDS = ['searchUsers', 'verifyUserEmail', 'sendPasswordReset', 'revokeSession'] as const
export type AdminUserRouteId = (typeof ADMIN_USER_ROUTE_IDS)[number]

/** The most users one search answers with. */
export const MAX_USER_SEARCH = 100

const adminErrors: readonly RouteError[] = [
  err(401, 'Neither an admin\'s session nor the service key came with the request', 'KL_AUTH_REQUIRED'),
  err(403, 'The signed-in user is not an admin (or is impersonating), or the origin is not trusted', 'KL_AUTH_FORBIDDEN', 'KL_AUTH_CSRF'),
]
const userNotFound = err(404, 'No user has this id', 'KL_AUTH_USER_NOT_FOUND')

/**
 * @example
 * adminUserRoutes('Admin').map((route) => route.path) // ['/admin/users', '/admin/users/:id/verify-email', …]
 */
export function adminUserRoutes(tag: string): RouteContract<AdminUserRouteId>[] {
  const userId: RouteParameter = { name: 'id', description: 'The user\'s `id`.', schema: AUTH_FIELDS.userId }
  const adminUser = componentRef('AdminUser')
  return [
    {
      id: 'searchUsers',
      method: 'GET',
      path: '/admin/users',
      tag,
      summary: 'Search users',
      description: 'Users whose email contains `q` (case-insensitive) or whose id is `q`, by email, each with their roles and live sessions (impersonations of them included). Keyset pages: pass the last email as `after`.',
      auth: 'admin',
      query: [
        { name: 'q', description: 'Part of an email, or a user id. Absent: every user.', schema: { type: 'string', minLength: 1, maxLength: 200 } },
        { name: 'after', description: 'Users whose email sorts after this one (the last email of the previous page).', schema: { type: 'string', minLength: 1, maxLength: 320 } },
        { name: 'limit', description: `At most this many users (1 to ${MAX_USER_SEARCH}; default 25).`, schema: { type: 'string', pattern: '^[0-9]{1,3}$' } },
      ],
      responses: [{ status: 200, description: 'The users found.', schema: { type: 'object', properties: { users: { type: 'array', items: adminUser } }, required: ['users'] } }],
      errors: [err(400, 'The limit is out of range, or a parameter is unknown', 'KL_API_BAD_PAGINATION', 'KL_API_VALIDATION'), ...adminErrors],
      sdk: { namespace: 'admin', name: 'users', doc: 'Users whose email contains `q` (or whose id is `q`), with their roles and live sessions.', input: { kind: 'query', type: 'AdminUserFilter' }, returns: '{ users: AdminUser[] }', token: 'none' },
    },
    {
      id: 'verifyUserEmail',
      method: 'POST',
      path: '/admin/users/:id/verify-email',
      tag,
      summary: 'Mark an email verified',
      description: 'Mark the user\'s address verified without the emailed link (they proved it another way); recorded in the audit log.',
      auth: 'admin',
      params: [userId],
      responses: [{ status: 200, description: 'The user now.', schema: adminUser }],
      errors: [...adminErrors, userNotFound],
      sdk: { namespace: 'admin', name: 'verifyUserEmail', doc: 'Marks the user\'s email verified; returns the user.', input: { kind: 'none' }, paramArgs: { id: { name: 'userId', type: 'string' } }, returns: 'AdminUser', token: 'none' },
    },
    {
      id: 'sendPasswordReset',
      method: 'POST',
      path: '/admin/users/:id/password-reset',
      tag,
      summary: 'Send a password reset',
      description: 'Email the user a password-reset link (the same one `POST /auth/password/forgot` sends); recorded in the audit log. The admin never sees the link.',
      auth: 'admin',
      params: [userId],
      responses: [{ status: 202, description: 'The email is queued.', schema: { type: 'object', properties: { userId: { type: 'string' }, queued: { type: 'boolean', const: true } }, required: ['userId', 'queued'] } }],
      errors: [...adminErrors, userNotFound],
      sdk: { namespace: 'admin', name: 'sendPasswordReset', doc: 'Emails the user a password-reset link.', input: { kind: 'none' }, paramArgs: { id: { name: 'userId', type: 'string' } }, returns: '{ userId: string; queued: true }', token: 'none' },
    },
    {
      id: 'revokeSession',
      method: 'DELETE',
      path: '/admin/users/:id/sessions/:sessionId',
      tag,
      summary: 'End one session',
      description: 'End one session of the user (one device), and the impersonations started from it; recorded in the audit log.',
      auth: 'admin',
      params: [userId, { name: 'sessionId', description: 'The session\'s `id`, as `GET /admin/users` lists it.', schema: { type: 'string', pattern: '^[0-9a-f]{64}$' } }],
      responses: [{ status: 200, description: 'The session ended.', schema: { type: 'object', properties: { userId: { type: 'string' }, sessionId: { type: 'string' } }, required: ['userId', 'sessionId'] } }],
      errors: [err(400, 'A parameter does not match the schema', 'KL_API_VALIDATION'), ...adminErrors, err(404, 'No user has this id, or the user has no live session with this id', 'KL_AUTH_USER_NOT_FOUND', 'KL_API_NOT_FOUND')],
      sdk: { namespace: 'admin', name: 'revokeSession', doc: 'Ends one session of the user.', input: { kind: 'none' }, paramArgs: { id: { name: 'userId', type: 'string' }, sessionId: { name: 'sessionId', type: 'string' } }, returns: '{ userId: string; sessionId: string }', token: 'none' },
    },
  ]
}

/** The component schemas the user operations answer with. */
export function adminUserSchemas(roles: readonly string[]): Record<string, RouteSchema> {
  return {
    AdminUser: {
      type: 'object',
      description: 'A user as the admin dashboard shows them.',
      properties: {
        id: { type: 'string' },
        email: { type: 'string' },
        emailVerified: { type: 'boolean' },
        roles: { type: 'array', items: { type: 'string', enum: [...roles] } },
        sessions: {
          type: 'array',
          description: 'Live sessions, newest first. The id is the SHA-256 of the token, never the token.',
          items: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              createdAt: { type: 'string', format: 'date-time' },
              expiresAt: { type: 'string', format: 'date-time' },
              impersonatorId: { type: ['string', 'null'], description: 'Set when an admin acts as this user through the session.' },
              reason: { type: ['string', 'null'], description: 'The impersonation\'s reason.' },
            },
            required: ['id', 'createdAt', 'expiresAt', 'impersonatorId', 'reason'],
          },
        },
      },
      required: ['id', 'email', 'emailVerified', 'roles', 'sessions'],
    },
  }
}
