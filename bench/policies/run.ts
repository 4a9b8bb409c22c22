// KoyaLite's list through a read policy against the same list hand-written: "the 20 first tasks
// of my workspaces", where tasks are readable through task.project.workspace.members (two hops).
// The reference app's schema and policies, 100k tasks in 100 projects of 10 workspaces; the
// user is a member of 2 workspaces (~20 % of the tasks). Servers on core 0, wrk on core 1.
// Usage: node bench/policies/run.ts [--duration 5] [--warmup 2] [--rounds 3]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual, parseArgs } from 'node:util'
import { openDatabase } from '../../engine/shared/sqlite.ts'
import { uuidv7 } from '../../engine/shared/uuid.ts'
import { bestOfRounds, ms } from '../rest/rounds.ts'
import { seedDatabase } from '../rest/seed.ts'
import { startServer, waitForQuiet, type ServerProcess } from '../rest/servers.ts'
import { missingTools, runWrkScript, type WrkResult } from '../rest/wrk.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const repo = path.resolve(here, '../..')
const SERVER_CORE = 0
const WRK_CORE = 1
const CASES = {
  list: '/api/tasks?order=id&limit=20',
  // A filter of the caller's on the policy's table: a comparison, so it runs beside the policy.
  'list-filtered': '/api/tasks?status=eq.todo&order=id&limit=20',
} as const
type Case = keyof typeof CASES
const TARGET = 0.8
const CONNECTIONS = [1, 32] as const
const LISTENING = /^listening (\d+)$/

const { values: args } = parseArgs({ options: { duration: { type: 'string', default: '5' }, warmup: { type: 'string', default: '2' }, rounds: { type: 'string', default: '3' } } })
const duration = Number(args.duration)
const warmup = Number(args.warmup)
const rounds = Number(args.rounds)

const missing = missingTools()
if (missing) {
  console.error(missing)
  process.exit(1)
}

/** Memberships: every user in 2 workspaces; the bench user (the first) in the first two. */
function seedMembers(db: string, userIds: readonly string[]): void {
  const conn = openDatabase(db)
  try {
    const workspaces = (conn.prepare('SELECT "id" FROM "workspaces" ORDER BY "id"').all() as { id: string }[]).map((r) => r.id)
    const insert = conn.prepare('INSERT INTO "members" ("id", "workspaceId", "userId", "role") VALUES (?, ?, ?, ?)')
    conn.transaction(() => {
      userIds.forEach((user, i) => {
        for (const w of [i % workspaces.length, (i + 1) % workspaces.length]) insert.run(uuidv7(), workspaces[w]!, user, 'editor')
      })
    })()
    conn.pragma('wal_checkpoint(TRUNCATE)')
  } finally {
    conn.close()
  }
}

function runWrk(url: string, route: string, user: string, connections: number, seconds: number): Promise<WrkResult> {
  return runWrkScript({ script: path.join(here, 'wrk.lua'), scriptArgs: [route, user], url, connections, seconds, core: WRK_CORE })
}

const started: ServerProcess[] = []
const work = mkdtempSync(path.join(os.tmpdir(), 'koya-bench-policies-'))
async function cleanUp(): Promise<void> {
  await Promise.all(started.map((s) => s.stop()))
  rmSync(work, { recursive: true, force: true })
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanUp().finally(() => process.exit(130)))

async function start(name: 'koyalite' | 'baseline', db: string): Promise<ServerProcess> {
  const server = await startServer({ name, args: [path.join(here, 'servers.ts'), name, db], core: SERVER_CORE, ready: LISTENING })
  started.push(server)
  return server
}

/** Both servers must give the same answer (status, rows, Content-Range), or the ratio means nothing. */
async function checkSameAnswers(servers: readonly ServerProcess[], user: string): Promise<void> {
  for (const [name, route] of Object.entries(CASES)) {
    const answers = await Promise.all(
      servers.map(async (server) => {
        const response = await fetch(server.url + route, { headers: { 'x-bench-user': user } })
        return { status: response.status, range: response.headers.get('content-range'), body: JSON.parse(await response.text()) as unknown }
      }),
    )
    if (!isDeepStrictEqual(answers[0], answers[1])) throw new Error(`${name}: the servers answer differently:\n${JSON.stringify(answers[0]).slice(0, 400)}\n${JSON.stringify(answers[1]).slice(0, 400)}`)
    if (answers[0]!.status !== 200 || (answers[0]!.body as unknown[]).length !== 20) throw new Error(`${name}: ${answers[0]!.status} with ${(answers[0]!.body as unknown[]).length} rows`)
  }
}


try {
  const seed = seedDatabase(work, repo)
  const userIds = readFileSync(seed.userIds, 'utf8').trim().split('\n')
  seedMembers(seed.db, userIds)
  const user = userIds[0]!
  const loadBefore = os.loadavg()[0]!
  const baseline = await start('baseline', seed.db)
  const koyalite = await start('koyalite', seed.db)
  await checkSameAnswers([baseline, koyalite], user)
  const rows: string[] = []
  const misses: string[] = []
  for (const benchCase of Object.keys(CASES) as Case[]) {
    for (const connections of CONNECTIONS) {
      const [base, koya] = await bestOfRounds([baseline, koyalite], rounds, `${benchCase} c=${connections}`, async (server) => {
        await waitForQuiet([server.pid], { machine: true, timeoutMs: 60_000 })
        if (warmup > 0) await runWrk(server.url, CASES[benchCase], user, connections, warmup)
        const result = await runWrk(server.url, CASES[benchCase], user, connections, duration)
        if (result.errors > 0) throw new Error(`${server.name} ${benchCase}: ${result.errors} errors`)
        return result
      })
      const ratio = koya.requestsPerSecond / base.requestsPerSecond
      const target = benchCase === 'list' ? `≥ ${TARGET}×: ${ratio >= TARGET ? 'met' : '**missed**'}` : 'none'
      if (benchCase === 'list' && ratio < TARGET) misses.push(`${benchCase} c=${connections}: ${ratio.toFixed(2)}×`)
      rows.push(`| ${benchCase} | ${connections} | ${base.requestsPerSecond.toFixed(0)} | ${ms(base.p50Ms)} | ${ms(base.p99Ms)} | ${koya.requestsPerSecond.toFixed(0)} | ${ms(koya.p50Ms)} | ${ms(koya.p99Ms)} | ${ratio.toFixed(2)}× | ${target} |`)
    }
  }
  console.log(
    `\n${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}. ${rounds} round(s) of ${duration} s per server and case after a ${warmup} s warm-up; the best round of each. ` +
      `Load average before/after: ${loadBefore.toFixed(2)}/${os.loadavg()[0]!.toFixed(2)}.\n`,
  )
  console.log('| case | conns | hand-written req/s | p50 ms | p99 ms | KoyaLite req/s | p50 ms | p99 ms | KoyaLite / hand-written | target |')
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |')
  console.log(rows.join('\n'))
  console.log(misses.length === 0 ? '\nThe target is met.' : `\nMissed: ${misses.join('; ')}.`)
} finally {
  await cleanUp()
}
