// BullMQ on a private Debian redis-server, the same two workloads as run.ts's queue: one job in
// flight (each job's handler adds the next) and a backlog drained with 16 in flight. Redis keeps
// an append-only file synced every second (its default durability with AOF on), the closest to
// SQLite's WAL with synchronous=NORMAL that KoyaLite's queue runs with.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'

export interface BullmqResults {
  readonly oneInFlight: number
  readonly backlog: number
  readonly version: string
}

/** The redis-server binary, or undefined when the machine has none (`apt-get install redis-server`). */
function redisServer(): string | undefined {
  for (const candidate of ['/usr/bin/redis-server', 'redis-server']) if (!spawnSync(candidate, ['--version']).error) return candidate
  return undefined
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

async function startRedis(binary: string, dir: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort()
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] })
  await new Promise<void>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 10_000)
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}):\n${out}`)))
  })
  return { port, child }
}

/**
 * Jobs per second through BullMQ, or undefined when redis-server is not installed.
 *
 * @example
 * const bull = await bullmqRuns(20_000) // { oneInFlight: 2_900, backlog: 6_100, version: '6.7.0' }
 */
export async function bullmqRuns(jobs: number): Promise<BullmqResults | undefined> {
  const binary = redisServer()
  if (binary === undefined) return undefined
  const { Queue, Worker } = await import('bullmq')
  const { default: packageJson } = await import('bullmq/package.json', { with: { type: 'json' } })
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-bench-bullmq-'))
  const redis = await startRedis(binary, dir)
  const connection = { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null }
  try {
    const oneInFlight = await (async () => {
      const queue = new Queue('one', { connection })
      let done = 0
      let finish!: () => void
      const finished = new Promise<void>((resolve) => (finish = resolve))
      const worker = new Worker('one', async () => undefined, { connection, concurrency: 1 })
      // The next job is added once this one completes: one job in flight, as in run.ts.
      worker.on('completed', () => {
        done++
        if (done < jobs) void queue.add('noop', { n: 1 })
        else finish()
      })
      await worker.waitUntilReady()
      const start = performance.now()
      await queue.add('noop', { n: 1 })
      await finished
      const perSecond = jobs / ((performance.now() - start) / 1000)
      await worker.close()
      await queue.close()
      return perSecond
    })()
    const backlog = await (async () => {
      const queue = new Queue('backlog', { connection })
      let done = 0
      let finish!: () => void
      const finished = new Promise<void>((resolve) => (finish = resolve))
      const start = performance.now()
      for (let i = 0; i < jobs; i += 1000) await queue.addBulk(Array.from({ length: Math.min(1000, jobs - i) }, () => ({ name: 'noop', data: { n: 1 } })))
      const worker = new Worker('backlog', async () => undefined, { connection, concurrency: 16 })
      worker.on('completed', () => void (++done === jobs && finish()))
      await finished
      const perSecond = jobs / ((performance.now() - start) / 1000)
      await worker.close()
      await queue.close()
      return perSecond
    })()
    return { oneInFlight, backlog, version: packageJson.version }
  } finally {
    redis.child.kill('SIGTERM')
    await new Promise((resolve) => redis.child.once('exit', resolve))
    rmSync(dir, { recursive: true, force: true })
  }
}
