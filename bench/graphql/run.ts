// GraphQL against REST on one KoyaLite server, in the same run (issue 11): a list of 20 posts with
// their author (one belongs-to relation), as the owner with a session, under the app's read
// policies (bench/production/app: published posts; users read themselves). The target is
// GraphQL ≥ 0.6× REST's req/s. The server (`koyalite start`, default logging to a file) is
// pinned to core 0, wrk to core 1; rounds alternate which case goes first.
// Usage: node bench/graphql/run.ts [--duration 10] [--warmup 2] [--rounds 3] [--connections 1,32]
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual, parseArgs } from 'node:util'
import { freePort, startLogged } from '../production/process.ts'
import { seedPosts } from '../production/seed.ts'
import { waitForQuiet, type ServerProcess } from '../rest/servers.ts'
import { missingTools, runWrkScript, type WrkResult } from '../rest/wrk.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const repo = path.resolve(here, '../..')
const appDir = path.join(repo, 'bench', 'production', 'app')
const cli = path.join(repo, 'bin', 'koyalite.js')
const SERVICE_KEY = 'bench-service-key-0123456789abcdef'
const OWNER = { email: 'owner@bench.test', password: 'correct horse battery staple' }
const SERVER_CORE = 0
const WRK_CORE = 1
const TARGET = 0.6
type Case = 'rest' | 'graphql'

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '1,32' },
    posts: { type: 'string', default: '100000' },
  },
})
const duration = Number(args.duration)
const warmup = Number(args.warmup)
const rounds = Number(args.rounds)
const connectionCounts = args.connections.split(',').map(Number)

const missing = missingTools()
if (missing) {
  console.error(missing)
  process.exit(1)
}

const work = mkdtempSync(path.join(os.tmpdir(), 'koya-bench-graphql-'))
const db = path.join(work, 'bench.db')
const started: ServerProcess[] = []
async function cleanUp(): Promise<void> {
  await Promise.all(started.map((s) => s.stop()))
  rmSync(work, { recursive: true, force: true })
}

async function startKoyalite(log: string): Promise<ServerProcess> {
  const port = await freePort()
  const server = await startLogged({
    name: 'koyalite',
    args: [cli, 'start', '--db', db, '--port', String(port), '--host', '127.0.0.1'],
    env: { KOYA_SERVICE_KEY: SERVICE_KEY, NO_COLOR: '1' },
    cwd: appDir,
    core: SERVER_CORE,
    port,
    log,
    ready: /serving \S*http:\/\/127\.0\.0\.1:\d+/,
  })
  started.push(server)
  return server
}

async function postJson(url: string, body: unknown, token?: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) })
  return { status: response.status, body: (await response.json()) as unknown }
}

/** Migrate, sign the owner up and in, seed; then the measured server starts fresh on the file. */
async function setUp(): Promise<string> {
  const setup = await startKoyalite(path.join(work, 'setup.log'))
  try {
    const ownerId = ((await postJson(`${setup.url}/auth/signup`, OWNER)).body as { user: { id: string } }).user.id
    const token = ((await postJson(`${setup.url}/auth/login`, OWNER)).body as { session: { token: string } }).session.token
    seedPosts(db, work, ownerId, { otherUsers: 49, posts: Number(args.posts) })
    return token
  } finally {
    await setup.stop()
  }
}

/** Both cases must answer the same 20 rows, author included, or the comparison means nothing. */
async function checkSameRows(server: ServerProcess, token: string): Promise<void> {
  const rest = await fetch(`${server.url}/api/posts?select=id,title,published,createdAt,author(id,email)&published=eq.true&order=createdAt.desc&limit=20`, { headers: { authorization: `Bearer ${token}` } })
  const restRows = (await rest.json()) as { author: unknown }[]
  const query = '{ posts(where: { published: { eq: true } }, orderBy: [{ createdAt: DESC }], limit: 20) { id title published createdAt author { id email } } }'
  const graphql = await postJson(`${server.url}/graphql`, { query }, token)
  const graphqlRows = (graphql.body as { data: { posts: unknown[] } }).data.posts
  if (rest.status !== 200 || graphql.status !== 200 || restRows.length !== 20 || !isDeepStrictEqual(restRows, graphqlRows)) {
    throw new Error(`REST and GraphQL differ:\nREST ${JSON.stringify(restRows).slice(0, 400)}\nGraphQL ${JSON.stringify(graphql.body).slice(0, 400)}`)
  }
  // The users read policy admits only oneself: on this seed the newest posts are other users', so
  // their author embeds are null by policy in both answers. The relation is still joined (and its
  // policy evaluated) for every row.
  if (!restRows.some((r) => r.author !== null)) console.error('note: every author on the page is hidden by the users read policy (null in both answers)')
}

/** Each bomb is refused with its code, and how long the refusal took (issue 11: under 100 ms each). */
async function timeBombs(server: ServerProcess, token: string): Promise<string[]> {
  const nest = (levels: number): string => (levels === 0 ? 'id' : `id author { id posts(limit: 1) { ${nest(levels - 1)} } }`)
  const fragments = Array.from({ length: 8 }, (_, k) => `fragment F${k + 1} on Post { ${Array.from({ length: 10 }, () => `...F${k}`).join(' ')} }`)
  const bombs: [string, string, string][] = [
    ['depth (30 levels)', 'KL_API_GRAPHQL_DEPTH', `{ posts(limit: 1) { ${nest(15)} } }`],
    ['aliases (2000)', 'KL_API_GRAPHQL_ALIASES', `{ ${Array.from({ length: 2000 }, (_, i) => `a${i}: postsCount`).join(' ')} }`],
    ['cost (1000 × 1000 × 1000)', 'KL_API_GRAPHQL_COST', '{ users(limit: 1000) { posts(limit: 1000) { author { posts(limit: 1000) { id } } } } }'],
    ['fragments (10^8 fields expanded)', 'KL_API_GRAPHQL_COST', `{ posts(limit: 1) { ...F8 } } fragment F0 on Post { id } ${fragments.join(' ')}`],
  ]
  const lines: string[] = []
  for (const [name, code, query] of bombs) {
    const times: number[] = []
    for (let i = 0; i < 5; i++) {
      const started = performance.now()
      const answer = await postJson(`${server.url}/graphql`, { query: `${query} ${'#'.repeat(i)}` }, token)
      times.push(performance.now() - started)
      const codes = ((answer.body as { errors?: { extensions?: { code?: string } }[] }).errors ?? []).map((e) => e.extensions?.code)
      if (answer.status !== 400 || !codes.includes(code)) throw new Error(`the ${name} bomb was not refused with ${code}: ${JSON.stringify(answer.body).slice(0, 300)}`)
    }
    const worst = Math.max(...times)
    lines.push(`| ${name} | ${code} | ${worst.toFixed(1)} ms (< 100 ms: ${worst < 100 ? 'met' : '**missed**'}) |`)
  }
  return lines
}

async function measure(server: ServerProcess, benchCase: Case, connections: number, token: string): Promise<WrkResult> {
  const options = { url: server.url, connections, core: WRK_CORE, script: path.join(here, 'wrk.lua'), scriptArgs: [benchCase, token] }
  await waitForQuiet([server.pid], { machine: true, timeoutMs: 30_000 })
  if (warmup > 0) await runWrkScript({ ...options, seconds: warmup })
  await waitForQuiet([server.pid], { machine: false })
  const result = await runWrkScript({ ...options, seconds: duration })
  if (result.errors > 0) throw new Error(`${benchCase} c=${connections}: ${result.errors} errors or non-2xx answers of ${result.requests}`)
  return result
}

const best = (results: readonly WrkResult[]) => results.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a))

async function benchmark(): Promise<void> {
  const token = await setUp()
  const server = await startKoyalite(path.join(work, 'koyalite.log'))
  await checkSameRows(server, token)
  // Each text differs (a trailing comment), so no refusal is served from Mercurius's cache.
  const bombs = await timeBombs(server, token)
  const rows: string[] = []
  for (const connections of connectionCounts) {
    const results: Record<Case, WrkResult[]> = { rest: [], graphql: [] }
    for (let round = 0; round < rounds; round++) {
      for (const benchCase of round % 2 === 0 ? (['rest', 'graphql'] as const) : (['graphql', 'rest'] as const)) {
        const result = await measure(server, benchCase, connections, token)
        results[benchCase].push(result)
        console.error(`${benchCase} c=${connections} round ${round + 1}: ${result.requestsPerSecond.toFixed(0)} req/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms`)
      }
    }
    const rest = best(results.rest)
    const graphql = best(results.graphql)
    const ratio = graphql.requestsPerSecond / rest.requestsPerSecond
    rows.push(`| ${connections} | ${rest.requestsPerSecond.toFixed(0)} | ${rest.p99Ms.toFixed(2)} | ${graphql.requestsPerSecond.toFixed(0)} | ${graphql.p99Ms.toFixed(2)} | ${ratio.toFixed(2)}× (≥ ${TARGET}×: ${ratio >= TARGET ? 'met' : '**missed**'}) |`)
  }
  console.log(`\n${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}; ${rounds} round(s) of ${duration} s per case after a ${warmup} s warm-up; the best round of each; load average before the report ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}.\n`)
  console.log('| conns | REST req/s | REST p99 ms | GraphQL req/s | GraphQL p99 ms | GraphQL / REST |')
  console.log('| ---: | ---: | ---: | ---: | ---: | --- |')
  console.log(rows.join('\n'))
  console.log('\n| bomb | refused with | slowest of 5 refusals (each a new query text) |\n| --- | --- | --- |')
  console.log(bombs.join('\n'))
}

try {
  await benchmark()
} finally {
  await cleanUp()
}
