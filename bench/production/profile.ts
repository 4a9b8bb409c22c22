// Where `koyalite start` spends its time on one of the production cases: the server runs under
// `node --cpu-prof` while wrk drives the case, then the profile is summarized as bench/rest's
// are (self time by area and function, time on the stack), idle and start-up left out.
// Usage: node bench/production/profile.ts [--case get|list|create-owner|create-service] [--seconds 10] [--connections 32] [--top 40] [--log-level silent]
import { copyFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { printProfileSummary, summarizeProfile } from '../rest/profile.ts'
import { missingTools, runWrkScript } from '../rest/wrk.ts'
import { prepareDatabase, repo, SERVICE_KEY, startKoyalite } from './setup.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const { values: args } = parseArgs({
  options: {
    case: { type: 'string', default: 'get' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    top: { type: 'string', default: '40' },
    // Copy the raw .cpuprofile here (for a flame graph in Chrome's DevTools or speedscope).
    keep: { type: 'string' },
    // The server's LOG_LEVEL (default: as shipped, info); `silent` shows what logging costs.
    'log-level': { type: 'string' },
  },
})

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
  const server = await startKoyalite({ db, log: path.join(work, 'koyalite.log'), core: 0, nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${profiles}`], env: { ...(args['log-level'] ? { LOG_LEVEL: args['log-level'] } : {}), ...(process.env.KOYA_V8_DEFAULTS ? { KOYA_V8_DEFAULTS: process.env.KOYA_V8_DEFAULTS } : {}) } })
  try {
    const options = { url: server.url, connections: Number(args.connections), core: 1, script: path.join(here, 'wrk.lua'), scriptArgs: [args.case!, token, SERVICE_KEY, work, ownerId] }
    await runWrkScript({ ...options, seconds: 2 })
    const result = await runWrkScript({ ...options, seconds: Number(args.seconds) })
    console.log(`${args.case} c=${args.connections}: ${result.requestsPerSecond.toFixed(0)} req/s (under the profiler), ${result.errors} errors`)
  } finally {
    await server.stop()
  }
  // `koyalite start` re-executes itself (bin/koyalite.js, decision 87), and the first process
  // may leave a short profile of its own: the server's is the largest.
  const file = readdirSync(profiles)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort((a, b) => statSync(path.join(profiles, b)).size - statSync(path.join(profiles, a)).size)[0]
  if (file === undefined) throw new Error('the server wrote no profile (did it exit on SIGTERM?)')
  if (args.keep) copyFileSync(path.join(profiles, file), args.keep)
  console.log(printProfileSummary(summarizeProfile(path.join(profiles, file), repo, Number(args.top))))
} finally {
  rmSync(work, { recursive: true, force: true })
}
