// Where `koyalite start`'s memory goes (issue 21): RSS split into anonymous and file-backed
// pages, idle and during a wrk run of one case, and V8's heap from `--trace-gc` lines.
// Usage: node bench/production/memory.ts [--idle] [--case create-owner] [--connections 32] [--seconds 8] [--node-flag --max-semi-space-size=8]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { missingTools, runWrkScript } from '../rest/wrk.ts'
import { prepareDatabase, SERVICE_KEY, startKoyalite } from './setup.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const { values: args } = parseArgs({
  options: {
    case: { type: 'string', default: 'create-owner' },
    connections: { type: 'string', default: '32' },
    seconds: { type: 'string', default: '8' },
    'node-flag': { type: 'string', multiple: true },
    env: { type: 'string', multiple: true },
    // Only the idle numbers, no load.
    idle: { type: 'boolean', default: false },
  },
})
const missing = missingTools()
if (missing) {
  console.error(missing)
  process.exit(1)
}

/** VmRSS, RssAnon, RssFile and VmHWM of a process, in MB. */
function memoryOf(pid: number): Record<'rss' | 'anon' | 'file' | 'peak', number> {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0) / 1024
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), peak: kb('VmHWM') }
}
const show = (m: Record<string, number>) => Object.entries(m).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')

const work = mkdtempSync(path.join(os.tmpdir(), 'koya-bench-memory-'))
try {
  const db = path.join(work, 'bench.db')
  const { token, ownerId } = await prepareDatabase(db, work, 0)
  const env = Object.fromEntries((args.env ?? []).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]))
  const log = path.join(work, 'koyalite.log')
  const server = await startKoyalite({ db, log, core: 0, env, nodeFlags: ['--trace-gc', ...(args['node-flag'] ?? [])] })
  try {
    await sleep(1000)
    console.log(`idle (1 s):  ${show(memoryOf(server.pid))} MB`)
    await sleep(4000)
    console.log(`idle (5 s):  ${show(memoryOf(server.pid))} MB`)
    // Bytes promoted by scavenges so far (start-up's), to count only the load's.
    const promotedSoFar = () => [...readFileSync(log, 'utf8').matchAll(/gc=s .*?promoted=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0)
    const promotedAtStart = promotedSoFar()
    if (!args.idle) {
      const samples: number[] = []
      const timer = setInterval(() => samples.push(memoryOf(server.pid).rss), 250)
      const result = await runWrkScript({ url: server.url, connections: Number(args.connections), core: 1, seconds: Number(args.seconds), script: path.join(here, 'wrk.lua'), scriptArgs: [args.case, token, SERVICE_KEY, work, ownerId] })
      clearInterval(timer)
      console.log(`${args.case} c=${args.connections}: ${result.requestsPerSecond.toFixed(0)} req/s`)
      console.log(`after load:  ${show(memoryOf(server.pid))} MB; RSS samples max ${Math.max(...samples).toFixed(0)}`)
      const gcLines = readFileSync(log, 'utf8').split('\n').filter((line) => /Mark-Compact|Scavenge/.test(line))
      const heaps = gcLines.map((line) => /(\d+\.\d+) \((\d+\.\d+)\) -> (\d+\.\d+) \((\d+\.\d+)\) MB/.exec(line)).filter((m) => m !== null)
      const scavenges = gcLines.filter((line) => line.includes('Scavenge')).length
      const marks = gcLines.filter((line) => line.includes('Mark-Compact')).length
      const maxCommitted = Math.max(...heaps.map((m) => Number(m[2])))
      const maxUsed = Math.max(...heaps.map((m) => Number(m[1])))
      if (heaps.length > 0) console.log(`GC: ${scavenges} scavenges, ${marks} mark-compacts; heap used max ${maxUsed} MB, committed max ${maxCommitted} MB`)
      else console.log(`GC: ${(readFileSync(log, 'utf8').match(/gc=s /g) ?? []).length} scavenges, ${(readFileSync(log, 'utf8').match(/gc=mc /g) ?? []).length} mark-compacts`)
      for (const line of gcLines.filter((l) => l.includes('Mark-Compact')).slice(-4)) console.log('  ' + line.trim().slice(0, 160))
      // With --node-flag=--trace-gc-nvp: bytes promoted to the old generation by scavenges.
      const promoted = promotedSoFar() - promotedAtStart
      if (promoted > 0) console.log(`promoted by scavenges under the load: ${(promoted / 1048576).toFixed(1)} MB, ${(promoted / result.requests).toFixed(0)} bytes per request (start-up: ${(promotedAtStart / 1048576).toFixed(1)} MB)`)
    }
  } finally {
    await server.stop()
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}
