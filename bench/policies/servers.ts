// The two servers of bench/policies, one script: `koyalite` serves the reference app's REST
// routes through the data layer (the read policy of tasks is injected), `baseline` is the same
// list hand-written with better-sqlite3. Both act as the user named by the bench-only header
// `x-bench-user` (sessions are the auth layer's; this measures the data layer's policy cost).
// Usage: node bench/policies/servers.ts koyalite|baseline <db file>; prints "listening <port>".
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import Fastify from 'fastify'
import { createDataLayer, type Actor } from '../../engine/runtime/data/data-layer.ts'
import { loadModel, loadTableApis } from '../../engine/runtime/model.ts'
import { statusOf } from '../../engine/runtime/rest/http-errors.ts'
import { registerRestRoutes } from '../../engine/runtime/rest/routes.ts'
import { KoyaError } from '../../engine/shared/errors.ts'
import { openDatabase } from '../../engine/shared/sqlite.ts'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const [which, file] = process.argv.slice(2)
if ((which !== 'koyalite' && which !== 'baseline') || !file) throw new Error('usage: node bench/policies/servers.ts koyalite|baseline <db file>')

const userOf = (header: string | string[] | undefined): string | undefined => (typeof header === 'string' && header.length > 0 ? header : undefined)
// The Ajv settings of createServer, under which the generated schemas compile.
const app = Fastify({ logger: false, ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: true } } })
let close: () => void

if (which === 'koyalite') {
  const db = openDatabase(file)
  close = () => db.close()
  const model = loadModel(repo)
  const data = createDataLayer(model, db)
  const actorOf = (user: string | undefined): Actor => (user ? { kind: 'user', userId: user, roles: [] } : { kind: 'anonymous' })
  registerRestRoutes(app, { data, tables: await loadTableApis(repo, model), actorOf: (request) => actorOf(userOf(request.headers['x-bench-user'])) })
  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof KoyaError) return reply.code(statusOf(error)).send(error.toJSON())
    return reply.code(500).send({ code: 'KL_INT_UNEXPECTED', message: 'The server failed to handle the request.' })
  })
} else {
  // The pragmas KoyaLite's openDatabase sets.
  const db = new Database(file)
  db.pragma('busy_timeout = 5000')
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('foreign_keys = ON')
  close = () => db.close()
  // What a developer would write for "the tasks of my workspaces": one EXISTS over the
  // project and the membership, on the indexes the reference app declares.
  const member = 'EXISTS (SELECT 1 FROM "projects" p JOIN "members" m ON m."workspaceId" = p."workspaceId" WHERE p."id" = t."projectId" AND m."userId" = ?)'
  const page = db.prepare(`SELECT t.* FROM "tasks" t WHERE ${member} ORDER BY t."id" LIMIT ?`)
  const pageByStatus = db.prepare(`SELECT t.* FROM "tasks" t WHERE ${member} AND t."status" = ? ORDER BY t."id" LIMIT ?`)
  // Just the queries this benchmark sends: [status=eq.<s>&]order=id&limit=<n>.
  app.get<{ Querystring: Record<string, string> }>('/api/tasks', async (request, reply) => {
    const user = userOf(request.headers['x-bench-user'])
    const { status, order, limit, ...rest } = request.query
    const n = Number(limit)
    if (!user || order !== 'id' || !Number.isInteger(n) || n < 1 || n > 1000 || Object.keys(rest).length > 0 || (status !== undefined && !status.startsWith('eq.'))) {
      return reply.code(400).send({ code: 'BAD_REQUEST', message: 'Only [status=eq.<s>&]order=id&limit=<n> with x-bench-user is served.' })
    }
    const rows = status === undefined ? page.all(user, n) : pageByStatus.all(user, status.slice(3), n)
    reply.header('content-range', rows.length === 0 ? '*/*' : `0-${rows.length - 1}/*`)
    return rows
  })
}

const address = await app.listen({ port: 0, host: '127.0.0.1' })
console.log(`listening ${new URL(address).port}`)
const stop = async () => {
  await app.close()
  close()
  process.exit(0)
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
