// bench/search: /search throughput and latency against the hand-written baseline on the same rows
// (bench/search/app: notes with full-text over title+body, 384-dimension vectors of body, the read
// policy "own or shared"). server.ts (one process, pinned to core 0) seeds --rows notes into
// in-memory SQLite in one transaction and serves both KoyaLite and the baseline, a minimal
// node:http server running the same FTS5 MATCH + bm25 / vec0 KNN SQL with better-sqlite3 and the
// same auth work. wrk (one thread, --connections, pinned to core 1) drives each side for
// --duration seconds after a --warmup; the best of --rounds is kept. Prints the ratios.
// Usage: node bench/search/run.ts [--rows 100000] [--duration 10] [--rounds 1] [--warmup 2] [--connections 8] [--no-postgres]
import { spawn } from 'node:child_process'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { WORDS } from './words.ts'
import { benchPostgres, postgresMissing } from './postgres.ts'
import { missingTools, runWrkScript, type WrkResult } from '../rest/wrk.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '1' },
    postgres: { type: 'boolean', default: true },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '8' },
  },
})
const missing = missingTools()
if (missing !== undefined) throw new Error(missing)

const server = spawn('taskset', ['-c', '0', process.execPath, path.join(here, 'server.ts')], { env: { ...process.env, BENCH_ROWS: args.rows }, stdio: ['ignore', 'pipe', 'inherit'] })
const ready = await new Promise<{ koya: string; baseline: string; token: string; pid: number; seedMs: number }>((resolve, reject) => {
  server.once('exit', (code) => reject(new Error(`bench/search/server.ts exited (${code}) before listening`)))
  createInterface({ input: server.stdout! }).once('line', (line) => resolve(JSON.parse(line)))
})
try {
  console.log(`bench/search: ${args.rows} notes (seeded in ${ready.seedMs} ms), wrk 1 thread × ${args.connections} connections, ${args.rounds} round(s) of ${args.duration} s`)
  const measure = async (name: string, url: string, mode: string): Promise<WrkResult> => {
    const run = (seconds: number) => runWrkScript({ script: path.join(here, 'wrk.lua'), scriptArgs: [ready.token, mode], url, connections: Number(args.connections), seconds, core: 1 })
    await run(Number(args.warmup))
    let best: WrkResult | undefined
    for (let i = 0; i < Number(args.rounds); i++) {
      const result = await run(Number(args.duration))
      if (result.errors > 0) throw new Error(`${name}: ${result.errors} errors (non-2xx or socket) in ${result.requests} requests`)
      if (best === undefined || result.requestsPerSecond > best.requestsPerSecond) best = result
    }
    console.log(`${name.padEnd(36)} ${best!.requestsPerSecond.toFixed(0).padStart(7)} req/s   p50 ${best!.p50Ms.toFixed(2)} ms   p99 ${best!.p99Ms.toFixed(2)} ms`)
    return best!
  }
  const text = await measure('/search mode=text (KoyaLite)', ready.koya, 'text')
  const rawText = await measure('FTS5 + policy (node:http baseline)', ready.baseline, 'text')
  const semantic = await measure('/search mode=semantic (KoyaLite)', ready.koya, 'semantic')
  const rawKnn = await measure('vec0 KNN + policy (baseline)', ready.baseline, 'semantic')
  await measure('/search mode=hybrid (KoyaLite)', ready.koya, 'hybrid')
  console.log(`text: ${(text.requestsPerSecond / rawText.requestsPerSecond).toFixed(2)}x of the FTS5 baseline (target >= 0.6x)`)
  if (args.postgres && postgresMissing() === undefined) {
    // The SQLite server is idle (not stopped) while PostgreSQL runs on the same core.
    const pg = await benchPostgres({ rows: Number(args.rows), duration: Number(args.duration), warmup: Number(args.warmup), connections: Number(args.connections), words: WORDS })
    console.log(`${'PostgreSQL 15 tsvector + GIN (pgbench)'.padEnd(36)} ${pg.tps.toFixed(0).padStart(7)} req/s   mean ${pg.latencyMs.toFixed(2)} ms (no HTTP, no auth)`)
    console.log(`text: ${(text.requestsPerSecond / pg.tps).toFixed(2)}x of PostgreSQL tsvector + GIN through pgbench`)
  } else console.log(`PostgreSQL skipped: ${args.postgres ? postgresMissing() : '--no-postgres'}`)
  console.log(`semantic: ${(semantic.requestsPerSecond / rawKnn.requestsPerSecond).toFixed(2)}x of the vec0 baseline (target >= 0.7x); p50 ${semantic.p50Ms.toFixed(2)} vs ${rawKnn.p50Ms.toFixed(2)} ms`)
} finally {
  server.kill('SIGTERM')
}
