import type { FastifyInstance, FastifyRequest } from 'fastify'
import pino, { type DestinationStream } from 'pino'

export type LoggerSetting = boolean | { readonly level: string; readonly stream?: DestinationStream }

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
 * credentials of logged URLs (`token` of emailed links, `code` and `state` of OAuth callbacks). Without a `stream` the lines go to
 * stdout asynchronously (buffered writes instead of one write per line: a request costs one
 * log line and no system call of its own; `flushLogs` on close writes what is left).
 */
export function loggerOptions(logger: LoggerSetting | undefined) {
  if (logger === false) return false
  const given = typeof logger === 'object' ? logger : undefined
  return {
    level: given?.level ?? 'info',
    stream: given?.stream ?? pino.destination({ dest: 1, sync: false, minLength: 4096 }),
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
      req: (request: FastifyRequest) => ({ method: request.method, url: redactUrl(request.url), host: request.host, remoteAddress: request.ip }),
    },
  }
}

/** Credentials that travel in query strings: emailed links' `token`, OAuth callbacks' `code` and `state`. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:token|code|state)=)[^&#]*/gi, '$1[redacted]')
}

/**
 * One line per request, once it is answered: method, URL (redacted), client address, status and
 * time in milliseconds, under the request's id. Fastify's own logging writes two (one on
 * arrival, one on completion); the server turns that off (its LogController's `disableRequestLogging`). The fields
 * are flat: redaction's wildcard paths (`*.password`) then have no object to walk, which made
 * up most of the logger's cost per request (issue 21).
 */
export function logRequests(app: FastifyInstance): void {
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info(
      { method: request.method, url: redactUrl(request.url), remoteAddress: request.ip, statusCode: reply.statusCode, responseTime: Math.round(reply.elapsedTime * 100) / 100 },
      'request completed',
    )
    done()
  })
  // An asynchronous destination keeps lines in memory until its buffer fills: write them out
  // when the server stops.
  app.addHook('onClose', (instance, done) => {
    const stream = (instance.log as unknown as { [pino.symbols.streamSym]?: { flushSync?: () => void } })[pino.symbols.streamSym]
    try {
      stream?.flushSync?.()
    } catch {
      // A destination that is not open yet (nothing was written) has nothing to flush.
    }
    done()
  })
}
