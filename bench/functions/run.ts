// A hello-world edge function three ways, same run: through KoyaLite (/functions/hello, a warm
// Deno worker behind Fastify), the same handler under `deno serve`, and a native Fastify route.
// Warm throughput (wrk, 1 and 32 connections) and KoyaLite's cold start: the first call after a
// deploy (a new version, so a new Deno worker), p50 over --deploys deploys. Servers on core 0,
// wrk on core 1. Target: KoyaLite ≥ 0.5× `deno serve` warm. Also the CPU time each server (with
// its child processes: KoyaLite's Deno workers) spends per request, which moves far less than
// req/s when other work shares the machine.
// Usage: node bench/functions/run.ts [--duration 10] [--warmup 2] [--rounds 3] [--deploys 20]
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { denoBinary } from '../../engine/runtime/functions/deno-binary.ts'
import { bestOfRounds, ms, rate } from '../rest/rounds.ts'
import { startServer, type ServerProcess } from '../rest/servers.ts'
import { missingTools, runWrkScript, type WrkResult } from '../rest/wrk.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const SERVICE_KEY = 'bench-service-key-0123456789abcdef'
const SERVER_CORE = 0
const WRK_CORE = 1
const TARGET = 0.5
const LISTENING = /^listening (\d+)$/

const { values: args } = parseArgs({ options: { duration: { type: 'string', default: '10' }, warmup: { type: 'string', default: '2' }, rounds: { type: 'string', default: '3' }, deploys: { type: 'string', default: '20' } } })
const duration = Number(args.duration)
const warmup = Number(args.warmup)
const rounds = Number(args.rounds)
const deploys = Number(args.deploys)

const missing = missingTools()
if (missing) {
  console.error(missing)
  process.exit(1)
}

async function freePort(): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** `deno serve` of the handler, pinned like the others. */
async function startDenoServe(): Promise<ServerProcess> {
  const port = await freePort()
  const child: ChildProcess = spawn('taskset', ['-c', String(SERVER_CORE), denoBinary(process.env), 'serve', '--no-prompt', '--no-config', `--host=127.0.0.1`, `--port=${port}`, path.join(here, 'deno-serve.ts')], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const url = `http://127.0.0.1:${port}`
  const until = Date.now() + 30_000
  for (;;) {
    try {
      if ((await fetch(`${url}/functions/hello`)).ok) break
    } catch {
      if (Date.now() > until) throw new Error('deno serve did not start')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  return {
    name: 'deno serve',
    pid: child.pid!,
    url,
    get stopped() {
      return child.exitCode !== null || child.signalCode !== null
    },
    async stop() {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    },
  }
}

const TICK_US = 10_000 // USER_HZ 100 on Linux

/** CPU ticks of a process (with its reaped children) and of its live descendants. */
function treeTicks(pid: number): number {
  let total = 0
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const rest = fields.slice(fields.lastIndexOf(')') + 2).split(' ')
    total += Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14])
    for (const task of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean)) total += treeTicks(Number(task))
  } catch {
    // It exited meanwhile: its ticks are in its parent's reaped-children count.
  }
  return total
}

/** The least CPU per request (µs) each server spent in any measured run, by `<name> c=<connections>`. */
const costs = new Map<string, number>()

async function wrk(server: ServerProcess, connections: number, seconds: number): Promise<WrkResult> {
  const before = treeTicks(server.pid)
  const result = await runWrkScript({ script: path.join(here, 'wrk.lua'), scriptArgs: [], url: `${server.url}/functions/hello`, connections, seconds, core: WRK_CORE })
  const perRequest = ((treeTicks(server.pid) - before) * TICK_US) / Math.max(1, result.requests)
  const key = `${server.name} c=${connections}`
  costs.set(key, Math.min(costs.get(key) ?? Number.POSITIVE_INFINITY, perRequest))
  return result
}
const cost = (server: ServerProcess, connections: number): string => (costs.get(`${server.name} c=${connections}`) ?? Number.NaN).toFixed(0)

const servers: ServerProcess[] = []
try {
  const koyalite = await startServer({ name: 'koyalite', args: [path.join(here, 'koyalite-server.ts'), SERVICE_KEY], core: SERVER_CORE, ready: LISTENING })
  servers.push(koyalite)
  const fastify = await startServer({ name: 'fastify', args: [path.join(here, 'fastify-server.ts')], core: SERVER_CORE, ready: LISTENING })
  servers.push(fastify)
  const deno = await startDenoServe()
  servers.push(deno)
  for (const server of servers) {
    const answer = await (await fetch(`${server.url}/functions/hello`)).text()
    if (answer !== 'Hello, world!') throw new Error(`${server.name} answered ${JSON.stringify(answer)}`)
  }

  const rows: string[] = []
  const costRows: string[] = []
  for (const connections of [1, 32]) {
    for (const server of servers) await wrk(server, connections, warmup)
    const [denoResult, koyaResult] = await bestOfRounds([deno, koyalite], rounds, `c=${connections}`, (server) => wrk(server, connections, duration))
    const fastifyResult = await wrk(fastify, connections, duration)
    const ratio = koyaResult.requestsPerSecond / denoResult.requestsPerSecond
    rows.push(`| ${connections} | ${rate(koyaResult.requestsPerSecond)} (p50 ${ms(koyaResult.p50Ms)}, p99 ${ms(koyaResult.p99Ms)}) | ${rate(denoResult.requestsPerSecond)} (p50 ${ms(denoResult.p50Ms)}) | ${rate(fastifyResult.requestsPerSecond)} (p50 ${ms(fastifyResult.p50Ms)}) | ${ratio.toFixed(2)}× ${ratio >= TARGET ? '✓' : '✗'} |`)
    costRows.push(`| ${connections} | ${cost(koyalite, connections)} | ${cost(deno, connections)} | ${cost(fastify, connections)} | ${(Number(cost(deno, connections)) / Number(cost(koyalite, connections))).toFixed(2)}× |`)
    const errors = koyaResult.errors + denoResult.errors + fastifyResult.errors
    if (errors > 0) console.error(`c=${connections}: ${errors} errors`)
  }

  // Cold start: each deploy is a new version (a comment makes the bytes differ), so the first call
  // after it starts a Deno worker and loads the function.
  const colds: number[] = []
  for (let i = 0; i < deploys; i++) {
    const code = `export default async () => new Response('Hello, world!', { headers: { 'content-type': 'text/plain' } })\n// deploy ${Date.now()}-${i}\n`
    const deployed = await fetch(`${koyalite.url}/admin/functions/hello/versions`, { method: 'POST', headers: { authorization: `Bearer ${SERVICE_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ code }) })
    if (deployed.status !== 201) throw new Error(`deploy ${i}: ${deployed.status} ${await deployed.text()}`)
    const started = performance.now()
    const first = await fetch(`${koyalite.url}/functions/hello`)
    await first.text()
    colds.push(performance.now() - started)
    await new Promise((resolve) => setTimeout(resolve, 300))
  }
  colds.sort((a, b) => a - b)
  const p50 = colds[Math.floor(colds.length / 2)]!

  console.log(`\nhello world at /functions/hello, req/s (latency ms), ${duration} s × best of ${rounds}\n`)
  console.log('| connections | KoyaLite function | deno serve | Fastify route | KoyaLite / deno serve (target ≥ 0.5×) |')
  console.log('| --- | --- | --- | --- | --- |')
  for (const row of rows) console.log(row)
  console.log('\nCPU time per request, µs (the server with its child processes; least of the runs)\n')
  console.log('| connections | KoyaLite function | deno serve | Fastify route | deno serve / KoyaLite |')
  console.log('| --- | --- | --- | --- | --- |')
  for (const row of costRows) console.log(row)
  console.log(`\ncold start (first call after a deploy), p50 over ${deploys}: ${ms(p50)} ms (min ${ms(colds[0]!)}, max ${ms(colds[colds.length - 1]!)})`)
} finally {
  for (const server of servers.reverse()) await server.stop()
}
