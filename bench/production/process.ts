import { spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import type { ServerProcess } from '../rest/servers.ts'

export interface LoggedStartOptions {
  readonly name: string
  /** What follows `node`: flags, the script, its arguments. */
  readonly args: readonly string[]
  readonly env?: Readonly<Record<string, string>>
  readonly cwd?: string
  /** The core the server runs on (`taskset -c`). */
  readonly core: number
  readonly port: number
  /** The server's stdout and stderr go to this file, as a user redirects a service's output. */
  readonly log: string
  /** A line of the log that says the server listens. */
  readonly ready: RegExp
}

const START_TIMEOUT_MS = 60_000

/** A free TCP port on 127.0.0.1 (the server is told it: its log then goes to a file). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

/**
 * Start `node <args>` under `taskset -c <core>` with stdout and stderr appended to a file (not a
 * pipe the benchmark reads: a pipe's reader shares the machine and can push back on the writer),
 * and wait until the file holds the ready line.
 */
export async function startLogged(options: LoggedStartOptions): Promise<ServerProcess> {
  const fd = openSync(options.log, 'a')
  // taskset execs node, so the child's pid is the server's (for /proc/<pid>/status).
  const child = spawn('taskset', ['-c', String(options.core), process.execPath, ...options.args], {
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    stdio: ['ignore', fd, fd],
  })
  closeSync(fd)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const isStopped = () => child.exitCode !== null || child.signalCode !== null
  const stop = async () => {
    if (isStopped()) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
  const deadline = Date.now() + START_TIMEOUT_MS
  while (!options.ready.test(readFileSync(options.log, 'utf8'))) {
    if (isStopped() || Date.now() > deadline) {
      await stop()
      const tail = readFileSync(options.log, 'utf8').slice(-4000)
      throw new Error(`${options.name} did not start (${isStopped() ? `exited with ${child.exitCode}` : `no line matching ${options.ready} within ${START_TIMEOUT_MS} ms`}):\n${tail}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    name: options.name,
    pid: child.pid!,
    url: `http://127.0.0.1:${options.port}`,
    get stopped() {
      return isStopped()
    },
    stop,
  }
}
