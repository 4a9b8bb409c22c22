// The per-request cost guard (issue 21): CPU time the server process spends per request, for
// `koyalite start` and the hand-written baseline on the same cases as run.ts. CPU time per
// request (utime + stime from /proc/<pid>/stat over a fixed number of requests' worth of load)
// moves far less with other work on the machine than req/s does, so a merge that adds work to
// every request shows here even when throughput runs are too noisy to tell.
// Usage: node bench/production/cost.ts [--seconds 5] [--connections 8] [--rounds 3] [--budget 2.2] [--case get] [--env NAME=value]
// Exits 1 when KoyaLite's CPU per request exceeds `budget` times the baseline's in any case.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { ServerProcess } from '../rest/servers.ts'
import { missingTools, runWrkScript } from '../rest/wrk.ts'
import { prepareDatabase, SERVICE_KEY, startBaseline, startKoyalite } from './setup.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const CASES = ['get', 'list', 'create-owner', 'create-service'] as const
type BenchCase = (typeof CASES)[number]

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    // The most CPU per request KoyaLite may spend, as a multiple of the baseline's.
    budget: { type: 'string', default: '2.2' },
    case: { type: 'string' },
    // More environment for `koyalite start`, NAME=value (repeatable): e.g. LOG_LEVEL=silent
    // prices the request log.
    env: { type: 'string', multiple: true },
  },
})
const missing = missingTools()
if (missing) {
  console.error(missing)
  process.exit(1)
}

const TICKS_PER_SECOND = 100 // USER_HZ on Linux

/** utime + stime of a process, in microseconds. */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS_PER_SECOND
}

const work = mkdtempSync(path.join(os.tmpdir(), 'koya-bench-cost-'))
const started: ServerProcess[] = []
try {
  const db = path.join(work, 'bench.db')
  const { token, ownerId } = await prepareDatabase(db, work, 0)
  const env = Object.fromEntries((args.env ?? []).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]))
  const koyalite = await startKoyalite({ db, log: path.join(work, 'koyalite.log'), core: 0, env })
  started.push(koyalite)
  const baseline = await startBaseline({ db, log: path.join(work, 'baseline.log'), core: 0 })
  started.push(baseline)

  async function costOf(server: ServerProcess, benchCase: BenchCase): Promise<number> {
    const options = { url: server.url, connections: Number(args.connections), core: 1, script: path.join(here, 'wrk.lua'), scriptArgs: [benchCase, token, SERVICE_KEY, work, ownerId] }
    await runWrkScript({ ...options, seconds: 1 })
    const before = cpuMicros(server.pid)
    const result = await runWrkScript({ ...options, seconds: Number(args.seconds) })
    return (cpuMicros(server.pid) - before) / result.requests
  }

  let over = false
  for (const benchCase of args.case ? [args.case as BenchCase] : CASES) {
    const costs = { koyalite: [] as number[], baseline: [] as number[] }
    for (let round = 0; round < Number(args.rounds); round++) {
      // Alternate the order so a burst of other work does not always land on the same server.
      const order = round % 2 === 0 ? (['koyalite', 'baseline'] as const) : (['baseline', 'koyalite'] as const)
      for (const name of order) costs[name].push(await costOf(name === 'koyalite' ? koyalite : baseline, benchCase))
    }
    const k = Math.min(...costs.koyalite)
    const b = Math.min(...costs.baseline)
    const ratio = k / b
    if (ratio > Number(args.budget)) over = true
    console.log(`${benchCase.padEnd(15)} koyalite ${k.toFixed(0).padStart(4)} µs/req  baseline ${b.toFixed(0).padStart(4)} µs/req  ${ratio.toFixed(2)}x ${ratio > Number(args.budget) ? `OVER the ${args.budget}x budget` : 'within budget'}`)
  }
  if (over) process.exitCode = 1
} finally {
  await Promise.all(started.map((s) => s.stop()))
  rmSync(work, { recursive: true, force: true })
}
