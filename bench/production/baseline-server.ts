// The baseline: the best hand-written server for the benchmarked routes of the production app
// (bench/production/app), with Fastify, better-sqlite3 prepared statements, JSON Schemas for the
// create body and for every answer (fast-json-stringify), and the same auth work as KoyaLite: the
// SHA-256 of the bearer token, compared with the service key's, else looked up once in
// `_koya_sessions`. The policies are WHERE clauses and one comparison. Same statuses, headers and
// JSON as KoyaLite for these requests (run.ts checks that before it measures).
// Usage: BENCH_SERVICE_KEY=… node bench/production/baseline-server.ts <db file> <port>; prints "listening <port>".
import { createHash, timingSafeEqual } from 'node:crypto'
import Database from 'better-sqlite3'
import Fastify from 'fastify'
// The same UUIDv7 as KoyaLite's ids: random keys would scatter inserts over the primary key index.
import { uuidv7 } from '../../engine/shared/uuid.ts'

const [file, port] = process.argv.slice(2)
const serviceKey = process.env.BENCH_SERVICE_KEY
if (!file || !port || !serviceKey) throw new Error('usage: BENCH_SERVICE_KEY=… node bench/production/baseline-server.ts <db file> <port>')

// The pragmas KoyaLite's openDatabase sets.
const db = new Database(file)
db.pragma('busy_timeout = 5000')
db.pragma('journal_mode = WAL')
db.pragma('synchronous = NORMAL')
db.pragma('foreign_keys = ON')

const sessionById = db.prepare('SELECT "userId", "expiresAt", "absoluteExpiresAt" FROM "_koya_sessions" WHERE "id" = ?')
const anyById = db.prepare('SELECT * FROM "posts" WHERE "id" = ?')
const publishedById = db.prepare('SELECT * FROM "posts" WHERE "id" = ? AND "published" = 1')
const anyByPublished = db.prepare('SELECT * FROM "posts" WHERE "published" = ? ORDER BY "createdAt" DESC LIMIT +?')
const publishedByPublished = db.prepare('SELECT * FROM "posts" WHERE "published" = 1 AND "published" = ? ORDER BY "createdAt" DESC LIMIT +?')
const insert = db.prepare('INSERT INTO "posts" ("id", "authorId", "title", "body", "published", "createdAt") VALUES (?, ?, ?, ?, ?, ?)')

/** Who is asking: the service key (past every policy), a signed-in user, or nobody. */
type Caller = { kind: 'system' } | { kind: 'user'; userId: string } | { kind: 'anonymous' }
declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the onRequest hook before any handler runs. */
    caller: Caller | null
  }
}

const serviceDigest = createHash('sha256').update(serviceKey).digest()
const unauthorized = {
  code: 'KL_AUTH_REQUIRED',
  message: 'The bearer token is not a valid session or service key: it expired, was revoked or is mistyped.',
  hint: 'Sign in again with POST /auth/login, or send no Authorization header to act anonymously.',
}

const app = Fastify({ logger: false })
// Decorated up front (null until the hook runs) so every request object has the same shape.
app.decorateRequest('caller', null)
app.addHook('onRequest', async (request, reply) => {
  const header = request.headers.authorization
  if (header === undefined) {
    request.caller = { kind: 'anonymous' }
    return
  }
  const token = /^Bearer (.+)$/i.exec(header)?.[1]
  if (token !== undefined) {
    const digest = createHash('sha256').update(token).digest()
    if (timingSafeEqual(digest, serviceDigest)) {
      request.caller = { kind: 'system' }
      return
    }
    const session = sessionById.get(digest.toString('hex')) as { userId: string; expiresAt: string; absoluteExpiresAt: string } | undefined
    const now = Date.now()
    if (session !== undefined && now < Date.parse(session.expiresAt) && now < Date.parse(session.absoluteExpiresAt)) {
      request.caller = { kind: 'user', userId: session.userId }
      return
    }
  }
  return reply.code(401).send(unauthorized)
})

const post = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    authorId: { type: 'string' },
    title: { type: 'string' },
    body: { type: 'string' },
    published: { type: 'boolean' },
    createdAt: { type: 'string' },
  },
  required: ['id', 'authorId', 'title', 'body', 'published', 'createdAt'],
}
const error = { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, hint: { type: 'string' } } }

app.get<{ Params: { id: string } }>('/api/posts/:id', { schema: { response: { 200: post, 404: error } } }, async (request, reply) => {
  const row = (request.caller!.kind === 'system' ? anyById : publishedById).get(request.params.id)
  if (row === undefined) return reply.code(404).send({ code: 'KL_API_NOT_FOUND', message: 'No row of "posts" has that id.' })
  return row
})

// Just the query this benchmark sends: published=eq.<bool>&order=createdAt.desc&limit=<n>.
app.get<{ Querystring: Record<string, string> }>('/api/posts', { schema: { response: { 200: { type: 'array', items: post }, 400: error } } }, async (request, reply) => {
  const { published, order, limit, ...rest } = request.query
  const limitN = Number(limit)
  if ((published !== 'eq.true' && published !== 'eq.false') || order !== 'createdAt.desc' || !Number.isInteger(limitN) || limitN < 1 || limitN > 1000 || Object.keys(rest).length > 0) {
    return reply.code(400).send({ code: 'BAD_REQUEST', message: 'Only published=eq.<bool>&order=createdAt.desc&limit=<n> is served.' })
  }
  const rows = (request.caller!.kind === 'system' ? anyByPublished : publishedByPublished).all(published === 'eq.true' ? 1 : 0, limitN)
  reply.header('content-range', rows.length === 0 ? '*/*' : `0-${rows.length - 1}/*`)
  return rows
})

const insertBody = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    authorId: { type: 'string', format: 'uuid' },
    title: { type: 'string', minLength: 1, maxLength: 200 },
    body: { type: 'string', maxLength: 20000 },
    published: { type: 'boolean' },
  },
  required: ['authorId', 'title', 'body'],
  additionalProperties: false,
}

interface PostInsert {
  id?: string
  authorId: string
  title: string
  body: string
  published?: boolean
}

app.post<{ Body: PostInsert }>('/api/posts', { schema: { body: insertBody, response: { '4xx': error } } }, async (request, reply) => {
  const { body } = request
  const caller = request.caller!
  // The create policy, post.authorId === auth.userId; the service key passes every policy.
  if (caller.kind !== 'system' && (caller.kind === 'anonymous' || body.authorId !== caller.userId)) {
    return reply.code(403).send({ code: 'KL_API_POLICY_DENIED', message: 'The create policy of "posts" refused the new row. Nothing was written.' })
  }
  try {
    insert.run(body.id ?? uuidv7(), body.authorId, body.title, body.body, body.published === true ? 1 : 0, new Date().toISOString())
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) return reply.code(422).send({ code: 'KL_API_CONSTRAINT', message: 'The post breaks a constraint.' })
    throw error
  }
  return reply.code(201).header('content-range', '*/*').send()
})

const address = await app.listen({ port: Number(port), host: '127.0.0.1' })
console.log(`listening ${new URL(address).port}`)

const stop = async () => {
  await app.close()
  db.close()
  process.exit(0)
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
