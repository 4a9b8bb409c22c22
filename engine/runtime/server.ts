import Fastify, { type FastifyInstance } from 'fastify'
import type { ProjectIR } from '../compiler/ir.ts'
import { KoyaError } from '../shared/errors.ts'
import type { SqliteDatabase } from '../shared/sqlite.ts'

export interface CreateServerOptions {
  readonly model: ProjectIR
  readonly db: SqliteDatabase
  /** pino options, or false for no logs (tests). Default: info-level JSON logs. */
  readonly logger?: boolean | { level: string }
}

/**
 * The KoyaLite HTTP server for an app.
 *
 * @example
 * const app = await createServer({ model: loadModel(root), db: openDatabase('data/koya.db') })
 * await app.listen({ port: 3000, host: '127.0.0.1' })
 */
export async function createServer(options: CreateServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? { level: 'info' },
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID(),
    bodyLimit: 1024 * 1024,
  })
  const ping = options.db.prepare('SELECT 1 AS ok')

  app.get('/healthz', async (_request, reply) => {
    try {
      ping.get()
      return { status: 'ok', app: options.model.name }
    } catch (cause) {
      app.log.error({ err: cause }, 'database health check failed')
      return reply.code(503).send({ status: 'unavailable', app: options.model.name })
    }
  })

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(new KoyaError('KL_API_NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}.`).toJSON())
  })
  app.setErrorHandler((error, request, reply) => {
    const status = (error as { statusCode?: number }).statusCode
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.code(status).send(new KoyaError('KL_API_BAD_REQUEST', (error as Error).message).toJSON())
    }
    request.log.error({ err: error }, 'request failed')
    return reply.code(500).send(new KoyaError('KL_INT_UNEXPECTED', 'The server failed to handle the request.').toJSON())
  })
  return app
}
