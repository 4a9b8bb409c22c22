import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerFactory } from 'fastify'
import type { DestinationStream } from 'pino'
import type { ProjectIR } from '../ir/project-ir.ts'
import { KoyaError } from '../shared/errors.ts'
import type { SqliteDatabase } from '../shared/sqlite.ts'
import type { AuthRateLimits } from './auth/auth-context.ts'
import type { Env } from './auth/auth-settings.ts'
import { registerAuth } from './auth/create-auth.ts'
import { registerOAuthRoutes, type OAuthDeps } from './auth/oauth/routes.ts'
import { createDataLayer } from './data/data-layer.ts'
import { applySystemSchema } from './system/system-schema.ts'
import { statusOf } from './rest/http-errors.ts'
import type { GeneratedDocs } from './model.ts'
import { registerRestRoutes, type TableApi } from './rest/routes.ts'

export interface CreateServerOptions {
  readonly model: ProjectIR
  readonly db: SqliteDatabase
  /** The generated route modules (generated/api). Without them no /api route is served. */
  readonly tables?: readonly TableApi[]
  /** `Authorization: Bearer <serviceKey>` acts as the system role. Unset: nobody does over HTTP. */
  readonly serviceKey?: string
  /**
   * pino options, or false for no logs. Default: info-level JSON logs on stdout; `stream` sends
   * them elsewhere (tests capture them). Credentials are redacted whatever the options.
   */
  readonly logger?: boolean | { readonly level: string; readonly stream?: DestinationStream }
  /** The clock sessions, tokens, rate limits and the audit log use. Default: the system clock. */
  readonly clock?: () => Date
  /** Where settings (`env('…')`, KOYA_PUBLIC_URL, KOYA_TRUSTED_ORIGINS, NODE_ENV) are read. Default: process.env. */
  readonly env?: Env
  /** Override the sign-up, login and reset rate limits (DEFAULT_AUTH_RATE_LIMITS). */
  readonly authRateLimits?: Partial<AuthRateLimits>
  /** Most keys (client addresses, accounts) each auth rate limit keeps in memory. Default 100,000. */
  readonly rateLimitCapacity?: number
  /** Fastify's trustProxy: behind a proxy, the client address (for rate limits) comes from X-Forwarded-For. */
  readonly trustProxy?: boolean | string | readonly string[] | ((address: string, hop: number) => boolean)
  /** Other OAuth provider endpoints than GitHub's and Google's own (tests run a local fake provider). */
  readonly oauthEndpoints?: OAuthDeps['endpoints']
  /** generated/openapi.json and generated/docs/index.html, served at /openapi.json and /docs. */
  readonly docs?: GeneratedDocs
  /** Fastify's serverFactory: `koyalite dev` serves every reloaded app from one listening server. */
  readonly serverFactory?: FastifyServerFactory
  /** Largest request body in bytes. Default 1 MiB. */
  readonly bodyLimit?: number
}

/**
 * The KoyaLite HTTP server for an app.
 *
 * @example
 * const app = await createServer({ model: loadModel(root), db: openDatabase('data/koya.db'), tables, serviceKey })
 * await app.listen({ port: 3000, host: '127.0.0.1' })
 */
export async function createServer(options: CreateServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(options.logger),
    ...(options.trustProxy !== undefined ? { trustProxy: Array.isArray(options.trustProxy) ? [...options.trustProxy] : (options.trustProxy as boolean | string | ((address: string, hop: number) => boolean)) } : {}),
    // The request id is always the server's own: the audit log records it, and a client must not
    // choose what an audit entry points to (or make it match another request's). A client's
    // X-Request-Id is kept beside it in the request's log lines, to find them from the client side.
    requestIdHeader: false,
    genReqId: () => crypto.randomUUID(),
    childLoggerFactory(logger, bindings, childOptions, raw) {
      const clientRequestId = raw.headers['x-request-id']
      const given = typeof clientRequestId === 'string' && clientRequestId !== ''
      return logger.child(given ? { ...bindings, clientRequestId: clientRequestId.slice(0, MAX_CLIENT_REQUEST_ID) } : bindings, childOptions)
    },
    // A path Fastify's router cannot decode (`/api/%E0%A4%A`) fails before any hook or the error
    // handler: answered the same way rather than with Fastify's own error body.
    frameworkErrors: sendError,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    ...(options.serverFactory ? { serverFactory: options.serverFactory } : {}),
    // Reject what the schema does not allow: Fastify's defaults would strip unknown fields and
    // coerce types silently.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: true } },
  })
  // postgrest-js sends `Content-Type: application/json` on every DELETE, with no body: read that
  // as no body. Any other method still needs one (Fastify's parser, proto-poisoning checks kept).
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body: string, done) => {
    if (body.length === 0 && request.method === 'DELETE') return done(null, undefined)
    return parseJson(request, body, done)
  })
  const clock = options.clock ?? (() => new Date())
  // The _koya_* tables (sessions, credentials, grants, audit log, outbox) are the runtime's own:
  // created or brought up to date here, so no app migration has to.
  applySystemSchema(options.db, clock)
  const data = createDataLayer(options.model, options.db)
  const ping = options.db.prepare('SELECT 1 AS ok')
  const auth = await registerAuth(app, {
    model: options.model,
    db: options.db,
    data,
    tables: options.tables ?? [],
    env: options.env ?? process.env,
    clock,
    serviceKey: options.serviceKey,
    ...(options.authRateLimits ? { rateLimits: options.authRateLimits } : {}),
    ...(options.rateLimitCapacity !== undefined ? { rateLimitCapacity: options.rateLimitCapacity } : {}),
  })

  app.get('/healthz', async (_request, reply) => {
    try {
      ping.all()
      return { status: 'ok', app: options.model.name }
    } catch (cause) {
      app.log.error({ err: cause }, 'database health check failed')
      return reply.code(503).send({ status: 'unavailable', app: options.model.name })
    }
  })

  const { openapi, docsPage } = options.docs ?? {}
  if (openapi !== undefined) app.get('/openapi.json', async (_request, reply) => reply.type('application/json; charset=utf-8').send(openapi))
  if (docsPage !== undefined) {
    app.get('/docs', async (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        // The page is self-contained: it may load nothing, run only its own inline script.
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:")
        .send(docsPage),
    )
  }

  if (options.model.tables.some((table) => table.isUsers)) registerOAuthRoutes(app, { ...auth.oauthDeps, ...(options.oauthEndpoints ? { endpoints: options.oauthEndpoints } : {}) })
  registerRestRoutes(app, { data, tables: options.tables ?? [], actorOf: auth.actorOf })

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(new KoyaError('KL_API_NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}.`).toJSON())
  })
  app.setErrorHandler(sendError)
  return app
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

/** Characters of a client's X-Request-Id kept in the logs. */
const MAX_CLIENT_REQUEST_ID = 200

const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.token',
  '*.passwordHash',
]

/**
 * pino with credentials redacted: headers that carry them, body fields that are them, and the
 * `token` query parameter of emailed links in logged URLs.
 */
function loggerOptions(logger: CreateServerOptions['logger']) {
  if (logger === false) return false
  return {
    level: 'info',
    ...(typeof logger === 'object' ? logger : {}),
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
      req: (request: FastifyRequest) => ({ method: request.method, url: redactUrl(request.url), host: request.host, remoteAddress: request.ip }),
    },
  }
}

function redactUrl(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/gi, '$1[redacted]')
}

/** Fastify's own errors (validation, body too large, bad JSON) as KoyaErrors; others pass through. */
function toKoyaError(error: FastifyError): KoyaError | undefined {
  if (error instanceof KoyaError) return error
  if (error.validation) {
    const problems = error.validation.slice(0, 10).map((v) => `${v.instancePath || `(${error.validationContext ?? 'request'})`} ${v.message ?? 'is invalid'}${v.params && 'additionalProperty' in v.params ? ` ("${String(v.params.additionalProperty)}")` : ''}`)
    return new KoyaError('KL_API_VALIDATION', `The ${error.validationContext ?? 'request'} is invalid: ${problems.join('; ')}.`)
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new KoyaError('KL_API_PAYLOAD_TOO_LARGE', 'The request body is too large.')
  const status = error.statusCode
  if (status !== undefined && status >= 400 && status < 500) return new KoyaError('KL_API_BAD_REQUEST', error.message)
  return undefined
}
