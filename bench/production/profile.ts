// Where `koyalite start` spends its time on one of the production cases: the server runs under
// `node --cpu-prof` while wrk drives the case, then the profile's self time is summed by function
// and by where the code lives (KoyaLite's own modules, each dependency, Node itself).
// Usage: node bench/production/profile.ts [--case get|list|create-owner|create-service] [--seconds 10] [--connections 32] [--top 40] [--log-level silent]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { missingTools, runWrkScript } from '../rest/wrk.ts'
import { prepareDatabase, repo, SERVICE_KEY, startKoyalite } from './setup.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const { values: args } = parseArgs({
  options: {
    case: { type: 'string', default: 'get' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    top: { type: 'string', default: '40' },
    // The server's LOG_LEVEL (default: as shipped, info); `silent` shows what logging costs.
    'log-level': { type: 'string' },
  },
})

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[]
  readonly samples: readonly number[]
  readonly timeDeltas: readonly number[]
}

/** Where a frame's code lives: a dependency's name, a KoyaLite module, or Node/V8. */
function placeOf(url: string): string {
  if (url === '') return '(native / V8)'
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (dependency) return dependency[1]!
  const own = /\/dist\/engine\/([^/]+\/[^/]+?)(?:\/[^/]+)?\.js$/.exec(url) ?? /\/dist\/engine\/(.+)\.js$/.exec(url)
  if (own) return `koyalite ${own[1]}`
  if (url.startsWith('node:')) return url
  return path.relative(repo, url.replace(/^file:\/\//, ''))
}

function summarize(profile: CpuProfile, top: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const selfUs = new Map<number, number>()
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0)
  const byFunction = new Map<string, number>()
  const byPlace = new Map<string, number>()
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame
    const place = placeOf(url)
    const key = `${functionName || '(anonymous)'} ${url === '' ? '' : `${place}:${lineNumber + 1}`}`
    byFunction.set(key, (byFunction.get(key) ?? 0) + us)
    byPlace.set(place, (byPlace.get(place) ?? 0) + us)
  }
  const table = (entries: Map<string, number>) =>
    [...entries]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => `${((100 * us) / total).toFixed(1).padStart(5)} %  ${name}`)
      .join('\n')
  return `total ${(total / 1e6).toFixed(1)} s of samples\n\nself time by place:\n${table(byPlace)}\n\nself time by function:\n${table(byFunction)}`
}

const missing = missingTools()
if (missing) {
  console.error(missing)
  process.exit(1)
}
const work = mkdtempSync(path.join(os.tmpdir(), 'koya-bench-profile-'))
try {
  const db = path.join(work, 'bench.db')
  const { token, ownerId } = await prepareDatabase(db, work, 0)
  const profiles = path.join(work, 'profiles')
  const server = await startKoyalite({ db, log: path.join(work, 'koyalite.log'), core: 0, nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${profiles}`], ...(args['log-level'] ? { env: { LOG_LEVEL: args['log-level'] } } : {}) })
  try {
    const options = { url: server.url, connections: Number(args.connections), core: 1, script: path.join(here, 'wrk.lua'), scriptArgs: [args.case!, token, SERVICE_KEY, work, ownerId] }
    await runWrkScript({ ...options, seconds: 2 })
    const result = await runWrkScript({ ...options, seconds: Number(args.seconds) })
    console.log(`${args.case} c=${args.connections}: ${result.requestsPerSecond.toFixed(0)} req/s (under the profiler), ${result.errors} errors`)
  } finally {
    await server.stop()
  }
  const file = readdirSync(profiles).find((f) => f.endsWith('.cpuprofile'))
  if (file === undefined) throw new Error('the server wrote no profile (did it exit on SIGTERM?)')
  console.log(summarize(JSON.parse(readFileSync(path.join(profiles, file), 'utf8')) as CpuProfile, Number(args.top)))
} finally {
  rmSync(work, { recursive: true, force: true })
}
