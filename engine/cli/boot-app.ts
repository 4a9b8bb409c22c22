import type { FastifyInstance, FastifyServerFactory } from 'fastify'
import { createServer, loadGeneratedDocs, loadModel, loadTableApis } from '../runtime/index.ts'
import type { SqliteDatabase } from '../shared/sqlite.ts'
import type { CliIO } from './io.ts'

/** The app described by generated/ under the working directory, on an open database. */
export async function bootApp(io: CliIO, db: SqliteDatabase, serverFactory?: FastifyServerFactory, version?: string): Promise<FastifyInstance> {
  const serviceKey = io.env.KOYA_SERVICE_KEY
  const model = loadModel(io.cwd)
  return createServer({
    model,
    db,
    tables: await loadTableApis(io.cwd, model, version),
    docs: loadGeneratedDocs(io.cwd),
    ...(serviceKey ? { serviceKey } : {}),
    ...(serverFactory ? { serverFactory } : {}),
    logger: { level: io.env.LOG_LEVEL ?? 'info' },
    env: io.env,
    // Behind NGINX (the Docker stack) the client address, which rate limits key on, is in X-Forwarded-For.
    ...(io.env.KOYA_TRUST_PROXY ? { trustProxy: io.env.KOYA_TRUST_PROXY === 'true' ? true : io.env.KOYA_TRUST_PROXY } : {}),
  })
}
