import { AUTH_FIELDS, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../shared/auth-fields.ts'
import type { KoyaErrorCode } from '../../shared/errors.ts'
import type { ProjectIR, TableIR } from '../project-ir.ts'
import { componentRef, type RouteContract, type RouteError, type RouteGroup, type RouteResponse, type RouteSchema } from './route-contract.ts'

/**
 * The /auth endpoints of an app, as the runtime serves them (engine/runtime/auth) and as
 * OpenAPI and the SDK describe them: sign-up, login and sessions, email verification and
 * passwords (with email sign-in), impersonation, and OAuth sign-in (with a provider configured).
 */

/** Every /auth operation id. The runtime's handler table is a Record over it. */
export const AUTH_ROUTE_IDS = [
  'signup',
  'login',
  'logout',
  'logoutAll',
  'getSession',
  'verifyEmail',
  'verifyEmailPage',
  'resendVerification',
  'forgotPassword',
  'resetPassword',
  'resetPasswordPage',
  'changePassword',
  'impersonate',
  'stopImpersonating',
  'startOAuth',
  'finishOAuth',
] as const
export type AuthRouteId = (typeof AUTH_ROUTE_IDS)[number]

/** Capitalized, so that no table (lower case) can take it. */
export const AUTH_TAG = 'Auth'

/** What the contract needs besides the IR. */
export interface AuthRouteInputs {
  /**
   * The users table's insert schema (engine/codegen's insertSchema; the runtime reads it from
   * the generated route module): sign-up takes its columns.
   */
  readonly usersInsert: RouteSchema
}

/** The users table, when the app has one: without it there is no one to sign in. */
export function usersTableOf(ir: ProjectIR): TableIR | undefined {
  return ir.tables.find((table) => table.isUsers)
}

/** The OAuth providers the app configures. */
export function oauthProvidersOf(ir: ProjectIR): ('github' | 'google')[] {
  return (['github', 'google'] as const).filter((name) => ir.auth.oauth[name] !== null)
}

/** Whether sign-up answers uniformly (no session, no 409): email sign-in with verification on. */
export function signupIsUniform(ir: ProjectIR): boolean {
  return ir.auth.email.enabled && ir.auth.email.verify
}

export const err = (status: number, description: string, ...codes: KoyaErrorCode[]): RouteError => ({ status, description, codes })
const ok = (status: number, description: string, schema?: RouteSchema): RouteResponse => (schema === undefined ? { status, description } : { status, description, schema })
const object = (properties: Record<string, RouteSchema>): RouteSchema => ({ type: 'object', properties, required: Object.keys(properties), additionalProperties: false })
const okTrue: RouteSchema = { type: 'object', properties: { ok: { type: 'boolean', const: true } }, required: ['ok'] }

const rateLimited = err(429, 'Too many attempts from this address or for this account; `Retry-After` says how many seconds to wait', 'KL_AUTH_RATE_LIMITED')
const required = err(401, 'No valid session came with the request', 'KL_AUTH_REQUIRED')
const invalidBody = (...more: KoyaErrorCode[]) => err(400, 'The body does not match the schema', 'KL_API_VALIDATION', ...more)
const csrf = err(403, 'A write with the session cookie came from an origin the app does not trust', 'KL_AUTH_CSRF')

const email: RouteSchema = { ...AUTH_FIELDS.email, description: 'Compared trimmed and lower-cased.' }
const token: RouteSchema = { ...AUTH_FIELDS.token, description: 'The `token` parameter of the emailed link.' }
/** A password field: the length the server reads, and the rules it applies. */
const password: RouteSchema = { ...AUTH_FIELDS.password, description: `${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters (\`KL_AUTH_WEAK_PASSWORD\` otherwise).` }

/**
 * The /auth group of an app, or undefined without a users table.
 *
 * @example
 * const group = authRoutes(ir, { usersInsert: insertSchema(usersTable) })
 * group?.routes.find((route) => route.id === 'login')?.path // '/auth/login'
 */
export function authRoutes(ir: ProjectIR, inputs: AuthRouteInputs): RouteGroup<AuthRouteId> | undefined {
  const users = usersTableOf(ir)
  if (users === undefined) return undefined
  const user = componentRef(users.typeName)
  const routes: RouteContract<AuthRouteId>[] = [
    ...(ir.auth.email.enabled ? passwordRoutes(ir, users, inputs, user) : []),
    ...sessionRoutes(),
    ...impersonationRoutes(),
    ...oauthRoutes(ir),
  ]
  return {
    tag: {
      name: AUTH_TAG,
      description: 'Sign-up, login and sessions, email verification, passwords, impersonation and OAuth sign-in. A session token is sent as `Authorization: Bearer <token>`; browsers also get it in the HttpOnly session cookie, with which writes must come from a trusted origin.',
    },
    routes,
    schemas: authSchemas(ir, users, inputs, user),
  }
}

/** What sign-up takes: the users table's insert columns without `emailVerified` (only a link sets it), and a password. */
export function signupSchema(users: TableIR, usersInsert: RouteSchema): RouteSchema {
  const insert = usersInsert as { properties?: Record<string, RouteSchema>; required?: string[] }
  const { emailVerified: _verified, ...columns }: Record<string, RouteSchema> = insert.properties ?? { email: AUTH_FIELDS.email }
  return {
    type: 'object',
    description: `What sign-up takes: the columns of a new \`${users.name}\` row, except \`emailVerified\`, and a password.`,
    properties: { ...columns, password },
    required: [...new Set([...(insert.required ?? ['email']), 'password'])].filter((name) => name !== 'emailVerified'),
    additionalProperties: false,
  }
}

function passwordRoutes(ir: ProjectIR, users: TableIR, inputs: AuthRouteInputs, user: RouteSchema): RouteContract<AuthRouteId>[] {
  const uniform = signupIsUniform(ir)
  const signupAnswer: RouteResponse = uniform
    ? ok(202, 'Accepted: a new address gets a verification email, an address with an account gets a "someone tried to sign up" email. The answer is the same either way; sign in with `/auth/login`.', okTrue)
    : ok(201, 'Signed up and signed in.', componentRef('AuthSignupResult'))
  const page = (id: AuthRouteId, path: string, summary: string, description: string): RouteContract<AuthRouteId> => ({
    id,
    method: 'GET',
    path,
    tag: AUTH_TAG,
    summary,
    description: `${description} The page does nothing by itself (mail scanners open links): it posts the token back as a form.`,
    auth: 'public',
    // Open and loose: a link that does not work answers with a page saying so, not a JSON error.
    query: [{ name: 'token', description: 'The token of the emailed link.', schema: { type: 'string' } }],
    closedQuery: false,
    responses: [
      { status: 200, description: 'The page.', contentType: 'text/html' },
      { status: 400, description: 'A page saying the link is incomplete.', contentType: 'text/html' },
    ],
    errors: [],
  })
  return [
    {
      id: 'signup',
      method: 'POST',
      path: '/auth/signup',
      tag: AUTH_TAG,
      summary: 'Sign up',
      description: uniform
        ? `Create an account with a password and the app's own columns of \`${users.name}\`. The app verifies email, so the answer does not tell whether the address already has an account: a new address gets a verification email, an existing one an email to its owner; nobody is signed in. Sign in with \`/auth/login\` (\`emailVerified\` stays false until the link is used).`
        : `Create an account with a password and the app's own columns of \`${users.name}\`. The new user is signed in at once.`,
      auth: 'public',
      body: { description: `The columns of a new \`${users.name}\` row (\`emailVerified\` is set by the server) and a password.`, schema: signupSchema(users, inputs.usersInsert), component: 'AuthSignupRequest' },
      responses: [signupAnswer],
      errors: [invalidBody('KL_AUTH_WEAK_PASSWORD'), ...(uniform ? [] : [err(409, 'An account with this email exists', 'KL_AUTH_EMAIL_TAKEN')]), rateLimited],
      sdk: {
        namespace: 'auth',
        name: 'signup',
        doc: uniform
          ? 'Creates an account; answers alike whether or not the address has one, and signs nobody in (the app verifies email): sign in with login. Throws KL_AUTH_WEAK_PASSWORD.'
          : 'Creates an account and signs in. Throws KL_AUTH_EMAIL_TAKEN or KL_AUTH_WEAK_PASSWORD.',
        input: { kind: 'body', type: 'AuthSignupInput' },
        returns: 'AuthSignupResult',
        token: uniform ? 'none' : 'keep',
      },
    },
    {
      id: 'login',
      method: 'POST',
      path: '/auth/login',
      tag: AUTH_TAG,
      summary: 'Log in',
      description: 'Sign in with email and password. The session token is in the body and, for browsers, in the HttpOnly session cookie.',
      auth: 'public',
      body: { description: 'The credentials.', schema: object({ email, password }) },
      responses: [ok(200, 'Signed in.', componentRef('AuthLoginResult'))],
      errors: [invalidBody(), err(401, 'The email or password is wrong', 'KL_AUTH_INVALID_CREDENTIALS'), rateLimited],
      sdk: { namespace: 'auth', name: 'login', doc: 'Signs in and keeps the session token. Throws KL_AUTH_INVALID_CREDENTIALS or KL_AUTH_RATE_LIMITED.', input: { kind: 'body', type: '{ email: string; password: string }' }, returns: 'AuthLoginResult', token: 'keep' },
    },
    {
      id: 'verifyEmail',
      method: 'POST',
      path: '/auth/verify-email',
      tag: AUTH_TAG,
      summary: 'Verify email',
      description: 'Mark the email verified with the token from the verification email. The token works once. The link\'s page posts it as a form and gets a page back.',
      auth: 'public',
      body: { description: 'The token from the link.', schema: object({ token }), form: true },
      responses: [ok(200, 'Verified.', object({ user }))],
      errors: [err(400, 'The token is unknown, used or expired, or the body does not match the schema', 'KL_AUTH_INVALID_TOKEN', 'KL_API_VALIDATION'), rateLimited],
      sdk: { namespace: 'auth', name: 'verifyEmail', doc: 'Marks the email verified with the token from the verification email\'s link. Throws KL_AUTH_INVALID_TOKEN.', input: { kind: 'bodyField', field: 'token', type: 'string' }, returns: '{ user: AuthUser }', token: 'none' },
    },
    page('verifyEmailPage', '/auth/verify-email', 'Verification page', 'The page the verification email links to: a button that confirms the address.'),
    {
      id: 'resendVerification',
      method: 'POST',
      path: '/auth/verify-email/resend',
      tag: AUTH_TAG,
      summary: 'Resend the verification email',
      description: 'Send a new verification link. The answer is the same whether or not the address has an account.',
      auth: 'public',
      body: { description: 'The address.', schema: object({ email }) },
      responses: [ok(202, 'Accepted.', okTrue)],
      errors: [invalidBody(), rateLimited],
      sdk: { namespace: 'auth', name: 'resendVerification', doc: 'Sends a new verification email. Answers alike whether or not the address has an account.', input: { kind: 'bodyField', field: 'email', type: 'string' }, returns: 'void', token: 'none' },
    },
    {
      id: 'forgotPassword',
      method: 'POST',
      path: '/auth/password/forgot',
      tag: AUTH_TAG,
      summary: 'Forgot password',
      description: 'Send a password reset link. The answer is the same whether or not the address has an account.',
      auth: 'public',
      body: { description: 'The address.', schema: object({ email }) },
      responses: [ok(202, 'Accepted.', okTrue)],
      errors: [invalidBody(), rateLimited],
      sdk: { namespace: 'auth', name: 'forgotPassword', doc: 'Sends a password reset email. Answers alike whether or not the address has an account.', input: { kind: 'bodyField', field: 'email', type: 'string' }, returns: 'void', token: 'none' },
    },
    {
      id: 'resetPassword',
      method: 'POST',
      path: '/auth/password/reset',
      tag: AUTH_TAG,
      summary: 'Reset password',
      description: 'Set a new password with the token from the reset email; every session of the user ends. The token works once. The link\'s page posts it as a form and gets a page back.',
      auth: 'public',
      body: { description: 'The token from the link and the new password.', schema: object({ token, password }), form: true },
      responses: [ok(200, 'The password is set.', okTrue)],
      errors: [err(400, 'The token is unknown, used or expired, the password too weak, or the body does not match the schema', 'KL_AUTH_INVALID_TOKEN', 'KL_AUTH_WEAK_PASSWORD', 'KL_API_VALIDATION'), rateLimited],
      sdk: { namespace: 'auth', name: 'resetPassword', doc: 'Sets a new password with the token from the reset email\'s link; every session of the user ends.', input: { kind: 'body', type: '{ token: string; password: string }' }, returns: 'void', token: 'none' },
    },
    page('resetPasswordPage', '/auth/password/reset', 'Password reset page', 'The page the reset email links to: a field for the new password.'),
    {
      id: 'changePassword',
      method: 'POST',
      path: '/auth/password/change',
      tag: AUTH_TAG,
      summary: 'Change password',
      description: 'Change the signed-in user\'s password: every session ends, and a new one is issued for this client.',
      auth: 'session',
      body: { description: 'The current and the new password.', schema: object({ currentPassword: password, newPassword: password }) },
      responses: [ok(200, 'Changed; the new session.', object({ session: componentRef('AuthSession') }))],
      errors: [
        invalidBody('KL_AUTH_WEAK_PASSWORD'),
        err(401, 'No valid session, or the current password is wrong', 'KL_AUTH_REQUIRED', 'KL_AUTH_INVALID_CREDENTIALS'),
        err(403, 'An impersonation cannot do this, or the origin is not trusted', 'KL_AUTH_IMPERSONATION', 'KL_AUTH_CSRF'),
        rateLimited,
      ],
      sdk: { namespace: 'auth', name: 'changePassword', doc: 'Changes the password: every session ends, and the new one the server issues is kept.', input: { kind: 'body', type: '{ currentPassword: string; newPassword: string }' }, returns: 'AuthSession', pick: 'session', token: 'keep' },
    },
  ]
}

function sessionRoutes(): RouteContract<AuthRouteId>[] {
  return [
    {
      id: 'logout',
      method: 'POST',
      path: '/auth/logout',
      tag: AUTH_TAG,
      summary: 'Log out',
      description: 'End the session the request came with (and clear the cookie). Without a session it does nothing and still answers 204.',
      // Public: without a session there is nothing to end, which is not an error.
      auth: 'public',
      responses: [ok(204, 'Signed out.')],
      errors: [csrf],
      sdk: { namespace: 'auth', name: 'logout', doc: 'Ends this session on the server, and forgets its token here even if the server cannot be reached.', input: { kind: 'none' }, returns: 'void', token: 'forgetAlways' },
    },
    {
      id: 'logoutAll',
      method: 'POST',
      path: '/auth/logout-all',
      tag: AUTH_TAG,
      summary: 'Log out everywhere',
      description: 'End every session of the signed-in user, on every device.',
      auth: 'session',
      responses: [ok(200, 'The sessions ended.', object({ revoked: { type: 'integer', minimum: 0, description: 'How many sessions ended.' } }))],
      errors: [required, err(403, 'An impersonation cannot do this, or the origin is not trusted', 'KL_AUTH_IMPERSONATION', 'KL_AUTH_CSRF')],
      sdk: { namespace: 'auth', name: 'logoutAll', doc: 'Ends every session of the user, on every device; returns how many ended.', input: { kind: 'none' }, returns: '{ revoked: number }', token: 'forget' },
    },
    {
      id: 'getSession',
      method: 'GET',
      path: '/auth/session',
      tag: AUTH_TAG,
      summary: 'Current session',
      description: 'The signed-in user, their roles and the session; `impersonator` is set while an admin acts as the user.',
      auth: 'session',
      responses: [ok(200, 'The session.', componentRef('AuthSessionInfo'))],
      errors: [required],
      sdk: { namespace: 'auth', name: 'session', doc: 'Who is signed in. Throws KL_AUTH_REQUIRED (401) without a live session.', input: { kind: 'none' }, returns: 'AuthSessionInfo', token: 'none' },
    },
  ]
}

function impersonationRoutes(): RouteContract<AuthRouteId>[] {
  return [
    {
      id: 'impersonate',
      method: 'POST',
      path: '/auth/impersonate',
      tag: AUTH_TAG,
      summary: 'Impersonate a user',
      description: 'An admin acts as another user (never an admin, never themselves) for at most an hour, with a reason; the start, the end and every write are in the audit log. The answer carries a bearer token only: the admin\'s cookie session stays as it is.',
      auth: 'session',
      body: { description: 'Whom, and why (for the audit log).', schema: object({ userId: AUTH_FIELDS.userId, reason: AUTH_FIELDS.reason }) },
      responses: [ok(201, 'The impersonation session.', componentRef('AuthImpersonation'))],
      errors: [
        invalidBody(),
        required,
        err(403, 'Not an admin, or an impersonation that is not allowed', 'KL_AUTH_FORBIDDEN', 'KL_AUTH_IMPERSONATION', 'KL_AUTH_CSRF'),
        err(404, 'No user has this id', 'KL_AUTH_USER_NOT_FOUND'),
      ],
      sdk: {
        namespace: 'auth',
        name: 'impersonate',
        doc: 'Acts as another user (an admin\'s own session only; the reason goes into the audit log). The client sends the impersonation token until stopImpersonating.',
        input: { kind: 'body', type: '{ userId: string; reason: string }' },
        returns: 'AuthImpersonation',
        token: 'aside',
      },
    },
    {
      id: 'stopImpersonating',
      method: 'POST',
      path: '/auth/impersonate/stop',
      tag: AUTH_TAG,
      summary: 'Stop impersonating',
      description: 'End the impersonation session the request came with.',
      auth: 'session',
      responses: [ok(204, 'Ended.')],
      errors: [required, err(403, 'The session is not an impersonation', 'KL_AUTH_IMPERSONATION', 'KL_AUTH_CSRF')],
      sdk: { namespace: 'auth', name: 'stopImpersonating', doc: 'Ends the impersonation and goes back to the admin\'s own session.', input: { kind: 'none' }, returns: 'void', token: 'restore' },
    },
  ]
}

/** The OAuth operation ids: registered by the OAuth routes (engine/runtime/auth/oauth), apart from the rest of /auth. */
export const OAUTH_ROUTE_IDS = ['startOAuth', 'finishOAuth'] as const satisfies readonly AuthRouteId[]
export type OAuthRouteId = (typeof OAUTH_ROUTE_IDS)[number]

export function isOAuthRoute(route: RouteContract<AuthRouteId>): route is RouteContract<OAuthRouteId> {
  return (OAUTH_ROUTE_IDS as readonly string[]).includes(route.id)
}

/**
 * GET /auth/oauth/:provider and its callback, when the app has a users table and configures a
 * provider; none otherwise.
 */
export function oauthRoutes(ir: ProjectIR): RouteContract<OAuthRouteId>[] {
  const providers = oauthProvidersOf(ir)
  const users = usersTableOf(ir)
  if (providers.length === 0 || users === undefined) return []
  // The schema stays open (not an enum): an unknown name answers KL_AUTH_OAUTH_UNKNOWN_PROVIDER, not a validation error.
  const provider = { name: 'provider', description: `The sign-in provider: ${providers.map((p) => `\`${p}\``).join(', ')}.`, schema: { type: 'string', maxLength: 32 } }
  const location = { Location: { description: 'Where the browser goes next.', schema: { type: 'string', format: 'uri' } } }
  const unknown = err(404, 'The provider is not one the app signs in with, or its client id or secret is not set', 'KL_AUTH_OAUTH_UNKNOWN_PROVIDER', 'KL_AUTH_OAUTH_NOT_CONFIGURED')
  return [
    {
      id: 'startOAuth',
      method: 'GET',
      path: '/auth/oauth/:provider',
      tag: AUTH_TAG,
      summary: 'Sign in with a provider',
      description: 'Open this in the browser: it goes to the provider with a fresh state and PKCE challenge (kept in short-lived HttpOnly cookies), and comes back to the callback.',
      auth: 'public',
      params: [provider],
      query: [{ name: 'redirectTo', description: 'Where to land after signing in: a path of the app (`/tasks`), an address on its public URL, a trusted origin or under an entry of `auth.redirects`. Default: the public URL.', schema: { type: 'string', maxLength: 2048 } }],
      closedQuery: false,
      responses: [{ status: 302, description: 'To the provider\'s authorization page.', headers: location }],
      errors: [err(400, 'redirectTo is not an address of the app', 'KL_AUTH_REDIRECT_NOT_ALLOWED', 'KL_API_VALIDATION'), unknown],
    },
    {
      id: 'finishOAuth',
      method: 'GET',
      path: '/auth/oauth/:provider/callback',
      tag: AUTH_TAG,
      summary: 'Provider callback',
      description: [
        'The provider sends the browser here. The state must match the one this browser started with; the code is exchanged with the PKCE verifier, and the provider\'s profile signs in:',
        `the account linked to this provider account; else the \`${users.name}\` row with the same email, only when both the provider and the account verified it; else a new account. Then the browser goes to redirectTo, signed in by the session cookie.`,
      ].join(' '),
      auth: 'public',
      params: [provider],
      // Providers add parameters of their own (Google: scope, authuser, prompt): allowed.
      query: [
        { name: 'code', description: 'The authorization code.', schema: { type: 'string', maxLength: 2048 } },
        { name: 'state', description: 'The state the sign-in started with.', schema: { type: 'string', maxLength: 512 } },
        { name: 'error', description: 'Set by the provider instead of code when the user did not authorize the app.', schema: { type: 'string', maxLength: 256 } },
      ],
      closedQuery: false,
      responses: [{ status: 302, description: 'Signed in; to redirectTo.', headers: location }],
      errors: [
        err(400, 'The state does not match, the user declined, the code was refused, the provider gave no email, or redirectTo is not allowed', 'KL_AUTH_OAUTH_STATE', 'KL_AUTH_OAUTH_DENIED', 'KL_AUTH_OAUTH_CODE_REJECTED', 'KL_AUTH_OAUTH_NO_EMAIL', 'KL_AUTH_REDIRECT_NOT_ALLOWED'),
        err(403, 'The provider did not verify the email address, so no account is created or linked', 'KL_AUTH_OAUTH_EMAIL_UNVERIFIED'),
        unknown,
        err(409, 'An account with this email exists but never verified it, so it is not linked', 'KL_AUTH_OAUTH_LINK_REFUSED'),
        err(422, 'A new account would lack a required column of the users table', 'KL_AUTH_OAUTH_SIGNUP_INCOMPLETE'),
        err(429, 'Too many sign-ins from this address', 'KL_AUTH_RATE_LIMITED'),
        err(502, 'The provider could not be reached or answered unexpectedly', 'KL_AUTH_OAUTH_PROVIDER_ERROR'),
      ],
    },
  ]
}

function authSchemas(ir: ProjectIR, users: TableIR, inputs: AuthRouteInputs, user: RouteSchema): Record<string, RouteSchema> {
  const time = (description: string): RouteSchema => ({ type: 'string', format: 'date-time', description })
  const roles: RouteSchema = { type: 'array', items: { type: 'string', enum: [...ir.roles] } }
  const session = componentRef('AuthSession')
  return {
    AuthSession: {
      type: 'object',
      description: 'A session: send its token as `Authorization: Bearer <token>`.',
      properties: { token: { type: 'string', description: 'Shown once; the server keeps only its hash.' }, expiresAt: time('When it lapses unless used; using it moves this forward, up to the absolute timeout.') },
      required: ['token', 'expiresAt'],
    },
    ...(ir.auth.email.enabled
      ? {
          AuthSignupRequest: signupSchema(users, inputs.usersInsert),
          ...(signupIsUniform(ir) ? {} : { AuthSignupResult: { type: 'object', properties: { user, session }, required: ['user', 'session'] } }),
          AuthLoginResult: { type: 'object', properties: { user, session }, required: ['user', 'session'] },
        }
      : {}),
    AuthSessionInfo: {
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
    AuthImpersonation: {
      type: 'object',
      properties: { user, session, impersonator: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } },
      required: ['user', 'session', 'impersonator'],
    },
  }
}
