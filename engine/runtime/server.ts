import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerFactory } from 'fastify'
import type { Socket } from 'node:net'
import type { ProjectIR } from '../ir/project-ir.ts'
import { KoyaError } from '../shared/errors.ts'
import type { SqliteDatabase } from '../shared/sqlite.ts'
import type { AdminDeps } from './admin/admin-routes.ts'
import type { AuthModuleOptions } from './auth/auth-module.ts'
import type { Env } from './auth/auth-settings.ts'
import { withStorageObjects } from '../ir/storage-objects.ts'
import { createDataLayer, type Actor } from './data/data-layer.ts'
import type { Queue } from './queue/queue.ts'
import type { StorageDriver } from './storage/driver.ts'
import { checkJsonDepth } from './http/json-body.ts'
import { clientRequestIdOf, LazyChildLogger, loggerOptions, logRequests, redactUrl, type LoggerSetting } from './http/request-log.ts'
import type { ConnectionCredentials } from './auth/request-auth.ts'
import type { FeatureModule, ModuleProvides, Runtime } from './modules/feature-module.ts'
import { FEATURE_MODULES, systemMigrations, type ModuleName, type ModuleOptions } from './modules/index.ts'
import { statusOf } from './rest/http-errors.ts'
import type { TableApi } from './rest/routes.ts'
import type { Hub } from './realtime/hub.ts'
import { applySystemSchema } from './system/system-schema.ts'
import { createObservability } from './observability/observability.ts'
import { personalUrlRedactor } from './compliance/personal-redaction.ts'
import { statementsOf } from './data/statement-cache.ts'

/** The server's own settings, then each feature module's options under its name (ModuleOptions). */
export interface CreateServerOptions extends ModuleOptions {
  readonly model: ProjectIR
  readonly db: SqliteDatabase
  /** The generated route modules (generated/api). Without them no /api route is served. */
  readonly tables?: readonly TableApi[]
  /**
   * pino options, or false for no logs. Default: info-level JSON logs on stdout; `stream` sends
   * them elsewhere (tests capture them). Credentials are redacted whatever the options.
   */
  readonly logger?: LoggerSetting
  /** The clock sessions, tokens, rate limits and the audit log use. Default: the system clock. */
  readonly clock?: () => Date
  /** Where settings (`env('…')`, KOYA_PUBLIC_URL, KOYA_TRUSTED_ORIGINS, NODE_ENV) are read. Default: process.env. */
  readonly env?: Env
  /** `koyalite dev`: development answers are allowed (see Runtime.dev). Default false. */
  readonly dev?: boolean
  /** Fastify's trustProxy: behind a proxy, the client address (for rate limits) comes from X-Forwarded-For. */
  readonly trustProxy?: boolean | string | readonly string[] | ((address: string, hop: number) => boolean)
  /** Fastify's serverFactory: `koyalite dev` serves every reloaded app from one listening server. */
  readonly serverFactory?: FastifyServerFactory
  /** Largest request body in bytes. Default 1 MiB. */
  readonly bodyLimit?: number
  /** @deprecated Since the options are grouped per module: `auth: { serviceKey }`. */
  readonly serviceKey?: string
  /** @deprecated `auth: { rateLimits }`. */
  readonly authRateLimits?: AuthModuleOptions['rateLimits']
  /** @deprecated `auth: { rateLimitCapacity }`. */
  readonly rateLimitCapacity?: number
  /** @deprecated `auth: { oauthEndpoints }`. */
  readonly oauthEndpoints?: AuthModuleOptions['oauthEndpoints']
}

/** The auth module's options, with the settings callers gave at the top level before modules (still honoured). */
function authOptionsOf(options: CreateServerOptions): AuthModuleOptions {
  const { serviceKey, authRateLimits, rateLimitCapacity, oauthEndpoints } = options
  return {
    ...(serviceKey !== undefined ? { serviceKey } : {}),
    ...(authRateLimits !== undefined ? { rateLimits: authRateLimits } : {}),
    ...(rateLimitCapacity !== undefined ? { rateLimitCapacity } : {}),
    ...(oauthEndpoints !== undefined ? { oauthEndpoints } : {}),
    ...options.auth,
  }
}

/**
 * The KoyaLite HTTP server for an app: the core (logging, request ids, body parsing, the one
 * error shape, the data layer, the system tables) and the feature modules of FEATURE_MODULES,
 * registered in order, each with its options.
 *
 * @example
 * const app = await createServer({ model: loadModel(root), db: openDatabase('data/koya.db'), tables, auth: { serviceKey } })
 * await app.listen({ port: 3000, host: '127.0.0.1' })
 */
export async function createServer(options: CreateServerOptions): Promise<FastifyInstance> {
  const dev = options.dev ?? false
  const env = options.env ?? process.env
  // Before the logger and the first request: every line and every request is observed.
  const observability = createObservability()
  const app: FastifyInstance = Fastify({
    logger: loggerOptions(options.logger, { observability, dev, env, app: options.model.name }),
    // One line per request instead of two (runtime/http/request-log.ts).
    logController: new LogController({ disableRequestLogging: true }),
    ...(options.trustProxy !== undefined ? { trustProxy: Array.isArray(options.trustProxy) ? [...options.trustProxy] : (options.trustProxy as boolean | string | ((address: string, hop: number) => boolean)) } : {}),
    // The request id is always the server's own: the audit log records it, and a client must not
    // choose what an audit entry points to (or make it match another request's). A client's
    // X-Request-Id is kept beside it in the request's log lines, to find them from the client side.
    requestIdHeader: false,
    genReqId: () => crypto.randomUUID(),
    childLoggerFactory(logger, bindings, childOptions, raw) {
      return new LazyChildLogger(() => {
        const clientRequestId = clientRequestIdOf(raw.headers)
        return logger.child(clientRequestId === undefined ? bindings : { ...bindings, clientRequestId }, childOptions)
      }) as unknown as typeof logger
    },
    // A path Fastify's router cannot decode (`/api/%E0%A4%A`) fails before any hook or the error
    // handler: answered the same way rather than with Fastify's own error body.
    frameworkErrors: sendError,
    // Requests Node cannot even read (headers over its limit, a timeout, bad HTTP) never reach
    // Fastify's routing: answered in the coded shape too.
    clientErrorHandler: sendClientError,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    ...(options.serverFactory ? { serverFactory: options.serverFactory } : {}),
    // Reject what the schema does not allow: Fastify's defaults would strip unknown fields and
    // coerce types silently.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: true } },
  })
  // Many clients send `Content-Type: application/json` with no body (postgrest-js on DELETE,
  // fetch wrappers on POST /auth/logout): an empty body is no body. A route whose schema needs
  // one still refuses it (KL_API_VALIDATION). Nesting is bounded before anything walks the value.
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body: string, done) => {
    if (body.length === 0) return done(null, undefined)
    try {
      checkJsonDepth(body)
    } catch (error) {
      return done(error as KoyaError, undefined)
    }
    return parseJson(request, body, done)
  })
  logRequests(app, observability, personalUrlRedactor(options.model))
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(new KoyaError('KL_API_NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}.`).toJSON())
  })
  // Before the modules register: each module's scope inherits the handler it finds.
  app.setErrorHandler(sendError)

  const clock = options.clock ?? (() => new Date())
  // The _koya_* tables (sessions, credentials, grants, audit log, outbox, each module's) are the
  // runtime's own: created or brought up to date here, so no app migration has to.
  applySystemSchema(options.db, systemMigrations(), clock)
  // The data layer's statements, timed by shape (/metrics, the admin API's performance view).
  const statements = statementsOf(options.db)
  statements.observe(observability.statements.record)
  app.addHook('onClose', (_instance, done) => {
    statements.observe(undefined)
    done()
  })
  // Errors of commit-phase write subscribers (realtime, caches) cannot fail the write: logged.
  const data = createDataLayer(withStorageObjects(options.model), options.db, { dev, clock, onSubscriberError: (error) => app.log.error({ err: error }, 'a write subscriber failed after commit') })
  let actorOf: ((request: FastifyRequest) => Actor) | undefined
  let adminDeps: AdminDeps | undefined
  let queue: Queue | undefined
  let credentials: ConnectionCredentials | undefined
  let storageDriver: StorageDriver | undefined
  let storageRoot: string | undefined
  let realtime: Hub | undefined
  const notYet = (what: string) => new KoyaError('KL_INT_UNEXPECTED', `A feature module asked for ${what} before the auth module registered.`)
  const runtime: Runtime = {
    model: options.model,
    db: options.db,
    data,
    tables: options.tables ?? [],
    clock,
    env,
    dev,
    observability,
    actorOf(request) {
      if (!actorOf) throw notYet('who a request is')
      return actorOf(request)
    },
    adminDeps() {
      if (!adminDeps) throw notYet('the admin services')
      return adminDeps
    },
    queue() {
      if (!queue) throw new KoyaError('KL_INT_UNEXPECTED', 'A feature module asked for the queue before the queue module registered.')
      return queue
    },
    credentials() {
      if (!credentials) throw notYet('the credentials of long-lived connections')
      return credentials
    },
    storageDriver: () => storageDriver,
    storageRoot: () => storageRoot,
    realtime: () => realtime,
  }
  const moduleOptions: ModuleOptions = { ...options, auth: authOptionsOf(options) }
  for (const name of Object.keys(FEATURE_MODULES) as ModuleName[]) {
    const provides = await registerModule(app, FEATURE_MODULES[name] as FeatureModule<unknown>, runtime, moduleOptions[name])
    if (provides?.actorOf) actorOf = provides.actorOf
    if (provides?.adminDeps) adminDeps = provides.adminDeps
    if (provides?.queue) queue = provides.queue
    if (provides?.credentials) credentials = provides.credentials
    if (provides?.storageDriver) storageDriver = provides.storageDriver
    if (provides?.storageRoot) storageRoot = provides.storageRoot
    if (provides?.realtime) realtime = provides.realtime
    if (provides?.resolvedActorOf) observability.setResolvedActor(provides.resolvedActorOf)
  }
  return app
}

/** A module on its own encapsulated scope (or on `app` itself when it is `global`). */
async function registerModule<O>(app: FastifyInstance, module: FeatureModule<O>, runtime: Runtime, options: O): Promise<ModuleProvides | void> {
  if (module.global) return module.register(app, runtime, options)
  let provides: ModuleProvides | void = undefined
  await app.register(async (scope) => {
    provides = await module.register(scope, runtime, options)
  })
  return provides
}

/** Every error a request meets, as `{ code, message, hint? }` at the status its code maps to. */
function sendError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const koya = toKoyaError(error)
  const status = koya ? statusOf(koya) : 500
  // 500 is an unexpected failure (details to the logs only); other statuses, 502 from an OAuth
  // provider included, are answers the code chose.
  if (koya && status !== 500) {
    if (koya.cause !== undefined) request.log.info({ err: koya.cause, code: koya.code }, 'request refused')
    const retryAfter = koya.details?.retryAfterSeconds
    if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter))
    return reply.code(status).send(koya.toJSON())
  }
  request.log.error({ err: error }, 'request failed')
  return reply.code(500).send(new KoyaError('KL_INT_UNEXPECTED', 'The server failed to handle the request.').toJSON())
}

/**
 * A request Node could not read. The default handler writes Fastify's own body; this writes the
 * coded shape, with no body for a HEAD request (the request line is the first thing read).
 */
function sendClientError(this: FastifyInstance, error: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const koya =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new KoyaError('KL_API_HEADERS_TOO_LARGE', 'The request line and headers are larger than the server reads.')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new KoyaError('KL_API_REQUEST_TIMEOUT', 'The request did not arrive in time.')
        : new KoyaError('KL_API_BAD_REQUEST', 'The request is not valid HTTP.', { hint: 'Check the request line and headers.' })
  const status = statusOf(koya)
  const head = Buffer.isBuffer(error.rawPacket) && error.rawPacket.subarray(0, 5).toString('latin1') === 'HEAD '
  const body = JSON.stringify(koya.toJSON())
  this.log.debug({ err: error }, 'client error')
  if (socket.writable) {
    // A HEAD answer carries the length the body would have, and no body.
    socket.write(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${head ? '' : body}`)
  }
  socket.destroy()
}

const STATUS_TEXT: Readonly<Record<number, string>> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' }

/** Fastify's own errors (validation, body too large, bad JSON) as KoyaErrors; others pass through. */
function toKoyaError(error: FastifyError): KoyaError | undefined {
  if (error instanceof KoyaError) return error
  if (error.validation) {
    // An if/then/else schema (a body of one row or many) adds a bare "must match then/else schema"
    // beside the branch's own problems: the branch's say what is wrong.
    const problems = error.validation.filter((v) => v.keyword !== 'if').slice(0, 10).map((v) => `${v.instancePath || `(${error.validationContext ?? 'request'})`} ${v.message ?? 'is invalid'}${v.params && 'additionalProperty' in v.params ? ` ("${String(v.params.additionalProperty)}")` : ''}`)
    return new KoyaError('KL_API_VALIDATION', `The ${error.validationContext ?? 'request'} is invalid: ${problems.join('; ')}.`)
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new KoyaError('KL_API_PAYLOAD_TOO_LARGE', 'The request body is too large.')
  const status = error.statusCode
  if (status !== undefined && status >= 400 && status < 500) return new KoyaError('KL_API_BAD_REQUEST', error.message)
  return undefined
}
