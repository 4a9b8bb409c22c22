// The baseline: what a careful developer would write by hand for the three benchmarked routes,
// with Fastify and better-sqlite3 prepared statements, and nothing else. Same routes, statuses,
// headers and JSON as KoyaLite's for these requests (run.ts checks that before it measures).
// Usage: BENCH_SERVICE_KEY=… node bench/rest/baseline-server.ts <db file>; prints "listening <port>".
import { createHash, timingSafeEqual } from 'node:crypto'
import Database from 'better-sqlite3'
import Fastify from 'fastify'
// The same UUIDv7 as KoyaLite's ids: random v4 keys would scatter inserts over the primary key
// index and make the baseline's creates slower for a reason unrelated to the framework.
import { uuidv7 } from '../../engine/shared/uuid.ts'

const file = process.argv[2]
const serviceKey = process.env.BENCH_SERVICE_KEY
if (!file || !serviceKey) throw new Error('usage: BENCH_SERVICE_KEY=… node bench/rest/baseline-server.ts <db file>')

// The pragmas KoyaLite's openDatabase sets.
const db = new Database(file)
db.pragma('busy_timeout = 5000')
db.pragma('journal_mode = WAL')
db.pragma('synchronous = NORMAL')
db.pragma('foreign_keys = ON')

const byId = db.prepare('SELECT * FROM "tasks" WHERE "id" = ?')
const byStatus = db.prepare('SELECT * FROM "tasks" WHERE "status" = ? ORDER BY "createdAt" DESC LIMIT ?')
const insert = db.prepare(
  'INSERT INTO "tasks" ("id", "projectId", "title", "body", "status", "priority", "dueAt", "assigneeId", "createdBy") VALUES (@id, @projectId, @title, @body, @status, @priority, @dueAt, @assigneeId, @createdBy)',
)

// Compare digests, as KoyaLite does, so the check takes the same time whatever the guess.
const expected = createHash('sha256').update(serviceKey).digest()
const authorized = (header: string | undefined) => {
  const token = /^Bearer (.+)$/i.exec(header ?? '')?.[1]
  return token !== undefined && timingSafeEqual(createHash('sha256').update(token).digest(), expected)
}

const app = Fastify({ logger: false })
app.addHook('onRequest', async (request, reply) => {
  if (!authorized(request.headers.authorization)) return reply.code(401).send({ code: 'UNAUTHORIZED', message: 'Access to "tasks" needs credentials.' })
})

app.get<{ Params: { id: string } }>('/api/tasks/:id', async (request, reply) => {
  const row = byId.get(request.params.id)
  if (row === undefined) return reply.code(404).send({ code: 'NOT_FOUND', message: 'No row of "tasks" has that id.' })
  return row
})

// Just the query this benchmark sends: status=eq.<s>&order=createdAt.desc&limit=<n>.
app.get<{ Querystring: Record<string, string> }>('/api/tasks', async (request, reply) => {
  const { status, order, limit, ...rest } = request.query
  const limitN = Number(limit)
  if (!status?.startsWith('eq.') || order !== 'createdAt.desc' || !Number.isInteger(limitN) || limitN < 1 || limitN > 1000 || Object.keys(rest).length > 0) {
    return reply.code(400).send({ code: 'BAD_REQUEST', message: 'Only status=eq.<s>&order=createdAt.desc&limit=<n> is served.' })
  }
  const rows = byStatus.all(status.slice(3), limitN)
  reply.header('content-range', rows.length === 0 ? '*/*' : `0-${rows.length - 1}/*`)
  return rows
})

const uuid = { type: 'string', format: 'uuid' }
const nullable = (schema: object) => ({ anyOf: [schema, { type: 'null' }] })
const insertBody = {
  type: 'object',
  properties: {
    projectId: uuid,
    title: { type: 'string', minLength: 1, maxLength: 200 },
    body: nullable({ type: 'string', maxLength: 20000 }),
    status: { type: 'string', enum: ['todo', 'doing', 'done'] },
    priority: { type: 'integer', minimum: 0, maximum: 3 },
    dueAt: nullable({ type: 'string', format: 'date-time' }),
    assigneeId: nullable(uuid),
    createdBy: uuid,
  },
  required: ['projectId', 'title', 'createdBy'],
  additionalProperties: false,
}

interface TaskInsert {
  projectId: string
  title: string
  body?: string | null
  status?: string
  priority?: number
  dueAt?: string | null
  assigneeId?: string | null
  createdBy: string
}

app.post<{ Body: TaskInsert }>('/api/tasks', { schema: { body: insertBody } }, async (request, reply) => {
  const task = request.body
  try {
    insert.run({
      id: uuidv7(),
      projectId: task.projectId,
      title: task.title,
      body: task.body ?? null,
      status: task.status ?? 'todo',
      priority: task.priority ?? 1,
      dueAt: task.dueAt ?? null,
      assigneeId: task.assigneeId ?? null,
      createdBy: task.createdBy,
    })
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT')) return reply.code(422).send({ code: 'CONSTRAINT', message: 'The task breaks a constraint.' })
    throw error
  }
  return reply.code(201).header('content-range', '*/*').send()
})

const address = await app.listen({ port: 0, host: '127.0.0.1' })
console.log(`listening ${new URL(address).port}`)

const stop = async () => {
  await app.close()
  db.close()
  process.exit(0)
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
