import { spawn, spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export type BenchCase = 'get' | 'list' | 'create'

export interface WrkResult {
  readonly requestsPerSecond: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly requests: number
  /** Socket errors, timeouts and non-2xx/3xx answers. */
  readonly errors: number
}

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'wrk.lua')

/** Why wrk or taskset cannot run here, or undefined when both can. */
export function missingTools(): string | undefined {
  if (spawnSync('wrk', ['-v']).error) return 'wrk is not installed. On Debian or Ubuntu: sudo apt-get update && sudo apt-get install -y wrk'
  if (spawnSync('taskset', ['-c', '1', 'true']).status !== 0) {
    return 'taskset -c 1 failed: the benchmark needs util-linux taskset and at least 2 cores (server on core 0, wrk on core 1).'
  }
  return undefined
}

export interface WrkOptions {
  readonly url: string
  readonly benchCase: BenchCase
  readonly connections: number
  readonly seconds: number
  readonly serviceKey: string
  /** The directory with task-ids.txt, project-ids.txt and user-ids.txt. */
  readonly idsDir: string
  readonly core: number
}

/** One wrk run (one thread, `connections` connections) pinned to `core`. */
export function runWrk(options: WrkOptions): Promise<WrkResult> {
  return runWrkScript({ ...options, script, scriptArgs: [options.benchCase, options.serviceKey, options.idsDir] })
}

/**
 * wrk with a Lua script that prints `BENCH_RESULT {json}` when done (requests, duration_us,
 * p50_us, p99_us, errors), pinned to `core` with taskset.
 */
export function runWrkScript(options: { readonly script: string; readonly scriptArgs: readonly string[]; readonly url: string; readonly connections: number; readonly seconds: number; readonly core: number }): Promise<WrkResult> {
  const args = ['-c', String(options.core), 'wrk', '-t', '1', '-c', String(options.connections), '-d', `${options.seconds}s`, '--timeout', '30s', '-s', options.script, options.url, '--', ...options.scriptArgs]
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.once('error', reject)
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCH_RESULT '))
      if (code !== 0 || !line) return reject(new Error(`wrk failed (exit ${code}):\n${out}`))
      const raw = JSON.parse(line.slice('BENCH_RESULT '.length)) as {
        requests: number
        duration_us: number
        p50_us: number
        p99_us: number
        errors: Record<string, number>
      }
      resolve({
        requestsPerSecond: raw.requests / (raw.duration_us / 1e6),
        p50Ms: raw.p50_us / 1000,
        p99Ms: raw.p99_us / 1000,
        requests: raw.requests,
        errors: Object.values(raw.errors).reduce((a, b) => a + b, 0),
      })
    })
  })
}
