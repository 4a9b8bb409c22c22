// KoyaLite's REST API against a hand-written Fastify + better-sqlite3 server, side by side, on
// the same 100k-task SQLite file: get by id, list 20 with a filter and an order, create; 1 and
// 32 connections. Each server is its own process pinned to core 0, wrk is pinned to core 1.
// Usage: node bench/rest/run.ts [--duration 10] [--warmup 2] [--rounds 3]
//        node bench/rest/run.ts --encrypted [--duration 10] [--warmup 2] [--rounds 3]
//          KoyaLite on the plain file against KoyaLite on a SQLCipher copy of it (database:
//          { encryption }), same cases and connections, alternating: the cost of encryption at rest.
//        node bench/rest/run.ts --profile get|list|create [--server koyalite|baseline] [--connections 32]
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual, parseArgs } from 'node:util'
import { printProfileSummary, summarizeProfile } from './profile.ts'
import { bestOfRounds, ms, rate } from './rounds.ts'
import { seedDatabase, type SeedFiles } from './seed.ts'
import { memoryOf, startServer, waitForQuiet, type ServerProcess } from './servers.ts'
import { missingTools, runWrk, type BenchCase, type WrkResult } from './wrk.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const repo = path.resolve(here, '../..')
const SERVICE_KEY = 'bench-service-key-0123456789abcdef'
const SERVER_CORE = 0
const WRK_CORE = 1
const CASES: readonly BenchCase[] = ['get', 'list', 'create'] // create last: it grows the table
const CONNECTIONS = [1, 32] as const
/** KoyaLite's req/s as a share of the baseline's, at least. */
const TARGETS: Record<BenchCase, number> = { get: 0.7, list: 0.7, create: 0.6 }
const IDLE_RSS_TARGET_MB = 120
const SCRIPTS = { baseline: path.join(here, 'baseline-server.ts'), koyalite: path.join(here, 'koyalite-server.ts') } as const
type ServerName = keyof typeof SCRIPTS
const LISTENING = /^listening (\d+)$/

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    profile: { type: 'string' },
    server: { type: 'string', default: 'koyalite' },
    connections: { type: 'string', default: '32' },
    encrypted: { type: 'boolean', default: false },
  },
})
const duration = Number(args.duration)
const warmup = Number(args.warmup)
const rounds = Number(args.rounds)

const missing = missingTools()
if (missing) {
  console.error(missing)
  process.exit(1)
}

const started: ServerProcess[] = []
const work = mkdtempSync(path.join(os.tmpdir(), 'koya-bench-rest-'))
let cleaned = false
async function cleanUp(): Promise<void> {
  if (cleaned) return
  cleaned = true
  await Promise.all(started.map((s) => s.stop()))
  rmSync(work, { recursive: true, force: true })
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void cleanUp().finally(() => process.exit(130))
  })
}

async function start(name: ServerName, db: string, nodeFlags: readonly string[] = [], dbKey?: string): Promise<ServerProcess> {
  const server = await startServer({ name: dbKey === undefined ? name : `${name} (encrypted)`, args: [...nodeFlags, SCRIPTS[name], db], env: { BENCH_SERVICE_KEY: SERVICE_KEY, ...(dbKey === undefined ? {} : { BENCH_DB_KEY: dbKey }) }, core: SERVER_CORE, ready: LISTENING })
  started.push(server)
  return server
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
let disturbed = 0
/** Wait for the servers to finish any backlog, and for other work on the machine to pause. */
async function quiet(): Promise<void> {
  const machineQuiet = await waitForQuiet(
    started.filter((s) => !s.stopped).map((s) => s.pid),
    { machine: true, timeoutMs: 120_000 },
  )
  if (!machineQuiet) {
    disturbed++
    console.error('other work kept the machine busy for 120 s; measuring anyway')
  }
}

async function measure(server: ServerProcess, seed: SeedFiles, benchCase: BenchCase, connections: number): Promise<WrkResult> {
  const options = { url: server.url, benchCase, connections, serviceKey: SERVICE_KEY, idsDir: path.dirname(seed.taskIds), core: WRK_CORE }
  await quiet()
  if (warmup > 0) await runWrk({ ...options, seconds: warmup })
  await waitForQuiet([server.pid], { machine: false })
  const result = await runWrk({ ...options, seconds: duration })
  if (result.errors > 0) throw new Error(`${server.name} ${benchCase} c=${connections}: ${result.errors} errors or non-2xx answers of ${result.requests}`)
  return result
}

/** Both servers must answer these requests the same way, or the comparison means nothing. */
async function checkSameAnswers(baseline: ServerProcess, koyalite: ServerProcess, taskId: string, projectId: string, userId: string): Promise<void> {
  const ask = async (server: ServerProcess, url: string, init: RequestInit = {}) => {
    const response = await fetch(server.url + url, { ...init, headers: { authorization: `Bearer ${SERVICE_KEY}`, ...(init.headers as Record<string, string>) } })
    const text = await response.text()
    return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown), range: response.headers.get('content-range'), type: response.headers.get('content-type') }
  }
  const same = async (what: string, url: string, init?: RequestInit) => {
    const [a, b] = [await ask(baseline, url, init), await ask(koyalite, url, init)]
    // Two creates make two rows; only their status and headers can be the same.
    const comparable = (answer: typeof a) => (init?.method === 'POST' ? { ...answer, body: undefined } : answer)
    if (!isDeepStrictEqual(comparable(a), comparable(b))) {
      throw new Error(`${what}: the servers answer differently:\nbaseline ${JSON.stringify(a)}\nkoyalite ${JSON.stringify(b)}`)
    }
    return a
  }
  const one = await same('get', `/api/tasks/${taskId}`)
  if (one.status !== 200) throw new Error(`get answered ${one.status}`)
  const list = await same('list', '/api/tasks?status=eq.todo&order=createdAt.desc&limit=20')
  if (list.status !== 200 || (list.body as unknown[]).length !== 20) throw new Error(`list answered ${list.status} with ${JSON.stringify(list.body).slice(0, 200)}`)
  const body = JSON.stringify({ projectId, title: 'Check', body: 'Created by the benchmark.', priority: 2, createdBy: userId })
  const created = await same('create', '/api/tasks', { method: 'POST', body, headers: { 'content-type': 'application/json' } })
  if (created.status !== 201 || created.body !== undefined) throw new Error(`create answered ${created.status} ${JSON.stringify(created.body)}`)
  // Without the service key neither server hands the task out: the baseline refuses (401), and
  // KoyaLite's read policy admits no anonymous caller, so the row answers as missing (404).
  const anonymous = [await fetch(`${baseline.url}/api/tasks/${taskId}`), await fetch(`${koyalite.url}/api/tasks/${taskId}`)]
  if (anonymous[0]!.status !== 401 || anonymous[1]!.status !== 404) throw new Error(`without the service key: ${anonymous.map((r) => r.status).join(', ')}, not 401, 404`)
}

/**
 * Idle RSS of KoyaLite as users run it: `koyalite start` from the compiled dist/, which loads
 * no TypeScript stripper for the engine (the load runs on koyalite-server.ts, from source).
 */
async function idleRssOfCli(db: string): Promise<{ rssMb: number; stale: boolean }> {
  const newest = (dir: string): number =>
    Math.max(...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(path.join(dir, e.name)) : e.name.endsWith('.ts') ? statSync(path.join(dir, e.name)).mtimeMs : 0)))
  // tsc rewrites only the outputs that changed; its build info is written on every build.
  const built = path.join(repo, 'dist', '.tsbuildinfo')
  const stale = newest(path.join(repo, 'engine')) > statSync(built).mtimeMs
  const cli = await startServer({
    name: 'koyalite start',
    args: [path.join(repo, 'bin', 'koyalite.js'), 'start', '--no-migrate', '--db', db, '--port', '0', '--host', '127.0.0.1'],
    env: { KOYA_SERVICE_KEY: SERVICE_KEY, LOG_LEVEL: 'silent', NO_COLOR: '1' },
    cwd: repo,
    core: SERVER_CORE,
    ready: /serving \S*http:\/\/127\.0\.0\.1:(\d+)/,
  })
  started.push(cli)
  try {
    await sleep(1000)
    return { rssMb: memoryOf(cli.pid).rssMb, stale }
  } finally {
    await cli.stop()
  }
}

const firstLine = (file: string) => readFileSync(file, 'utf8').split('\n')[0]!
const mb = (value: number) => value.toFixed(0)

async function benchmark(seed: SeedFiles): Promise<void> {
  const loadBefore = os.loadavg()[0]!
  const cli = await idleRssOfCli(seed.db)
  const baseline = await start('baseline', seed.db)
  const koyalite = await start('koyalite', seed.db)
  await sleep(1000)
  const idle = { baseline: memoryOf(baseline.pid), koyalite: memoryOf(koyalite.pid) }
  await checkSameAnswers(baseline, koyalite, firstLine(seed.taskIds), firstLine(seed.projectIds), firstLine(seed.userIds))

  const rows: string[] = []
  const misses: string[] = []
  for (const benchCase of CASES) {
    for (const connections of CONNECTIONS) {
      const [base, koya] = await bestOfRounds([baseline, koyalite], rounds, `${benchCase} c=${connections}`, (server) => measure(server, seed, benchCase, connections))
      const ratio = koya.requestsPerSecond / base.requestsPerSecond
      const met = ratio >= TARGETS[benchCase]
      if (!met) misses.push(`${benchCase} c=${connections}: ${ratio.toFixed(2)}× < ${TARGETS[benchCase]}×`)
      rows.push(
        `| ${benchCase} | ${connections} | ${rate(base.requestsPerSecond)} | ${ms(base.p50Ms)} | ${ms(base.p99Ms)} | ${rate(koya.requestsPerSecond)} | ${ms(koya.p50Ms)} | ${ms(koya.p99Ms)} | ${ratio.toFixed(2)}× | ≥ ${TARGETS[benchCase]}×: ${met ? 'met' : '**missed**'} |`,
      )
    }
  }
  const loaded = { baseline: memoryOf(baseline.pid), koyalite: memoryOf(koyalite.pid) }
  const idleMet = cli.rssMb < IDLE_RSS_TARGET_MB
  if (!idleMet) misses.push(`idle RSS of \`koyalite start\` ${mb(cli.rssMb)} MB ≥ ${IDLE_RSS_TARGET_MB} MB`)

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  console.log(
    `\n${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${cpu}, ${os.type()} ${os.release()}, Node ${process.version}. ` +
      `${rounds} round(s) of ${duration} s per server and case, each after a ${warmup} s warm-up; the best round of each server. ` +
      `Load average before/after: ${loadBefore.toFixed(2)}/${os.loadavg()[0]!.toFixed(2)}${disturbed > 0 ? `; ${disturbed} run(s) started while other work kept the machine busy` : ''}.\n`,
  )
  console.log('| case | conns | baseline req/s | p50 ms | p99 ms | KoyaLite req/s | p50 ms | p99 ms | KoyaLite / baseline | target |')
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |')
  console.log(rows.join('\n'))
  console.log('\n| server | RSS idle (after start) | RSS after the load | peak RSS |\n| --- | ---: | ---: | ---: |')
  console.log(`| baseline (baseline-server.ts) | ${mb(idle.baseline.rssMb)} MB | ${mb(loaded.baseline.rssMb)} MB | ${mb(loaded.baseline.peakMb)} MB |`)
  console.log(`| KoyaLite (koyalite-server.ts, dist/) | ${mb(idle.koyalite.rssMb)} MB | ${mb(loaded.koyalite.rssMb)} MB | ${mb(loaded.koyalite.peakMb)} MB |`)
  console.log(`| KoyaLite (\`koyalite start\`, dist/${cli.stale ? ', **older than engine/**' : ''}) | ${mb(cli.rssMb)} MB (target < ${IDLE_RSS_TARGET_MB} MB: ${idleMet ? 'met' : '**missed**'}) | | |`)
  console.log(misses.length === 0 ? '\nEvery target is met.' : `\nMissed: ${misses.join('; ')}.`)
}

/**
 * The cost of encryption at rest: KoyaLite on the seeded file and on a SQLCipher copy of it, the
 * same cases and connections, alternating rounds; encrypted req/s as a share of plain.
 */
async function encryptionCost(seed: SeedFiles): Promise<void> {
  const { changeDatabaseCipher } = (await import('../../dist/engine/runtime/compliance/database-cipher.js')) as typeof import('../../engine/runtime/compliance/database-cipher.ts')
  const key = 'bench-database-key-0123456789abcdef'
  const encryptedDb = path.join(work, 'encrypted.db')
  // Whatever the seeding left in the WAL goes into the file first: the copy is of the file alone.
  const { openDatabase } = (await import('../../dist/engine/shared/sqlite.js')) as typeof import('../../engine/shared/sqlite.ts')
  const source = openDatabase(seed.db)
  source.pragma('wal_checkpoint(TRUNCATE)')
  source.close()
  copyFileSync(seed.db, encryptedDb)
  const began = performance.now()
  changeDatabaseCipher(encryptedDb, { kind: 'encrypt', key })
  console.error(`encrypted a copy in ${((performance.now() - began) / 1000).toFixed(1)} s`)
  const plain = await start('koyalite', seed.db)
  const encrypted = await start('koyalite', encryptedDb, [], key)
  await sleep(1000)
  const taskId = firstLine(seed.taskIds)
  const answers = await Promise.all([plain, encrypted].map(async (server) => (await fetch(`${server.url}/api/tasks/${taskId}`, { headers: { authorization: `Bearer ${SERVICE_KEY}` } })).text()))
  if (answers[0] !== answers[1]) throw new Error(`the plain and the encrypted server answer differently: ${answers.map((a) => a.slice(0, 200)).join(' / ')}`)
  const rows: string[] = []
  for (const benchCase of CASES) {
    for (const connections of CONNECTIONS) {
      const [p, e] = await bestOfRounds([plain, encrypted], rounds, `${benchCase} c=${connections}`, (server) => measure(server, seed, benchCase, connections))
      rows.push(`| ${benchCase} | ${connections} | ${rate(p.requestsPerSecond)} | ${ms(p.p50Ms)} | ${ms(p.p99Ms)} | ${rate(e.requestsPerSecond)} | ${ms(e.p50Ms)} | ${ms(e.p99Ms)} | ${(e.requestsPerSecond / p.requestsPerSecond).toFixed(2)}× |`)
    }
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  console.log(`\n${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${cpu}, Node ${process.version}. KoyaLite on the plain file and on a SQLCipher copy (better-sqlite3-multiple-ciphers), ${rounds} round(s) of ${duration} s each after a ${warmup} s warm-up; the best round of each.${disturbed > 0 ? ` ${disturbed} run(s) started while other work kept the machine busy.` : ''}\n`)
  console.log('| case | conns | plain req/s | p50 ms | p99 ms | encrypted req/s | p50 ms | p99 ms | encrypted / plain |')
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  console.log(rows.join('\n'))
}

/** One case against one server started with --cpu-prof; prints where its CPU time went. */
async function profile(seed: SeedFiles, benchCase: BenchCase, name: ServerName, connections: number): Promise<void> {
  const dir = path.join(work, 'profile')
  mkdirSync(dir)
  const server = await start(name, seed.db, ['--cpu-prof', `--cpu-prof-dir=${dir}`])
  const result = await measure(server, seed, benchCase, connections)
  await server.stop() // the profile is written as the process exits
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
  if (!file) throw new Error(`${name} wrote no .cpuprofile`)
  const kept = path.join(here, 'out', `${name}-${benchCase}-c${connections}.cpuprofile`)
  mkdirSync(path.dirname(kept), { recursive: true })
  copyFileSync(path.join(dir, file), kept)
  console.log(`${name} ${benchCase} c=${connections}: ${rate(result.requestsPerSecond)} req/s under the profiler (p50 ${ms(result.p50Ms)} ms)\n`)
  console.log(printProfileSummary(summarizeProfile(kept, repo, 40)))
  console.log(`\nThe profile: ${path.relative(process.cwd(), kept)} (open it in Chrome DevTools, Performance tab).`)
}

try {
  const began = performance.now()
  const seed = seedDatabase(work, repo)
  console.error(`seeded ${seed.db} in ${((performance.now() - began) / 1000).toFixed(1)} s`)
  if (args.profile !== undefined) {
    if (!CASES.includes(args.profile as BenchCase)) throw new Error(`--profile takes ${CASES.join(', ')}`)
    if (!(args.server in SCRIPTS)) throw new Error(`--server takes ${Object.keys(SCRIPTS).join(', ')}`)
    await profile(seed, args.profile as BenchCase, args.server as ServerName, Number(args.connections))
  } else if (args.encrypted) {
    await encryptionCost(seed)
  } else {
    await benchmark(seed)
  }
} finally {
  await cleanUp()
}
