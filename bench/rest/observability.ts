// The cost of tracing on a get (issue 18: <= 3 % with tracing off, and the cost with it on
// reported). Production path: `koyalite start` serving bench/production's app (info logs to a
// file, the owner's bearer session resolved per request, the read policy in the statement), GET
// /api/posts/<id> through wrk with bench/production/wrk.lua. Three builds/configurations of the
// same dist/, started side by side on one core and measured in alternating order each round:
//   absent   the tracing module removed from FEATURE_MODULES (node --import ./without-tracing.mjs)
//   off      the shipped build, OTEL_EXPORTER_OTLP_ENDPOINT unset (the default)
//   on       OTEL_EXPORTER_OTLP_ENDPOINT set to a local OTLP/HTTP stand-in that accepts and drops
//   sampled  the same, with OTEL_TRACES_SAMPLER=parentbased_traceidratio at --sample (default 0.1)
// For each: requests per second and the server's CPU time per request (utime + stime from
// /proc/<pid>/stat over the run: it moves far less than req/s on a busy machine), best of the
// rounds, and both as a change against `absent`.
// Usage: node bench/rest/observability.ts [--duration 5] [--rounds 3] [--connections 1,32] [--budget 3] [--sample 0.1]
//   (runs dist/: `npm run build` first; needs wrk and taskset). Exits 1 when `off` costs more
//   CPU per request than `absent` by over --budget percent at any connection count.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { prepareDatabase, SERVICE_KEY, startKoyalite } from '../production/setup.ts'
import type { ServerProcess } from './servers.ts'
import { missingTools, runWrkScript } from './wrk.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '1,32' },
    budget: { type: 'string', default: '3' },
    sample: { type: 'string', default: '0.1' },
  },
})
const missing = missingTools()
if (missing) {
  console.error(missing)
  process.exit(1)
}

const TICKS_PER_SECOND = 100 // USER_HZ on Linux
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS_PER_SECOND
}

// The OTLP/HTTP collector stand-in: accepts every export, keeps a count.
let exports = 0
const sink = createServer((req, res) => {
  req.resume()
  req.on('end', () => {
    exports++
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
  })
})
await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve))
const endpoint = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`

type Variant = 'absent' | 'off' | 'on' | 'sampled'
const VARIANTS: readonly Variant[] = ['absent', 'off', 'on', 'sampled']
const work = mkdtempSync(path.join(os.tmpdir(), 'koya-bench-obs-'))
const started: Partial<Record<Variant, ServerProcess>> = {}
const startedAt = Date.now()
try {
  const db = path.join(work, 'bench.db')
  const { token, ownerId } = await prepareDatabase(db, work, 0)
  const log = (name: string) => path.join(work, `${name}.log`)
  started.absent = await startKoyalite({ db, log: log('absent'), core: 0, nodeFlags: ['--import', pathToFileURL(path.join(here, 'without-tracing.mjs')).href] })
  started.off = await startKoyalite({ db, log: log('off'), core: 0 })
  started.on = await startKoyalite({ db, log: log('on'), core: 0, env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint } })
  started.sampled = await startKoyalite({ db, log: log('sampled'), core: 0, env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: args.sample } })

  const measure = async (server: ServerProcess, connections: number) => {
    const options = { url: server.url, connections, core: 1, script: path.join(here, '../production/wrk.lua'), scriptArgs: ['get', token, SERVICE_KEY, work, ownerId] }
    await runWrkScript({ ...options, seconds: 1 })
    const before = cpuMicros(server.pid)
    const result = await runWrkScript({ ...options, seconds: Number(args.duration) })
    if (result.errors > 0) throw new Error(`${server.name}: ${result.errors} errors`)
    return { rps: result.requestsPerSecond, cpu: (cpuMicros(server.pid) - before) / result.requests }
  }

  let over = false
  console.log('| connections | variant | req/s (best) | vs absent | CPU µs/req (best) | vs absent |')
  console.log('| --- | --- | --- | --- | --- | --- |')
  for (const connections of args.connections.split(',').map(Number)) {
    const runs: Record<Variant, { rps: number; cpu: number }[]> = { absent: [], off: [], on: [], sampled: [] }
    for (let round = 0; round < Number(args.rounds); round++) {
      // Rotate the order so a burst of other work does not always land on the same variant.
      for (let i = 0; i < VARIANTS.length; i++) {
        const variant = VARIANTS[(i + round) % VARIANTS.length]!
        runs[variant].push(await measure(started[variant]!, connections))
      }
    }
    const best = (variant: Variant) => ({ rps: Math.max(...runs[variant].map((r) => r.rps)), cpu: Math.min(...runs[variant].map((r) => r.cpu)) })
    const base = best('absent')
    const percent = (value: number, of: number) => `${value >= of ? '+' : ''}${((value / of - 1) * 100).toFixed(1)} %`
    for (const variant of VARIANTS) {
      const b = best(variant)
      console.log(`| ${connections} | ${variant === 'sampled' ? `on, ${Number(args.sample) * 100} % sampled` : variant} | ${b.rps.toFixed(0)} | ${percent(b.rps, base.rps)} | ${b.cpu.toFixed(1)} | ${percent(b.cpu, base.cpu)} |`)
    }
    const offCost = (best('off').cpu / base.cpu - 1) * 100
    if (offCost > Number(args.budget)) over = true
    console.log(`| ${connections} | tracing off costs | | | ${offCost.toFixed(1)} % CPU/req | ${offCost > Number(args.budget) ? `OVER the ${args.budget} % budget` : `within ${args.budget} %`} |`)
  }
  console.log(`\n${exports} OTLP exports received from "on" and "sampled"; ${((Date.now() - startedAt) / 1000).toFixed(0)} s in all. On a busy machine the numbers are indicative only.`)
  if (over) process.exitCode = 1
} finally {
  await Promise.all(Object.values(started).map((s) => s.stop()))
  sink.close()
  rmSync(work, { recursive: true, force: true })
}
