// One write fanned out to 1,000 subscribers of `tasks`, half of whom may read it (members of the
// task's workspace), over real WebSockets: p50/p99 delivery latency (from sending the write to
// each subscriber's receipt, so it includes the REST write) and the server's CPU per write. The
// same payloads through a bare `ws` broadcast to the 500 readers are the ceiling.
// Then a sustained phase: writes paced to 1,000/s from --senders concurrent clients (64: on a
// loaded machine 16 clients' round trips alone capped the rate near 400/s, the server idle), for
// --seconds, to 100 subscribers: the write rate reached, how far delivery lags behind and the
// server's CPU per write; the bare server takes the same paced publishes (it writes no database,
// so its CPU is the floor of delivery alone). Ratios against the bare server and the 1,000/s
// target are printed last. About a minute with the defaults.
// Usage: node bench/realtime/run.ts [--subscribers 1000] [--writes 50] [--seconds 3] [--senders 64]
// BENCH_CPU_PROF=<dir>: the koyalite server writes a V8 CPU profile there.
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
const { values: args } = parseArgs({ options: { subscribers: { type: 'string', default: '1000' }, writes: { type: 'string', default: '50' }, seconds: { type: 'string', default: '3' }, senders: { type: 'string', default: '64' } } })
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
  const p50 = percentile(latencies, 50)
  const p99 = percentile(latencies, 99)
  console.log(`${label.padEnd(28)} p50 ${p50.toFixed(1).padStart(6)} ms   p99 ${p99.toFixed(1).padStart(6)} ms   server CPU ${(cpu / writes).toFixed(2).padStart(6)} ms/write   (${latencies.length} deliveries)`)
  for (const socket of sockets) socket.close()
  void port
  return { p50, p99, cpuPerWrite: cpu / writes }
}

/**
 * Up to 1,000 writes/s for `seconds` to 100 subscribers (half may read them): the rate reached,
 * whether delivery kept up, and the server's CPU per write. `open` connects the 100 and resolves
 * once they listen; `write` makes one write.
 */
async function sustained(label: string, child: ChildProcess, count: number, seconds: number, open: (onMessage: (text: string) => void) => Promise<WebSocket[]>, write: (n: number) => Promise<void>) {
  let received = 0
  let lastArrival = 0
  const sockets = await open((text) => {
    if (!text.startsWith('{"type":"change"')) return
    received++
    lastArrival = performance.now()
  })
  const target = 1000 * seconds
  const cpuBefore = await cpuOf(child)
  const started = performance.now()
  let sent = 0
  await Promise.all(
    Array.from({ length: Number(args.senders) }, async () => {
      while (sent < target && performance.now() - started < seconds * 1000) {
        // Pace to 1,000/s.
        const due = started + sent
        sent++
        const wait = due - performance.now()
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
        await write(sent)
      }
    }),
  )
  const written = performance.now()
  const expected = sent * Math.ceil(count / 2)
  const deadline = Date.now() + 10_000
  while (received < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5))
  const cpu = (await cpuOf(child)) - cpuBefore
  const rate = sent / ((written - started) / 1000)
  const lag = Math.max(0, lastArrival - written)
  console.log(`${label.padEnd(28)} ${rate.toFixed(0).padStart(5)} writes/s   ${received} of ${expected} deliveries   last ${lag.toFixed(0)} ms after the last write   server CPU ${(cpu / sent).toFixed(2).padStart(5)} ms/write`)
  for (const socket of sockets) socket.close()
  return { rate, cpuPerWrite: cpu / sent, complete: received >= expected, lag }
}

const post = (port: number, pathname: string, body: string, headers: Record<string, string>) => async () => {
  const response = await fetch(`http://127.0.0.1:${port}${pathname}`, { method: 'POST', headers, body })
  await response.arrayBuffer()
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
  const koyaFanout = await measure('koyalite realtime', koya.port, koya.child, sockets, Math.ceil(subscribers / 2), async (w) => {
    const response = await fetch(`http://127.0.0.1:${koya.port}/api/tasks`, { method: 'POST', headers: { authorization: `Bearer ${SERVICE_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ projectId: project, createdBy: owner, title: `write ${w}` }) })
    await response.arrayBuffer()
  }, arrivals, async () => {
    while (subscribed < subscribers) await new Promise((resolve) => setTimeout(resolve, 10))
  })
  const seconds = Number(args.seconds)
  const hundred = tokens.slice(0, 100)
  const koyaSustained = await sustained('koyalite, sustained', koya.child, hundred.length, seconds, async (onMessage) => {
    let subscribed = 0
    const sockets = await connect(koya.port, hundred.length, (i) => ({ url: '/realtime', headers: { authorization: `Bearer ${hundred[i]}` } }), (_i, text) => {
      if (text.startsWith('{"type":"subscribed"')) subscribed++
      else onMessage(text)
    })
    for (const socket of sockets) socket.send(JSON.stringify({ type: 'subscribe', id: 't', table: 'tasks' }))
    while (subscribed < hundred.length) await new Promise((resolve) => setTimeout(resolve, 10))
    return sockets
  }, (n) => post(koya.port, '/api/tasks', JSON.stringify({ projectId: project, createdBy: owner, title: `sustained ${n}` }), { authorization: `Bearer ${SERVICE_KEY}`, 'content-type': 'application/json' })())
  koya.child.kill('SIGTERM')

  const bare = await start('bare')
  const bareArrivals: number[][] = Array.from({ length: subscribers }, () => [])
  const bareSockets = await connect(bare.port, subscribers, (i) => ({ url: i % 2 === 0 ? '/realtime?listen=1' : '/realtime', headers: {} }), (i) => bareArrivals[i]!.push(performance.now()))
  const bareFanout = await measure('bare ws broadcast (ceiling)', bare.port, bare.child, bareSockets, Math.ceil(subscribers / 2), post(bare.port, '/publish', payload, {}), bareArrivals, async () => {})
  const bareSustained = await sustained('bare ws, sustained (ceiling)', bare.child, 100, seconds, (onMessage) => connect(bare.port, 100, (i) => ({ url: i % 2 === 0 ? '/realtime?listen=1' : '/realtime', headers: {} }), (_i, text) => onMessage(text)), post(bare.port, '/publish', payload, {}))
  bare.child.kill('SIGTERM')

  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`
  console.log('\nkoyalite against the bare ws ceiling (same run; lower is better, 1.00× is the ceiling):')
  console.log(`  fan-out to ${subscribers}: p50 ${ratio(koyaFanout.p50, bareFanout.p50)}   p99 ${ratio(koyaFanout.p99, bareFanout.p99)}   server CPU per write ${ratio(koyaFanout.cpuPerWrite, bareFanout.cpuPerWrite)}`)
  console.log(`  sustained, 100 subscribers: server CPU per write ${ratio(koyaSustained.cpuPerWrite, bareSustained.cpuPerWrite)}`)
  const met = koyaSustained.rate >= 950 && koyaSustained.complete && koyaSustained.lag < 1000
  console.log(`target: sustained 1,000 writes/s to 100 subscribers without falling behind: ${met ? 'met' : 'NOT met'} (${koyaSustained.rate.toFixed(0)} writes/s, ${koyaSustained.complete ? 'every delivery made' : 'deliveries missing'}, last ${koyaSustained.lag.toFixed(0)} ms after the last write)`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
