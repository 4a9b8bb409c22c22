import type { ProjectIR, TableIR } from '../../ir/project-ir.ts'
import { AUTH_FIELDS, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../shared/auth-fields.ts'
import type { KoyaErrorCode } from '../../shared/errors.ts'
import { insertSchema, type JsonSchema } from '../json-schema/column-schemas.ts'
import type { OperationObject, ParameterObject, PathItemObject, ResponseObject, TagObject } from './openapi-types.ts'
import { json, schemaRef } from './shared-components.ts'

/**
 * The auth endpoints of an app with a users table: /auth (sign-up, login, sessions, email
 * verification, passwords, impersonation, OAuth) and /admin (role grants, the audit log), as
 * the runtime serves them (engine/runtime/auth). Each error response names its codes; a test
 * checks every status against the runtime's code → status map.
 */

/** Capitalized, so that no table (lower case) can take them. */
export const AUTH_TAG = 'Auth'
export const ADMIN_TAG = 'Admin'

export const AUTH_TAGS: readonly TagObject[] = [
  { name: AUTH_TAG, description: 'Sign-up, login and sessions, email verification, passwords, impersonation and OAuth sign-in. A session token is sent as `Authorization: Bearer <token>`; browsers also get it in the HttpOnly session cookie, with which writes must come from a trusted origin.' },
  { name: ADMIN_TAG, description: 'Role grants and the audit log. Needs an admin\'s own session (not an impersonation) or the service key.' },
]

/** The component schemas the auth endpoints add, by role; `names` maps them to free component names. */
type AuthSchema = 'Session' | 'SignupRequest' | 'SignupResult' | 'LoginResult' | 'SessionInfo' | 'Impersonation' | 'RoleGrants' | 'AuditEntry'

const AUTH_SCHEMAS: readonly AuthSchema[] = ['Session', 'SignupRequest', 'SignupResult', 'LoginResult', 'SessionInfo', 'Impersonation', 'RoleGrants', 'AuditEntry']

export interface AuthDocument {
  readonly paths: Record<string, PathItemObject>
  readonly schemas: Record<string, JsonSchema>
}

/**
 * The /auth and /admin paths and the schemas they use, or nothing without a users table.
 * `taken` holds the component names already used (the tables' schemas, the error schema).
 */
export function buildAuthPaths(ir: ProjectIR, taken: ReadonlySet<string>, errorSchema: string): AuthDocument {
  const users = ir.tables.find((t) => t.isUsers)
  if (users === undefined) return { paths: {}, schemas: {} }
  // `AuthSession`, unless a table took it (a table `auth_sessions`): then `KoyaAuthSession`.
  const names = Object.fromEntries(AUTH_SCHEMAS.map((s) => [s, taken.has(`Auth${s}`) ? `KoyaAuth${s}` : `Auth${s}`])) as Record<AuthSchema, string>
  const ref = (s: AuthSchema) => schemaRef(names[s])
  const user = schemaRef(users.typeName)
  const error = (description: string, ...codes: KoyaErrorCode[]): ResponseObject => ({
    description: `${description} (${codes.map((c) => `\`${c}\``).join(', ')}).`,
    content: json(schemaRef(errorSchema)),
  })
  const rateLimited = error('Too many attempts from this address or for this account; `Retry-After` says how many seconds to wait', 'KL_AUTH_RATE_LIMITED')
  const required = error('No valid session came with the request', 'KL_AUTH_REQUIRED')
  const invalidBody = (...more: KoyaErrorCode[]) => error('The body does not match the schema', 'KL_API_VALIDATION', ...more)
  const csrf = error('A write with the session cookie came from an origin the app does not trust', 'KL_AUTH_CSRF')
  const ok = (description: string, schema: JsonSchema): ResponseObject => ({ description, content: json(schema) })
  const okTrue: JsonSchema = { type: 'object', properties: { ok: { type: 'boolean', const: true } }, required: ['ok'] }
  const body = (description: string, schema: JsonSchema) => ({ description, required: true, content: json(schema) })
  const email: JsonSchema = { ...AUTH_FIELDS.email, format: 'email', description: 'Compared trimmed and lower-cased.' }
  const token: JsonSchema = { ...AUTH_FIELDS.token, description: 'The `token` parameter of the emailed link.' }
  const object = (properties: Record<string, JsonSchema>, extra: JsonSchema = {}): JsonSchema => ({ type: 'object', properties, required: Object.keys(properties), additionalProperties: false, ...extra })
  const op = (id: string, tag: string, summary: string, description: string, rest: Omit<OperationObject, 'operationId' | 'tags' | 'summary' | 'description' | 'parameters'> & { parameters?: OperationObject['parameters'] }): OperationObject => ({
    operationId: id,
    tags: [tag],
    summary,
    description,
    parameters: rest.parameters ?? [],
    ...rest,
  })
  // Sign-up, login and the email links need no credentials.
  const open = { security: [] }

  const paths: Record<string, PathItemObject> = {
    '/auth/signup': {
      post: op('signup', AUTH_TAG, 'Sign up', `Create an account with a password and the app's own columns of \`${users.name}\`. The new user is signed in at once; when the app verifies email, a verification email is sent and \`emailVerified\` stays false until its link is used.`, {
        ...open,
        requestBody: body(`The columns of a new \`${users.name}\` row (\`emailVerified\` is set by the server) and a password.`, ref('SignupRequest')),
        responses: {
          '201': ok('Signed up and signed in.', ref('SignupResult')),
          '400': invalidBody('KL_AUTH_WEAK_PASSWORD'),
          '409': error('An account with this email exists', 'KL_AUTH_EMAIL_TAKEN'),
          '429': rateLimited,
        },
      }),
    },
    '/auth/login': {
      post: op('login', AUTH_TAG, 'Log in', 'Sign in with email and password. The session token is in the body and, for browsers, in the HttpOnly session cookie.', {
        ...open,
        requestBody: body('The credentials.', object({ email, password })),
        responses: {
          '200': ok('Signed in.', ref('LoginResult')),
          '400': invalidBody(),
          '401': error('The email or password is wrong', 'KL_AUTH_INVALID_CREDENTIALS'),
          '429': rateLimited,
        },
      }),
    },
    '/auth/logout': {
      post: op('logout', AUTH_TAG, 'Log out', 'End the session the request came with (and clear the cookie). Without a session it does nothing and still answers 204.', {
        responses: { '204': { description: 'Signed out.' }, '403': csrf },
      }),
    },
    '/auth/logout-all': {
      post: op('logoutAll', AUTH_TAG, 'Log out everywhere', 'End every session of the signed-in user, on every device.', {
        responses: {
          '200': ok('The sessions ended.', object({ revoked: { type: 'integer', minimum: 0, description: 'How many sessions ended.' } })),
          '401': required,
          '403': error('An impersonation cannot do this, or the origin is not trusted', 'KL_AUTH_IMPERSONATION', 'KL_AUTH_CSRF'),
        },
      }),
    },
    '/auth/session': {
      get: op('getSession', AUTH_TAG, 'Current session', 'The signed-in user, their roles and the session; `impersonator` is set while an admin acts as the user.', {
        responses: { '200': ok('The session.', ref('SessionInfo')), '401': required },
      }),
    },
    '/auth/verify-email': {
      post: op('verifyEmail', AUTH_TAG, 'Verify email', 'Mark the email verified with the token from the verification email. The token works once.', {
        ...open,
        requestBody: body('The token from the link.', object({ token })),
        responses: {
          '200': ok('Verified.', object({ user })),
          '400': error('The token is unknown, used or expired, or the body does not match the schema', 'KL_AUTH_INVALID_TOKEN', 'KL_API_VALIDATION'),
          '429': rateLimited,
        },
      }),
    },
    '/auth/verify-email/resend': {
      post: op('resendVerification', AUTH_TAG, 'Resend the verification email', 'Send a new verification link. The answer is the same whether or not the address has an account.', {
        ...open,
        requestBody: body('The address.', object({ email })),
        responses: { '202': ok('Accepted.', okTrue), '400': invalidBody(), '429': rateLimited },
      }),
    },
    '/auth/password/forgot': {
      post: op('forgotPassword', AUTH_TAG, 'Forgot password', 'Send a password reset link. The answer is the same whether or not the address has an account.', {
        ...open,
        requestBody: body('The address.', object({ email })),
        responses: { '202': ok('Accepted.', okTrue), '400': invalidBody(), '429': rateLimited },
      }),
    },
    '/auth/password/reset': {
      post: op('resetPassword', AUTH_TAG, 'Reset password', 'Set a new password with the token from the reset email; every session of the user ends. The token works once.', {
        ...open,
        requestBody: body('The token from the link and the new password.', object({ token, password })),
        responses: {
          '200': ok('The password is set.', okTrue),
          '400': error('The token is unknown, used or expired, the password too weak, or the body does not match the schema', 'KL_AUTH_INVALID_TOKEN', 'KL_AUTH_WEAK_PASSWORD', 'KL_API_VALIDATION'),
          '429': rateLimited,
        },
      }),
    },
    '/auth/password/change': {
      post: op('changePassword', AUTH_TAG, 'Change password', 'Change the signed-in user\'s password: every session ends, and a new one is issued for this client.', {
        requestBody: body('The current and the new password.', object({ currentPassword: password, newPassword: password })),
        responses: {
          '200': ok('Changed; the new session.', object({ session: ref('Session') })),
          '400': invalidBody('KL_AUTH_WEAK_PASSWORD'),
          '401': error('No valid session, or the current password is wrong', 'KL_AUTH_REQUIRED', 'KL_AUTH_INVALID_CREDENTIALS'),
          '403': error('An impersonation cannot do this, or the origin is not trusted', 'KL_AUTH_IMPERSONATION', 'KL_AUTH_CSRF'),
          '429': rateLimited,
        },
      }),
    },
    '/auth/impersonate': {
      post: op('impersonate', AUTH_TAG, 'Impersonate a user', 'An admin acts as another user (never an admin, never themselves) for at most an hour, with a reason; the start, the end and every write are in the audit log. The answer carries a bearer token only: the admin\'s cookie session stays as it is.', {
        requestBody: body('Whom, and why (for the audit log).', object({ userId: AUTH_FIELDS.userId, reason: AUTH_FIELDS.reason })),
        responses: {
          '201': ok('The impersonation session.', ref('Impersonation')),
          '400': invalidBody(),
          '401': required,
          '403': error('Not an admin, or an impersonation that is not allowed', 'KL_AUTH_FORBIDDEN', 'KL_AUTH_IMPERSONATION', 'KL_AUTH_CSRF'),
          '404': error('No user has this id', 'KL_AUTH_USER_NOT_FOUND'),
        },
      }),
    },
    '/auth/impersonate/stop': {
      post: op('stopImpersonating', AUTH_TAG, 'Stop impersonating', 'End the impersonation session the request came with.', {
        responses: { '204': { description: 'Ended.' }, '401': required, '403': error('The session is not an impersonation', 'KL_AUTH_IMPERSONATION', 'KL_AUTH_CSRF') },
      }),
    },
    ...oauthPaths(ir, users, error),
    '/admin/users/{id}/roles': {
      post: op('grantRole', ADMIN_TAG, 'Grant a role', 'Give the user one of the app\'s roles; recorded in the audit log.', {
        parameters: [userIdParameter],
        requestBody: body('The role.', object({ role: roleSchema(ir) })),
        responses: {
          '200': ok('The user\'s roles now.', ref('RoleGrants')),
          '400': error('The role is not declared, or the body does not match the schema', 'KL_AUTH_UNKNOWN_ROLE', 'KL_API_VALIDATION'),
          ...adminErrors(error),
        },
      }),
    },
    '/admin/users/{id}/roles/{role}': {
      delete: op('revokeRole', ADMIN_TAG, 'Revoke a role', 'Take a role from the user; recorded in the audit log.', {
        parameters: [userIdParameter, { name: 'role', in: 'path', required: true, description: 'The role to take away.', schema: roleSchema(ir) }],
        responses: { '200': ok('The user\'s roles now.', ref('RoleGrants')), '400': invalidBody(), ...adminErrors(error) },
      }),
    },
    '/admin/users/{id}/sessions': {
      delete: op('revokeSessions', ADMIN_TAG, 'Sign a user out everywhere', 'End every session of the user (and impersonations of them); recorded in the audit log.', {
        parameters: [userIdParameter],
        responses: {
          '200': ok('How many sessions ended.', { type: 'object', properties: { userId: { type: 'string' }, revoked: { type: 'integer', minimum: 0 } }, required: ['userId', 'revoked'] }),
          ...adminErrors(error),
        },
      }),
    },
    '/admin/audit': {
      get: op('listAuditEntries', ADMIN_TAG, 'Audit log', 'Impersonations (start, stop, every write) and role changes, newest first.', {
        parameters: [
          query('actor', 'Entries by this user id.', { type: 'string', maxLength: 200 }),
          query('subject', 'Entries about this user id.', { type: 'string', maxLength: 200 }),
          query('action', 'One action: `impersonation.start`, `impersonation.stop`, `impersonation.write`, `role.grant`, `role.revoke`, `sessions.revoke`.', { type: 'string', maxLength: 200 }),
          query('from', 'From this time, inclusive (ISO 8601).', { type: 'string', format: 'date-time' }),
          query('to', 'Up to this time, exclusive (ISO 8601).', { type: 'string', format: 'date-time' }),
          query('limit', 'At most this many entries (1 to 1000; default 100).', { type: 'integer', minimum: 1, maximum: 1000 }),
        ],
        responses: {
          '200': ok('The entries.', { type: 'array', items: ref('AuditEntry') }),
          '400': error('A time is not ISO 8601, or the limit is out of range', 'KL_API_BAD_REQUEST', 'KL_API_BAD_PAGINATION', 'KL_API_VALIDATION'),
          '401': required,
          '403': error('The signed-in user is not an admin (or is impersonating)', 'KL_AUTH_FORBIDDEN'),
        },
      }),
    },
  }
  return { paths, schemas: authSchemas(users, names, ir) }
}

const userIdParameter: ParameterObject = { name: 'id', in: 'path', required: true, description: 'The user\'s `id`.', schema: AUTH_FIELDS.userId }

/** A password field: the length the server reads, and the rules it applies. */
const password: JsonSchema = { ...AUTH_FIELDS.password, description: `${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters (\`KL_AUTH_WEAK_PASSWORD\` otherwise).` }

function query(name: string, description: string, schema: JsonSchema): ParameterObject {
  return { name, in: 'query', required: false, description, schema }
}

function roleSchema(ir: ProjectIR): JsonSchema {
  return { type: 'string', enum: [...ir.roles], description: 'One of the app\'s roles (defineConfig({ roles })).' }
}

type ErrorResponseOf = (description: string, ...codes: KoyaErrorCode[]) => ResponseObject

function adminErrors(error: ErrorResponseOf): Record<string, ResponseObject> {
  return {
    '401': error('Neither an admin\'s session nor the service key came with the request', 'KL_AUTH_REQUIRED'),
    '403': error('The signed-in user is not an admin (or is impersonating), or the origin is not trusted', 'KL_AUTH_FORBIDDEN', 'KL_AUTH_CSRF'),
    '404': error('No user has this id', 'KL_AUTH_USER_NOT_FOUND'),
  }
}

/** GET /auth/oauth/{provider} and its callback, for the providers the app configures. */
function oauthPaths(ir: ProjectIR, users: TableIR, error: ErrorResponseOf): Record<string, PathItemObject> {
  const providers = (['github', 'google'] as const).filter((name) => ir.auth.oauth[name] !== null)
  if (providers.length === 0) return {}
  const provider: ParameterObject = { name: 'provider', in: 'path', required: true, description: 'The sign-in provider.', schema: { type: 'string', enum: [...providers] } }
  const location = { Location: { description: 'Where the browser goes next.', schema: { type: 'string', format: 'uri' } } }
  const unknown = error('The provider is not one the app signs in with, or its client id or secret is not set', 'KL_AUTH_OAUTH_UNKNOWN_PROVIDER', 'KL_AUTH_OAUTH_NOT_CONFIGURED')
  return {
    '/auth/oauth/{provider}': {
      get: {
        operationId: 'startOAuth',
        tags: [AUTH_TAG],
        summary: 'Sign in with a provider',
        description: 'Open this in the browser: it goes to the provider with a fresh state and PKCE challenge (kept in short-lived HttpOnly cookies), and comes back to the callback.',
        parameters: [
          provider,
          query('redirectTo', 'Where to land after signing in: a path of the app (`/tasks`), an address on its public URL, a trusted origin or under an entry of `auth.redirects`. Default: the public URL.', { type: 'string', maxLength: 2048 }),
        ],
        security: [],
        responses: {
          '302': { description: 'To the provider\'s authorization page.', headers: location },
          '400': error('redirectTo is not an address of the app', 'KL_AUTH_REDIRECT_NOT_ALLOWED', 'KL_API_VALIDATION'),
          '404': unknown,
        },
      },
    },
    '/auth/oauth/{provider}/callback': {
      get: {
        operationId: 'finishOAuth',
        tags: [AUTH_TAG],
        summary: 'Provider callback',
        description: [
          'The provider sends the browser here. The state must match the one this browser started with; the code is exchanged with the PKCE verifier, and the provider\'s profile signs in:',
          `the account linked to this provider account; else the \`${users.name}\` row with the same email, only when both the provider and the account verified it; else a new account. Then the browser goes to redirectTo, signed in by the session cookie.`,
        ].join(' '),
        parameters: [
          provider,
          query('code', 'The authorization code.', { type: 'string', maxLength: 2048 }),
          query('state', 'The state the sign-in started with.', { type: 'string', maxLength: 512 }),
          query('error', 'Set by the provider instead of code when the user did not authorize the app.', { type: 'string', maxLength: 256 }),
        ],
        security: [],
        responses: {
          '302': { description: 'Signed in; to redirectTo.', headers: location },
          '400': error(
            'The state does not match, the user declined, the code was refused, the provider gave no email, or redirectTo is not allowed',
            'KL_AUTH_OAUTH_STATE',
            'KL_AUTH_OAUTH_DENIED',
            'KL_AUTH_OAUTH_CODE_REJECTED',
            'KL_AUTH_OAUTH_NO_EMAIL',
            'KL_AUTH_REDIRECT_NOT_ALLOWED',
          ),
          '403': error('The provider did not verify the email address, so no account is created or linked', 'KL_AUTH_OAUTH_EMAIL_UNVERIFIED'),
          '404': unknown,
          '409': error('An account with this email exists but never verified it, so it is not linked', 'KL_AUTH_OAUTH_LINK_REFUSED'),
          '422': error('A new account would lack a required column of the users table', 'KL_AUTH_OAUTH_SIGNUP_INCOMPLETE'),
          '429': error('Too many sign-ins from this address', 'KL_AUTH_RATE_LIMITED'),
          '502': error('The provider could not be reached or answered unexpectedly', 'KL_AUTH_OAUTH_PROVIDER_ERROR'),
        },
      },
    },
  }
}

function authSchemas(users: TableIR, names: Record<AuthSchema, string>, ir: ProjectIR): Record<string, JsonSchema> {
  const user = schemaRef(users.typeName)
  const ref = (s: AuthSchema) => schemaRef(names[s])
  const insert = insertSchema(users) as { properties: Record<string, JsonSchema>; required: string[] }
  const { emailVerified: _set, ...columns } = insert.properties
  const time = (description: string): JsonSchema => ({ type: 'string', format: 'date-time', description })
  const roles: JsonSchema = { type: 'array', items: { type: 'string', enum: [...ir.roles] } }
  const schemas: Record<AuthSchema, JsonSchema> = {
    Session: {
      type: 'object',
      description: 'A session: send its token as `Authorization: Bearer <token>`.',
      properties: { token: { type: 'string', description: 'Shown once; the server keeps only its hash.' }, expiresAt: time('When it lapses unless used; using it moves this forward, up to the absolute timeout.') },
      required: ['token', 'expiresAt'],
    },
    SignupRequest: {
      type: 'object',
      description: `What sign-up takes: the columns of a new \`${users.name}\` row, except \`emailVerified\`, and a password.`,
      properties: { ...columns, password },
      required: [...insert.required.filter((c) => c !== 'emailVerified'), 'password'],
      additionalProperties: false,
    },
    SignupResult: {
      type: 'object',
      properties: {
        user,
        session: ref('Session'),
      },
      required: ['user', 'session'],
    },
    LoginResult: { type: 'object', properties: { user, session: ref('Session') }, required: ['user', 'session'] },
    SessionInfo: {
      type: 'object',
      properties: {
        user,
        roles,
        session: {
          type: 'object',
          properties: { createdAt: time('When the session started.'), expiresAt: time('When it lapses unless used.'), absoluteExpiresAt: time('When it ends whatever happens.') },
          required: ['createdAt', 'expiresAt', 'absoluteExpiresAt'],
        },
        impersonator: {
          type: 'object',
          description: 'Set while an admin impersonates the user.',
          properties: { id: { type: 'string' }, email: { type: 'string' }, reason: { type: ['string', 'null'] } },
          required: ['id', 'email', 'reason'],
        },
      },
      required: ['user', 'roles', 'session'],
    },
    Impersonation: {
      type: 'object',
      properties: { user, session: ref('Session'), impersonator: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } },
      required: ['user', 'session', 'impersonator'],
    },
    RoleGrants: { type: 'object', properties: { userId: { type: 'string' }, roles }, required: ['userId', 'roles'] },
    AuditEntry: {
      type: 'object',
      description: 'One entry of the audit log. Entries keep user ids, not references: they outlive the users they name.',
      properties: {
        id: { type: 'string' },
        at: time('When it happened.'),
        actorId: { type: ['string', 'null'], description: 'Who acted (the admin, also while impersonating); null for the service key.' },
        subjectId: { type: ['string', 'null'], description: 'Whom it concerned.' },
        action: { type: 'string', examples: ['impersonation.start', 'impersonation.stop', 'impersonation.write', 'role.grant', 'role.revoke'] },
        reason: { type: ['string', 'null'] },
        requestId: { type: ['string', 'null'] },
        detail: { type: ['object', 'null'], description: 'What else is known: the role granted, the write\'s method, URL and status.' },
      },
      required: ['id', 'at', 'actorId', 'subjectId', 'action', 'reason', 'requestId', 'detail'],
    },
  }
  return Object.fromEntries(AUTH_SCHEMAS.map((s) => [names[s], schemas[s]]))
}
