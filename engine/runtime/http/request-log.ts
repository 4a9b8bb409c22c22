import type { IncomingHttpHeaders } from 'node:http'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import pino, { type DestinationStream } from 'pino'
import type { Env } from '../auth/auth-settings.ts'
import { createLogDestination, type LogDestination } from '../observability/log-destination.ts'
import type { Observability } from '../observability/observability.ts'

export type LoggerSetting =
  | boolean
  | {
      readonly level: string
      readonly stream?: DestinationStream
      /** One short coloured line per entry instead of JSON. Default: under `koyalite dev` when no `stream` is given. */
      readonly pretty?: boolean
    }

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
  '*.secret',
  '*.clientSecret',
  '*.apiKey',
  '*.serviceKey',
]

/** Where the server's logs go, besides the given setting. */
export interface LogSinks {
  readonly observability: Observability
  readonly dev: boolean
  readonly env: Env
  /** Labels of the lines shipped to Loki (the app's name). */
  readonly app: string
}

/**
 * pino with credentials redacted: headers that carry them, body fields that are them, and the
 * credentials of logged URLs (`token` of emailed links, `code` and `state` of OAuth callbacks).
 * Every line also goes to the in-memory ring (the admin API's log views), and to Loki when
 * `KOYA_LOKI_URL` is set. Without a `stream` the lines go to stdout asynchronously (buffered
 * writes: a request costs one log line and no system call of its own; the server's close writes
 * what is left), as JSON, or as one short line each under `koyalite dev`.
 */
export function loggerOptions(logger: LoggerSetting | undefined, sinks: LogSinks) {
  if (logger === false) return false
  const given = typeof logger === 'object' ? logger : undefined
  const pretty = given?.pretty ?? (sinks.dev && given?.stream === undefined)
  const lokiUrl = sinks.env.KOYA_LOKI_URL
  const stream = createLogDestination({
    ring: sinks.observability.logs,
    ...(given?.stream ? { stream: given.stream } : {}),
    ...(pretty ? { pretty: { colors: process.stdout.isTTY === true && sinks.env.NO_COLOR === undefined } } : {}),
    ...(lokiUrl ? { loki: { url: lokiUrl, labels: { app: sinks.app, env: sinks.env.NODE_ENV ?? (sinks.dev ? 'development' : 'production') } } } : {}),
  })
  return {
    level: given?.level ?? 'info',
    stream,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
      req: (request: { method: string; url: string; host: string; ip: string }) => ({ method: request.method, url: redactUrl(request.url), host: request.host, remoteAddress: request.ip }),
    },
  }
}

/**
 * A logger without redaction on the server logger's own destination, for the request line alone.
 * Every field of that line is known and carries no credential (its URL goes through redactUrl),
 * while pino's redaction of wildcard paths (`*.password`) walks each logged object: it cost ~8 µs
 * of a request that takes ~100 µs in all (issue 21, measured on the line above). Same base
 * fields (pid, hostname), time and level numbers as the server's lines; undefined when the server
 * logs nothing.
 */
const INFO = pino.levels.values.info!

function requestLineLogger(app: FastifyInstance): pino.Logger | undefined {
  const stream = (app.log as unknown as { [pino.symbols.streamSym]?: DestinationStream })[pino.symbols.streamSym]
  return stream === undefined ? undefined : pino({ level: 'info' }, stream)
}

/** The most of a client's X-Request-Id that its request's log lines keep. */
const MAX_CLIENT_REQUEST_ID = 200

/** A client's own X-Request-Id, kept beside the server's request id in the request's log lines. */
export function clientRequestIdOf(headers: IncomingHttpHeaders): string | undefined {
  const given = headers['x-request-id']
  return typeof given === 'string' && given !== '' ? given.slice(0, MAX_CLIENT_REQUEST_ID) : undefined
}

/** A pino log method called with what it was given (its overloads all take these). */
const call = (method: FastifyBaseLogger['info'], logger: FastifyBaseLogger, args: unknown[]): void => (method as (...given: unknown[]) => void).apply(logger, args)

/**
 * The request's logger (`request.log`), made on first use. Fastify makes one per request, and a
 * pino child runs the redaction over its bindings and serializes them: ~1 µs and a few objects
 * on every request, for a logger most requests never use (the request line has its own logger,
 * above). A handler that logs, and an error answer, get the same child as before. A class, not a
 * Proxy: Fastify checks that the logger has its methods, which a Proxy could only answer by
 * making the child.
 *
 * @example
 * childLoggerFactory: (logger, bindings, options) => new LazyChildLogger(() => logger.child(bindings, options))
 */
export class LazyChildLogger {
  readonly #make: () => FastifyBaseLogger
  #real: FastifyBaseLogger | undefined

  constructor(make: () => FastifyBaseLogger) {
    this.#make = make
  }

  get #logger(): FastifyBaseLogger {
    return (this.#real ??= this.#make())
  }

  get level(): string {
    return this.#logger.level
  }
  set level(level: string) {
    this.#logger.level = level
  }
  fatal(...args: unknown[]): void {
    call(this.#logger.fatal, this.#logger, args)
  }
  error(...args: unknown[]): void {
    call(this.#logger.error, this.#logger, args)
  }
  warn(...args: unknown[]): void {
    call(this.#logger.warn, this.#logger, args)
  }
  info(...args: unknown[]): void {
    call(this.#logger.info, this.#logger, args)
  }
  debug(...args: unknown[]): void {
    call(this.#logger.debug, this.#logger, args)
  }
  trace(...args: unknown[]): void {
    call(this.#logger.trace, this.#logger, args)
  }
  silent(...args: unknown[]): void {
    call(this.#logger.silent, this.#logger, args)
  }
  child(...args: Parameters<FastifyBaseLogger['child']>): FastifyBaseLogger {
    return this.#logger.child(...args)
  }
}

/** Credentials that travel in query strings: emailed links' `token`, OAuth callbacks' `code` and `state`. */
export function redactUrl(url: string): string {
  return url.indexOf('?') === -1 ? url : url.replace(/([?&](?:token|code|state|access_token|apikey|api_key)=)[^&#]*/gi, '$1[redacted]')
}

/**
 * One line per request, once it is answered: request id, method, URL (credentials redacted, and
 * the values of filters on personal columns when `redactPersonal` is given), route pattern,
 * user id (when the request resolved its caller), client address, status and time in
 * milliseconds; and the same facts into the request statistics (/metrics, the API monitor).
 * Fastify's own logging writes two lines (one on arrival, one on completion); the server turns
 * that off (its LogController's `disableRequestLogging`). The line skips redaction (see
 * requestLineLogger): most of the logger's cost per request (issue 21).
 */
export function logRequests(app: FastifyInstance, observability: Observability, redactPersonal?: (url: string) => string): void {
  const { requests } = observability
  const lines = requestLineLogger(app)
  app.addHook('onResponse', (request, reply, done) => {
    const url = redactPersonal === undefined ? redactUrl(request.url) : redactPersonal(redactUrl(request.url))
    const route = requests.routeOf(request)
    const userId = observability.userIdOf(request)
    const statusCode = reply.statusCode
    const responseTime = Math.round(reply.elapsedTime * 100) / 100
    // The request's own logger decides (a route may set its level); the line goes out unredacted.
    if (lines !== undefined && (pino.levels.values[request.log.level] ?? Infinity) <= INFO) {
      const clientRequestId = clientRequestIdOf(request.headers)
      const fields = { method: request.method, url, route: route.route, userId, remoteAddress: request.ip, statusCode, responseTime }
      lines.info(clientRequestId === undefined ? { reqId: request.id, ...fields } : { reqId: request.id, clientRequestId, ...fields }, 'request completed')
    }
    requests.record(route, request.id, url, statusCode, responseTime, userId)
    done()
  })
  // An asynchronous destination keeps lines in memory until its buffer fills: write them out
  // when the server stops (and let Loki's transport send its last batch).
  app.addHook('onClose', async (instance) => {
    const stream = (instance.log as unknown as { [pino.symbols.streamSym]?: Partial<LogDestination> })[pino.symbols.streamSym]
    await stream?.close?.()
  })
}
