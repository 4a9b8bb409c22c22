// One write fanned out to 1,000 subscribers of `tasks`, half of whom may read it (members of the
// task's workspace), over real WebSockets: p50/p99 delivery latency (from sending the write to
// each subscriber's receipt, so it includes the REST write) and the server's CPU per write. The
// same payloads through a bare `ws` broadcast to the 500 readers are the ceiling.
// Then a sustained phase: writes as fast as 16 concurrent clients send them, up to 1,000/s for
// --seconds, to 100 subscribers: the write rate reached and how far delivery lags behind.
// Usage: node bench/realtime/run.ts [--subscribers 1000] [--writes 50] [--seconds 3]
import { fork, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import WebSocket from 'ws'
import { applyMigrations, readMigrations } from '../../dist/engine/migrate/index.js'
import { hashToken } from '../../dist/engine/runtime/auth/tokens.js'
import { applySystemSchema } from '../../dist/engine/runtime/system/system-schema.js'
import { systemMigrations } from '../../dist/engine/runtime/modules/index.js'
import { openDatabase } from '../../dist/engine/shared/sqlite.js'
import { uuidv7 } from '../../dist/engine/shared/uuid.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const repo = path.resolve(here, '../..')
const SERVICE_KEY = 'bench-realtime-service-key-0123456789'
const { values: args } = parseArgs({ options: { subscribers: { type: 'string', default: '1000' }, writes: { type: 'string', default: '50' }, seconds: { type: 'string', default: '3' } } })
const subscribers = Number(args.subscribers)
const writes = Number(args.writes)

/** Two workspaces with a project each; subscriber i is a member of workspace i % 2, with a session. */
function seed(file: string): { tokens: string[]; project: string; owner: string } {
  const db = openDatabase(file)
  applyMigrations(db, readMigrations(repo).migrations)
  applySystemSchema(db, systemMigrations())
  const far = new Date(Date.now() + 24 * 3600_000).toISOString()
  const now = new Date().toISOString()
  const tokens: string[] = []
  const users: string[] = []
  const workspaces = [uuidv7(), uuidv7()]
  const projects = [uuidv7(), uuidv7()]
  db.transaction(() => {
    for (let i = 0; i < subscribers; i++) {
      const id = uuidv7()
      users.push(id)
      db.prepare('INSERT INTO "users" ("id", "email", "displayName") VALUES (?, ?, ?)').run(id, `u${i}@bench.example`, `U${i}`)
      const token = `benchtoken${String(i).padStart(8, '0')}abcdefghijklmn`
      tokens.push(token)
      db.prepare('INSERT INTO "_koya_sessions" ("id", "userId", "createdAt", "expiresAt", "absoluteExpiresAt") VALUES (?, ?, ?, ?, ?)').run(hashToken(token), id, now, far, far)
    }
    workspaces.forEach((w, i) => {
      db.prepare('INSERT INTO "workspaces" ("id", "name", "slug", "ownerId") VALUES (?, ?, ?, ?)').run(w, `W${i}`, `w${i}`, users[i]!)
      db.prepare('INSERT INTO "projects" ("id", "workspaceId", "name") VALUES (?, ?, ?)').run(projects[i]!, w, `P${i}`)
    })
    users.forEach((u, i) => db.prepare('INSERT INTO "members" ("id", "workspaceId", "userId", "role") VALUES (?, ?, ?, ?)').run(uuidv7(), workspaces[i % 2]!, u, 'editor'))
  })()
  db.close()
  return { tokens, project: projects[0]!, owner: users[0]! }
}

function start(kind: 'koyalite' | 'bare', file?: string): Promise<{ child: ChildProcess; port: number }> {
  // BENCH_CPU_PROF=<dir>: the koyalite server writes a V8 CPU profile there when it stops.
  const profile = kind === 'koyalite' && process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []
  const child = fork(path.join(here, 'servers.ts'), [kind, ...(file ? [file] : [])], { env: { ...process.env, BENCH_SERVICE_KEY: SERVICE_KEY }, stdio: 'inherit', execArgv: [...process.execArgv, ...profile] })
  return new Promise((resolve) => child.once('message', (m: { port: number }) => resolve({ child, port: m.port })))
}

const cpuOf = (child: ChildProcess) =>
  new Promise<number>((resolve) => {
    child.once('message', (m: { cpu: { user: number; system: number } }) => resolve((m.cpu.user + m.cpu.system) / 1000))
    child.send('cpu')
  })

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!

/** Open the sockets; each calls onMessage(index, text). */
async function connect(port: number, count: number, options: (i: number) => { url: string; headers: Record<string, string> }, onMessage: (i: number, text: string) => void): Promise<WebSocket[]> {
  const sockets: WebSocket[] = []
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, (_, k) => {
        const o = options(i + k)
        const socket = new WebSocket(`ws://127.0.0.1:${port}${o.url}`, { headers: o.headers })
        sockets.push(socket)
        socket.on('message', (data) => onMessage(i + k, data.toString()))
        return new Promise((resolve) => socket.once('open', resolve))
      }),
    )
  }
  return sockets
}

async function measure(label: string, port: number, child: ChildProcess, sockets: WebSocket[], expected: number, write: (i: number) => Promise<void>, arrivals: number[][], ready: () => Promise<void>) {
  await ready()
  const latencies: number[] = []
  const cpuBefore = await cpuOf(child)
  for (let w = 0; w < writes; w++) {
    for (const list of arrivals) list.length = 0
    const sent = performance.now()
    await write(w)
    const deadline = Date.now() + 5000
    while (arrivals.reduce((n, list) => n + list.length, 0) < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1))
    const got = arrivals.flat()
    if (got.length < expected) console.warn(`${label}: write ${w} reached ${got.length} of ${expected}`)
    for (const at of got) latencies.push(at - sent)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const cpu = (await cpuOf(child)) - cpuBefore
  latencies.sort((a, b) => a - b)
  console.log(`${label.padEnd(28)} p50 ${percentile(latencies, 50).toFixed(1).padStart(6)} ms   p99 ${percentile(latencies, 99).toFixed(1).padStart(6)} ms   server CPU ${(cpu / writes).toFixed(2).padStart(6)} ms/write   (${latencies.length} deliveries)`)
  for (const socket of sockets) socket.close()
  void port
}

/** Up to 1,000 writes/s for `seconds` to 100 subscribers (half may read them): rate reached, delivery lag. */
async function sustained(port: number, tokens: readonly string[], project: string, owner: string, seconds: number) {
  let received = 0
  let lastArrival = 0
  let subscribed = 0
  const sockets = await connect(port, tokens.length, (i) => ({ url: '/realtime', headers: { authorization: `Bearer ${tokens[i]}` } }), (_i, text) => {
    if (text.startsWith('{"type":"change"')) {
      received++
      lastArrival = performance.now()
    } else if (text.startsWith('{"type":"subscribed"')) subscribed++
  })
  for (const socket of sockets) socket.send(JSON.stringify({ type: 'subscribe', id: 't', table: 'tasks' }))
  while (subscribed < tokens.length) await new Promise((resolve) => setTimeout(resolve, 10))
  const target = 1000 * seconds
  const started = performance.now()
  let sent = 0
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (sent < target && performance.now() - started < seconds * 1000) {
        // Pace to 1,000/s.
        const due = started + sent
        sent++
        const wait = due - performance.now()
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
        const response = await fetch(`http://127.0.0.1:${port}/api/tasks`, { method: 'POST', headers: { authorization: `Bearer ${SERVICE_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ projectId: project, createdBy: owner, title: `sustained ${sent}` }) })
        await response.arrayBuffer()
      }
    }),
  )
  const written = performance.now()
  const expected = sent * Math.ceil(tokens.length / 2)
  const deadline = Date.now() + 10_000
  while (received < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
  const rate = sent / ((written - started) / 1000)
  console.log(`sustained, 100 subscribers      ${rate.toFixed(0).padStart(5)} writes/s reached   ${received} of ${expected} deliveries   last delivery ${(Math.max(0, lastArrival - written)).toFixed(0)} ms after the last write answered`)
  for (const socket of sockets) socket.close()
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-bench-realtime-'))
try {
  const file = path.join(dir, 'bench.db')
  const { tokens, project, owner } = seed(file)
  console.log(`${subscribers} subscribers (${Math.ceil(subscribers / 2)} may read each write), ${writes} writes; a busy machine's numbers are indicative only\n`)

  const koya = await start('koyalite', file)
  const arrivals: number[][] = Array.from({ length: subscribers }, () => [])
  let subscribed = 0
  let payload = ''
  const sockets = await connect(koya.port, subscribers, (i) => ({ url: '/realtime', headers: { authorization: `Bearer ${tokens[i]}` } }), (i, text) => {
    if (text.startsWith('{"type":"change"')) {
      arrivals[i]!.push(performance.now())
      payload = text
    } else if (text.startsWith('{"type":"subscribed"')) subscribed++
  })
  for (const socket of sockets) socket.send(JSON.stringify({ type: 'subscribe', id: 't', table: 'tasks' }))
  await measure('koyalite realtime', koya.port, koya.child, sockets, Math.ceil(subscribers / 2), async (w) => {
    const response = await fetch(`http://127.0.0.1:${koya.port}/api/tasks`, { method: 'POST', headers: { authorization: `Bearer ${SERVICE_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ projectId: project, createdBy: owner, title: `write ${w}` }) })
    await response.arrayBuffer()
  }, arrivals, async () => {
    while (subscribed < subscribers) await new Promise((resolve) => setTimeout(resolve, 10))
  })
  await sustained(koya.port, tokens.slice(0, 100), project, owner, Number(args.seconds))
  koya.child.kill('SIGTERM')

  const bare = await start('bare')
  const bareArrivals: number[][] = Array.from({ length: subscribers }, () => [])
  const bareSockets = await connect(bare.port, subscribers, (i) => ({ url: i % 2 === 0 ? '/realtime?listen=1' : '/realtime', headers: {} }), (i) => bareArrivals[i]!.push(performance.now()))
  await measure('bare ws broadcast (ceiling)', bare.port, bare.child, bareSockets, Math.ceil(subscribers / 2), async () => {
    const response = await fetch(`http://127.0.0.1:${bare.port}/publish`, { method: 'POST', body: payload })
    await response.arrayBuffer()
  }, bareArrivals, async () => {})
  bare.child.kill('SIGTERM')
} finally {
  rmSync(dir, { recursive: true, force: true })
}
