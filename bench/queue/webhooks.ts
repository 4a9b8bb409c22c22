// bench/queue/webhooks: webhook deliveries per second to a local receiver (target ≥ 1,000/s), and
// REST creates per second with a webhook configured against without (target ≤ 15 % fewer).
//
//   node bench/queue/webhooks.ts [--events 5000] [--seconds 5]
//
// Deliveries: a backlog of events is enqueued by REST creates with the workers off, then a server
// with workers on delivers it (signed, over HTTP with keep-alive, delivery log written) to a
// receiver in its own process answering 200. Creates: POST /api/workspaces through app.inject
// (no network), one at a time, workers off, so the difference is the event's read-back and its
// enqueue in the write's transaction. Numbers taken on a shared machine are indicative only.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { insertSchema, rowSchema, updateSchema } from '../../engine/codegen/json-schema/column-schemas.ts'
import type { ProjectIR } from '../../engine/ir/project-ir.ts'
import { applyMigrations, readMigrations } from '../../engine/migrate/index.ts'
import { createServer } from '../../engine/runtime/index.ts'
import { loadModel } from '../../engine/runtime/model.ts'
import { openDatabase, type SqliteDatabase } from '../../engine/shared/sqlite.ts'

const { values } = parseArgs({ options: { events: { type: 'string', default: '5000' }, seconds: { type: 'string', default: '5' } } })
const events = Number(values.events)
const seconds = Number(values.seconds)
const root = path.resolve(import.meta.dirname, '../..')
const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-bench-webhooks-'))
const SERVICE_KEY = 'bench-service-key-0123456789abcdef'
const secret = `whsec_${randomBytes(32).toString('base64')}`

const RECEIVER = `
let n = 0
const server = require('node:http').createServer((req, res) => { req.resume(); req.on('end', () => { n++; res.writeHead(200); res.end() }) })
server.keepAliveTimeout = 60000
server.listen(0, '127.0.0.1', () => process.stdout.write('port ' + server.address().port + '\\n'))
process.on('message', () => process.send(n))
`

function startReceiver(): Promise<{ port: number; count(): Promise<number>; stop(): void }> {
  const child = spawn(process.execPath, ['-e', RECEIVER], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
  return new Promise((resolve) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      const match = /port (\d+)/.exec(chunk.toString())
      if (match) resolve({
        port: Number(match[1]),
        count: () => new Promise((done) => { child.once('message', (n) => done(n as number)); child.send('count') }),
        stop: () => child.kill(),
      })
    })
  })
}

const base = loadModel(root)
const withWebhook: ProjectIR = { ...base, webhooks: [{ name: 'bench', table: 'workspaces', on: ['create', 'delete', 'update'], url: { env: 'HOOK_URL' }, secret: { env: 'HOOK_SECRET' }, hasFilter: false, hasTransform: false, retry: null }] }
const tables = (model: ProjectIR) => model.tables.map((table) => ({ table: table.name, schemas: { row: rowSchema(table), insert: insertSchema(table), update: updateSchema(table) } }))

async function server(model: ProjectIR, db: SqliteDatabase, env: Record<string, string>, workers: boolean) {
  const app = await createServer({ model, db, tables: tables(model), auth: { serviceKey: SERVICE_KEY }, logger: false, env, queue: { workers, concurrency: 64, pollMs: 10 }, webhooks: { concurrency: 64 } })
  await app.ready()
  return app
}

function freshDb(name: string): SqliteDatabase {
  const db = openDatabase(path.join(dir, `${name}.db`))
  applyMigrations(db, readMigrations(root).migrations)
  return db
}

async function createOwner(app: Awaited<ReturnType<typeof server>>): Promise<string> {
  const response = await app.inject({ method: 'POST', url: '/api/users', headers: { authorization: `Bearer ${SERVICE_KEY}`, prefer: 'return=representation', 'content-type': 'application/json' }, payload: { email: 'owner@example.com', displayName: 'Owner' } })
  const body = JSON.parse(response.body)
  return (Array.isArray(body) ? body[0] : body).id
}

/** Creates per second for `seconds`, one request at a time. */
async function createsPerSecond(model: ProjectIR, env: Record<string, string>): Promise<number> {
  const db = freshDb(model.webhooks ? 'creates-webhook' : 'creates-plain')
  const app = await server(model, db, env, false)
  const ownerId = await createOwner(app)
  let n = 0
  const until = performance.now() + seconds * 1000
  const start = performance.now()
  while (performance.now() < until) {
    const response = await app.inject({ method: 'POST', url: '/api/workspaces', headers: { authorization: `Bearer ${SERVICE_KEY}`, 'content-type': 'application/json' }, payload: { name: `w${n}`, slug: `w${n}`, ownerId } })
    if (response.statusCode !== 201) throw new Error(response.body)
    n++
  }
  const rate = n / ((performance.now() - start) / 1000)
  await app.close()
  db.close()
  return rate
}

async function deliveriesPerSecond(env: Record<string, string>, receiver: Awaited<ReturnType<typeof startReceiver>>): Promise<number> {
  const db = freshDb('deliveries')
  const filler = await server(withWebhook, db, env, false)
  const ownerId = await createOwner(filler)
  for (let i = 0; i < events; i++) {
    await filler.inject({ method: 'POST', url: '/api/workspaces', headers: { authorization: `Bearer ${SERVICE_KEY}`, 'content-type': 'application/json' }, payload: { name: `w${i}`, slug: `w${i}`, ownerId } })
  }
  await filler.close()
  const before = await receiver.count()
  const start = performance.now()
  const app = await server(withWebhook, db, env, true)
  while ((await receiver.count()) - before < events) await new Promise((resolve) => setTimeout(resolve, 20))
  const rate = events / ((performance.now() - start) / 1000)
  const [failed] = db.prepare(`SELECT count(*) AS n FROM "_koya_webhook_deliveries" WHERE "ok" = 0`).all() as { n: number }[]
  await app.close()
  db.close()
  if (failed!.n > 0) console.log(`  (${failed!.n} failed attempts)`)
  return rate
}

const receiver = await startReceiver()
try {
  const env = { HOOK_URL: `http://127.0.0.1:${receiver.port}/hook`, HOOK_SECRET: secret, KOYA_WEBHOOK_ALLOW_HOSTS: '127.0.0.1' }
  const deliveries = await deliveriesPerSecond(env, receiver)
  console.log(`webhook deliveries: ${Math.round(deliveries)}/s (${events} events, target ≥ 1,000/s) ${deliveries >= 1000 ? 'ok' : 'BELOW TARGET'}`)
  const plain = await createsPerSecond(base, env)
  const hooked = await createsPerSecond(withWebhook, env)
  const fewer = 1 - hooked / plain
  console.log(`REST creates: ${Math.round(plain)}/s without a webhook, ${Math.round(hooked)}/s with one: ${(fewer * 100).toFixed(1)} % fewer (target ≤ 15 %) ${fewer <= 0.15 ? 'ok' : 'ABOVE TARGET'}`)
} finally {
  receiver.stop()
  rmSync(dir, { recursive: true, force: true })
}
