import type { FastifyInstance, FastifyServerFactory } from 'fastify'
import { createServer, loadGeneratedDocs, loadModel, loadTableApis } from '../runtime/index.ts'
import type { SqliteDatabase } from '../shared/sqlite.ts'
import type { CliIO } from './io.ts'

/** The app described by generated/ under the working directory, on an open database. */
export async function bootApp(io: CliIO, db: SqliteDatabase, serverFactory?: FastifyServerFactory): Promise<FastifyInstance> {
  const serviceKey = io.env.KOYA_SERVICE_KEY
  return createServer({
    model: loadModel(io.cwd),
    db,
    tables: await loadTableApis(io.cwd),
    docs: loadGeneratedDocs(io.cwd),
    ...(serviceKey ? { serviceKey } : {}),
    ...(serverFactory ? { serverFactory } : {}),
    logger: { level: io.env.LOG_LEVEL ?? 'info' },
  })
}
