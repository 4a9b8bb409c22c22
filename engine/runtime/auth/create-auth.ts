import cookie from '@fastify/cookie'
import cors from '@fastify/cors'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ProjectIR } from '../../ir/project-ir.ts'
import { AUTH_ROUTE_IDS, authRoutes, isOAuthRoute, OAUTH_ROUTE_IDS, type AuthRouteId, type OAuthRouteId } from '../../ir/routes/auth-routes.ts'
import type { RouteContract, RouteSchema } from '../../ir/routes/route-contract.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import type { AdminDeps } from '../admin/admin-routes.ts'
import type { Actor, DataLayer } from '../data/data-layer.ts'
import { registerContractRoutes, type RouteHandler, type RouteHandlers } from '../http/route-contract.ts'
import type { SpanRunner } from '../observability/spans.ts'
import type { TableApi } from '../rest/routes.ts'
import { createAuditLog } from './audit-log.ts'
import { sendTokenEmail } from './auth-emails.ts'
import { DEFAULT_AUTH_RATE_LIMITS, type AuthContext, type AuthRateLimits, type OAuthRouteDeps } from './auth-context.ts'
import { pageHandlers, registerFormParser } from './auth-pages.ts'
import { passwordHandlers, sessionHandlers } from './auth-routes.ts'
import { resolveAuthSettings, type Env } from './auth-settings.ts'
import { impersonationHandlers, registerImpersonationAudit } from './impersonation-routes.ts'
import { createOneTimeTokens } from './one-time-tokens.ts'
import { createDummyVerifier } from './passwords.ts'
import { createRateLimiter } from './rate-limiter.ts'
import { createRequestAuthResolver, type ConnectionCredentials } from './request-auth.ts'
import { createRoleGrants } from './role-grants.ts'
import { createServiceKeyCheck } from './service-key.ts'
import { createSessionStore } from './session-store.ts'
import { createUserDirectory, normalizeEmail } from './user-directory.ts'

export interface AuthOptions {
  readonly model: ProjectIR
  readonly db: SqliteDatabase
  readonly data: DataLayer
  readonly tables: readonly TableApi[]
  readonly env: Env
  readonly clock: () => Date
  readonly serviceKey: string | undefined
  readonly rateLimits?: Partial<AuthRateLimits>
  /** Most keys each rate limit keeps in memory (createRateLimiter's maxKeysPerName). */
  readonly rateLimitCapacity?: number
  /** With tracing on (the tracing module's): spans for session resolution, sign-up and login. */
  readonly spans?: SpanRunner
  /** `http.cors` in force (httpSettingsOf) and whether local origins are admitted (`koyalite dev`). */
  readonly cors?: { readonly origins: readonly string[]; readonly credentials: boolean; readonly localhost: boolean }
}

export interface Auth {
  /** The request's actor: what /api routes and the data layer act as. */
  actorOf(request: FastifyRequest): Actor
  /** The caller, if the request already resolved it (never resolves it). */
  resolvedActorOf(request: FastifyRequest): Actor | undefined
  /** What the OAuth routes are given. */
  readonly oauthDeps: OAuthRouteDeps
  /** What the admin module is given. */
  readonly adminDeps: AdminDeps
  /** How long-lived connections (realtime) authenticate and re-check their session. */
  readonly credentials: ConnectionCredentials
}

/** The /auth ids registerAuth serves (the OAuth ones are registerOAuthRoutes's). */
type CoreAuthRouteId = Exclude<AuthRouteId, OAuthRouteId>
const CORE_AUTH_ROUTE_IDS = AUTH_ROUTE_IDS.filter((id): id is CoreAuthRouteId => !(OAUTH_ROUTE_IDS as readonly string[]).includes(id))

/**
 * Sessions, the /auth and /admin endpoints, CSRF and CORS, on `app`. The system tables must
 * exist (applySystemSchema).
 *
 * @example
 * const auth = await registerAuth(app, { model, db, data, tables, env: process.env, clock: () => new Date(), serviceKey })
 * registerRestRoutes(app, { data, tables, actorOf: auth.actorOf })
 */
export async function registerAuth(app: FastifyInstance, options: AuthOptions): Promise<Auth> {
  const { model, db, data, clock } = options
  const corsSettings = options.cors ?? { origins: [], credentials: true, localhost: false }
  const settings = resolveAuthSettings(model.auth, options.env, corsSettings)
  await app.register(cookie)
  // Browsers may read answers only on the admitted origins (the same check CSRF makes); cookies
  // go along unless http.cors.credentials is false.
  await app.register(cors, {
    origin: (origin, callback) => callback(null, origin !== undefined && settings.allowsOrigin(origin)),
    credentials: corsSettings.credentials,
    methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
    // The tus headers (resumable uploads, storage) so a browser on an admitted origin can speak tus.
    allowedHeaders: ['authorization', 'content-type', 'prefer', 'accept', 'range', 'x-request-id', 'tus-resumable', 'upload-length', 'upload-defer-length', 'upload-offset', 'upload-metadata', 'upload-checksum'],
    exposedHeaders: ['content-range', 'retry-after', 'x-request-id', 'location', 'tus-resumable', 'upload-offset', 'upload-length', 'upload-defer-length', 'upload-expires', 'upload-metadata', 'koya-object-id'],
    maxAge: 600,
  })

  const sessions = createSessionStore(db, settings, clock)
  const grants = createRoleGrants(db, model.roles)
  const requests = createRequestAuthResolver({ settings, sessions, isServiceKey: createServiceKeyCheck(options.serviceKey), ...(options.spans ? { spans: options.spans } : {}) })
  const users = createUserDirectory(db, data)
  const ctx: AuthContext = {
    db,
    model,
    data,
    env: options.env,
    clock,
    settings,
    limits: { ...DEFAULT_AUTH_RATE_LIMITS, ...options.rateLimits },
    sessions,
    users,
    grants,
    audit: createAuditLog(db, clock),
    tokens: createOneTimeTokens(db),
    limiter: createRateLimiter(clock, options.rateLimitCapacity !== undefined ? { maxKeysPerName: options.rateLimitCapacity } : {}),
    requests,
    verifyUnknownPassword: createDummyVerifier(),
  }

  // Callback-style hooks: they run on every request, and an async hook costs a promise and a
  // microtask each time (measured in bench/rest's get).
  app.addHook('onRequest', (request, _reply, done) => {
    try {
      requests.checkCsrf(request)
    } catch (error) {
      return done(error as Error)
    }
    done()
  })
  app.addHook('onSend', (request, reply, payload, done) => {
    requests.refreshCookie(request, reply)
    done(null, payload)
  })

  // The /auth endpoints this app serves, from the route contract: none without a users table,
  // the password and email ones only with email sign-in.
  const usersTable = model.tables.find((table) => table.isUsers)
  const usersInsert = (options.tables.find((api) => api.table === usersTable?.name)?.schemas.insert ?? {}) as RouteSchema
  const routes = (authRoutes(model, { usersInsert })?.routes ?? []).filter((route): route is RouteContract<CoreAuthRouteId> => !isOAuthRoute(route))
  const passwords = passwordHandlers(ctx)
  const handlers: RouteHandlers<CoreAuthRouteId> = {
    ...passwords,
    ...(options.spans ? { signup: inAuthSpan(options.spans, 'auth.signup', passwords.signup), login: inAuthSpan(options.spans, 'auth.login', passwords.login) } : {}),
    ...sessionHandlers(ctx),
    ...impersonationHandlers(ctx),
    ...pageHandlers(ctx),
  }
  registerFormParser(app, routes)
  registerImpersonationAudit(app, ctx)
  const isAnonymous = (request: FastifyRequest) => requests.authOf(request).actor.kind === 'anonymous'
  registerContractRoutes(app, { ids: CORE_AUTH_ROUTE_IDS, routes, handlers, isAnonymous })
  // The admin API is its own module (engine/runtime/admin), given these.
  const adminDeps: AdminDeps = { model, clock, requests, users, grants, sessions, audit: ctx.audit, sendPasswordReset: (user) => sendTokenEmail(ctx, 'reset-password', user) }

  const oauthDeps: OAuthRouteDeps = {
    db,
    model,
    env: options.env,
    clock,
    settings,
    async startSession(reply, userId) {
      const { issued } = sessions.create(userId)
      requests.setCookie(reply, issued)
      return issued
    },
    findUserByEmail: (email) => users.findByEmail(normalizeEmail(email)),
    findUserById: (id) => users.findById(id),
    async createUser(values) {
      const email = normalizeEmail(String(values.email ?? ''))
      const id = db.transaction(() => {
        if (users.findByEmail(email)) throw new KoyaError('KL_AUTH_EMAIL_TAKEN', 'An account with this email already exists.')
        return users.insertUser({ ...values, email })
      })()
      return users.findById(id)!
    },
    readUser: (userId) => users.readUser(userId),
    authOf: (request) => requests.authOf(request),
    rateLimitAddress: (name, ip, limit) => ctx.limiter.hitAddress(name, ip, limit),
  }
  return {
    actorOf(request) {
      const { actor, via } = requests.authOf(request)
      // A bearer token that is no session (expired, revoked, mistyped, a wrong service key) is
      // refused rather than read as anonymous: the client holds a credential it must replace,
      // and answering with anonymous data would hide that. A dead cookie is cleared instead.
      if (via === 'bearer' && actor.kind === 'anonymous') {
        throw new KoyaError('KL_AUTH_REQUIRED', 'The bearer token is not a valid session or service key: it expired, was revoked or is mistyped.', {
          hint: 'Sign in again with POST /auth/login, or send no Authorization header to act anonymously.',
        })
      }
      return actor
    },
    oauthDeps,
    adminDeps,
    credentials: requests.credentials,
    resolvedActorOf: requests.resolvedActorOf,
  }
}

/**
 * A sign-up or login handler in a span of its own (tracing on): `koya.auth.outcome` is `success`,
 * or the span is ERROR with the refusal's code (wrong credentials, a lockout's rate limit). The
 * email and password are never recorded.
 */
function inAuthSpan(spans: SpanRunner, name: string, handler: RouteHandler): RouteHandler {
  return (request, reply) =>
    spans.inSpan(name, { 'koya.auth.method': 'password' }, async (span) => {
      const answer = await handler(request, reply)
      span.set('koya.auth.outcome', 'success')
      return answer
    })
}
