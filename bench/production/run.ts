// The production path (issue 21): `koyalite start` as users run it (its default logging, to a
// file; a signed-in user's session token; a read and a create policy) against the best
// hand-written Fastify + better-sqlite3 server, on the same 100k-post SQLite file of the app in
// bench/production/app: get by id, list 20, create as the row's owner, create with the service
// key; 1 and 32 connections. Each server is its own process pinned to core 0; wrk runs on core 1.
// This measures; the targets are issue 21's, reported as met or missed.
// Usage: node bench/production/run.ts [--duration 10] [--warmup 2] [--rounds 3] [--quiet-timeout 120] [--case get] [--env NAME=value]
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual, parseArgs } from 'node:util'
import { memoryOf, waitForQuiet, type ServerProcess } from '../rest/servers.ts'
import { bestOfRounds, ms, rate } from '../rest/rounds.ts'
import { missingTools, runWrkScript, type WrkResult } from '../rest/wrk.ts'
import type { SeedFiles } from './seed.ts'
import { prepareDatabase, repo, SERVICE_KEY, startBaseline, startKoyalite } from './setup.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const SERVER_CORE = 0
const WRK_CORE = 1
type BenchCase = 'get' | 'list' | 'create-owner' | 'create-service'
const CASES: readonly BenchCase[] = ['get', 'list', 'create-owner', 'create-service'] // creates last: they grow the table
const CONNECTIONS = [1, 32] as const
/** Issue 21's targets: KoyaLite's req/s as a share of the baseline's, at 1 and 32 connections. */
const TARGETS: Record<BenchCase, readonly [number, number]> = { get: [0.6, 0.7], list: [0.6, 0.7], 'create-owner': [0.6, 0.6], 'create-service': [0.6, 0.6] }
const P99_TARGET = 1.5 // KoyaLite's p99 at 32 connections, at most this many times the baseline's
const IDLE_RSS_TARGET_MB = 120
const PEAK_RSS_TARGET_MB = 160

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    // Seconds to wait, before each run, for other work on the machine to pause.
    'quiet-timeout': { type: 'string', default: '120' },
    // One case only (get, list, create-owner, create-service), for a quick check of a change.
    case: { type: 'string' },
    // More environment for `koyalite start`, NAME=value (repeatable): e.g. LOG_LEVEL=silent.
    env: { type: 'string', multiple: true },
  },
})
const extraEnv = Object.fromEntries((args.env ?? []).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]))
const duration = Number(args.duration)
const warmup = Number(args.warmup)
const rounds = Number(args.rounds)
const quietTimeoutS = Number(args['quiet-timeout'])

const missing = missingTools()
if (missing) {
  console.error(missing)
  process.exit(1)
}

const started: ServerProcess[] = []
const work = mkdtempSync(path.join(os.tmpdir(), 'koya-bench-production-'))
const db = path.join(work, 'bench.db')
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

function startKoyaliteLogged(log: string): Promise<ServerProcess> {
  return startKoyalite({ db, log, core: SERVER_CORE, env: extraEnv }).then((server) => {
    started.push(server)
    return server
  })
}

async function startBaselineLogged(): Promise<ServerProcess> {
  const server = await startBaseline({ db, log: path.join(work, 'baseline.log'), core: SERVER_CORE })
  started.push(server)
  return server
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
let disturbed = 0

async function measure(server: ServerProcess, benchCase: BenchCase, connections: number, auth: { token: string; ownerId: string }): Promise<WrkResult> {
  const options = { url: server.url, connections, core: WRK_CORE, script: path.join(here, 'wrk.lua'), scriptArgs: [benchCase, auth.token, SERVICE_KEY, work, auth.ownerId] }
  const machineQuiet = await waitForQuiet(
    started.filter((s) => !s.stopped).map((s) => s.pid),
    { machine: true, timeoutMs: quietTimeoutS * 1000 },
  )
  if (!machineQuiet) {
    disturbed++
    console.error(`other work kept the machine busy for ${quietTimeoutS} s; measuring anyway`)
  }
  if (warmup > 0) await runWrkScript({ ...options, seconds: warmup })
  await waitForQuiet([server.pid], { machine: false })
  const result = await runWrkScript({ ...options, seconds: duration })
  if (result.errors > 0) throw new Error(`${server.name} ${benchCase} c=${connections}: ${result.errors} errors or non-2xx answers of ${result.requests}`)
  return result
}

/** Both servers must answer these requests the same way, or the comparison means nothing. */
async function checkSameAnswers(baseline: ServerProcess, koyalite: ServerProcess, auth: { token: string; ownerId: string }, seed: SeedFiles): Promise<void> {
  const ask = async (server: ServerProcess, url: string, bearer: string | undefined, body?: unknown) => {
    const headers: Record<string, string> = bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }
    const init: RequestInit = body === undefined ? { headers } : { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) }
    const response = await fetch(server.url + url, init)
    const text = await response.text()
    return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown), range: response.headers.get('content-range'), type: response.headers.get('content-type') }
  }
  const same = async (what: string, expected: number, url: string, bearer: string | undefined, body?: unknown) => {
    const [a, b] = [await ask(baseline, url, bearer, body), await ask(koyalite, url, bearer, body)]
    // Two creates make two rows, and refusals are worded by each server: compare what must agree.
    const comparable = (answer: typeof a) => (body !== undefined || answer.status >= 400 ? { ...answer, body: undefined } : answer)
    if (!isDeepStrictEqual(comparable(a), comparable(b)) || a.status !== expected) {
      throw new Error(`${what}: expected ${expected} from both:\nbaseline ${JSON.stringify(a)}\nkoyalite ${JSON.stringify(b)}`)
    }
    return a
  }
  const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '')
  const published = lines(seed.publishedIds)
  const publishedSet = new Set(published)
  const [ownerId, otherUser] = lines(seed.userIds) as [string, string]
  await same('get a published post as the owner', 200, `/api/posts/${published[0]}`, auth.token)
  await same('get a published post anonymously', 200, `/api/posts/${published.at(-1)}`, undefined)
  const db = await import('better-sqlite3').then((m) => new m.default(path.join(work, 'bench.db'), { readonly: true }))
  const hidden = (db.prepare('SELECT "id" FROM "posts" WHERE "published" = 0 LIMIT 1').get() as { id: string }).id
  db.close()
  if (publishedSet.has(hidden)) throw new Error('the seed lists an unpublished post as published')
  await same('get an unpublished post as the owner (the read policy hides it)', 404, `/api/posts/${hidden}`, auth.token)
  await same('get with a token that is no session', 401, `/api/posts/${published[0]}`, 'not-a-session-token')
  const list = await same('list 20 as the owner', 200, '/api/posts?published=eq.true&order=createdAt.desc&limit=20', auth.token)
  if ((list.body as unknown[]).length !== 20) throw new Error(`list answered ${JSON.stringify(list.body).slice(0, 200)}`)
  const post = (authorId: string) => ({ authorId, title: 'Check', body: 'Created by the benchmark check.', published: false })
  await same('create as the owner', 201, '/api/posts', auth.token, post(ownerId))
  await same('create with the service key', 201, '/api/posts', SERVICE_KEY, post(otherUser))
  await same("create as the owner in another user's name (the create policy refuses)", 403, '/api/posts', auth.token, post(otherUser))
}

/** Whether dist/ (what `koyalite start` runs) is older than engine/. */
function distIsStale(): boolean {
  const newest = (dir: string): number =>
    Math.max(...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(path.join(dir, e.name)) : e.name.endsWith('.ts') ? statSync(path.join(dir, e.name)).mtimeMs : 0)))
  // tsc rewrites only the outputs that changed; its build info is written on every build.
  return newest(path.join(repo, 'engine')) > statSync(path.join(repo, 'dist', '.tsbuildinfo')).mtimeMs
}

const mb = (value: number) => value.toFixed(0)

async function benchmark(): Promise<void> {
  const loadBefore = os.loadavg()
  const began = performance.now()
  const { token, ownerId, seed } = await prepareDatabase(db, work, SERVER_CORE)
  const auth = { token, ownerId }
  console.error(`migrated, signed up, logged in and seeded ${db} in ${((performance.now() - began) / 1000).toFixed(1)} s`)
  const koyalite = await startKoyaliteLogged(path.join(work, 'koyalite.log'))
  const baseline = await startBaselineLogged()
  await sleep(1000)
  const idle = { baseline: memoryOf(baseline.pid), koyalite: memoryOf(koyalite.pid) }
  await checkSameAnswers(baseline, koyalite, auth, seed)

  const rows: string[] = []
  const misses: string[] = []
  for (const benchCase of args.case ? CASES.filter((c) => c === args.case) : CASES) {
    for (const [c, connections] of CONNECTIONS.entries()) {
      const [base, koya] = await bestOfRounds([baseline, koyalite], rounds, `${benchCase} c=${connections}`, (server) => measure(server, benchCase, connections, auth))
      const ratio = koya.requestsPerSecond / base.requestsPerSecond
      const target = TARGETS[benchCase][c]!
      const met = ratio >= target
      if (!met) misses.push(`${benchCase} c=${connections}: ${ratio.toFixed(2)}× < ${target}×`)
      const p99Ratio = koya.p99Ms / base.p99Ms
      const p99Met = connections === 1 || p99Ratio <= P99_TARGET
      if (!p99Met) misses.push(`${benchCase} c=${connections} p99: ${p99Ratio.toFixed(2)}× > ${P99_TARGET}×`)
      rows.push(
        `| ${benchCase} | ${connections} | ${rate(base.requestsPerSecond)} | ${ms(base.p50Ms)} | ${ms(base.p99Ms)} | ${rate(koya.requestsPerSecond)} | ${ms(koya.p50Ms)} | ${ms(koya.p99Ms)} | ` +
          `${ratio.toFixed(2)}× (≥ ${target}×: ${met ? 'met' : '**missed**'}) | ${p99Ratio.toFixed(2)}×${connections === 1 ? '' : ` (≤ ${P99_TARGET}×: ${p99Met ? 'met' : '**missed**'})`} |`,
      )
    }
  }
  const loaded = { baseline: memoryOf(baseline.pid), koyalite: memoryOf(koyalite.pid) }
  if (idle.koyalite.rssMb > IDLE_RSS_TARGET_MB) misses.push(`idle RSS ${mb(idle.koyalite.rssMb)} MB > ${IDLE_RSS_TARGET_MB} MB`)
  if (loaded.koyalite.peakMb > PEAK_RSS_TARGET_MB) misses.push(`peak RSS ${mb(loaded.koyalite.peakMb)} MB > ${PEAK_RSS_TARGET_MB} MB`)
  const logBytes = statSync(path.join(work, 'koyalite.log')).size

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' ')
  console.log(
    `\n${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${cpu}, ${os.type()} ${os.release()}, Node ${process.version}${distIsStale() ? '; **dist/ is older than engine/** (run npm run build)' : ''}. ` +
      `${rounds} round(s) of ${duration} s per server and case, each after a ${warmup} s warm-up; the best round of each server. ` +
      `Load average (1, 5, 15 min) before: ${load(loadBefore)}; after: ${load(os.loadavg())}${disturbed > 0 ? `; ${disturbed} run(s) started while other work kept the machine busy` : ''}. ` +
      `KoyaLite wrote ${(logBytes / 1e6).toFixed(0)} MB of logs.\n`,
  )
  console.log('| case | conns | baseline req/s | p50 ms | p99 ms | KoyaLite req/s | p50 ms | p99 ms | KoyaLite / baseline | p99 KoyaLite / baseline |')
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |')
  console.log(rows.join('\n'))
  console.log('\n| server | RSS idle (1 s after start) | RSS after the load | peak RSS |\n| --- | ---: | ---: | ---: |')
  console.log(`| baseline (baseline-server.ts) | ${mb(idle.baseline.rssMb)} MB | ${mb(loaded.baseline.rssMb)} MB | ${mb(loaded.baseline.peakMb)} MB |`)
  console.log(
    `| KoyaLite (\`koyalite start\`) | ${mb(idle.koyalite.rssMb)} MB (≤ ${IDLE_RSS_TARGET_MB} MB: ${idle.koyalite.rssMb <= IDLE_RSS_TARGET_MB ? 'met' : '**missed**'}) | ${mb(loaded.koyalite.rssMb)} MB | ${mb(loaded.koyalite.peakMb)} MB (≤ ${PEAK_RSS_TARGET_MB} MB: ${loaded.koyalite.peakMb <= PEAK_RSS_TARGET_MB ? 'met' : '**missed**'}) |`,
  )
  console.log(misses.length === 0 ? '\nEvery target is met.' : `\nMissed: ${misses.join('; ')}.`)
}

try {
  await benchmark()
} finally {
  await cleanUp()
}
