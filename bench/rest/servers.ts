import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'

/** A benchmarked server: its own Node process, pinned to one core, on an ephemeral port. */
export interface ServerProcess {
  readonly name: string
  readonly pid: number
  readonly url: string
  /** Whether the process has exited. */
  readonly stopped: boolean
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process has exited. */
  stop(): Promise<void>
}

export interface StartOptions {
  readonly name: string
  /** What follows `node`: flags, the script, its arguments. */
  readonly args: readonly string[]
  readonly env?: Readonly<Record<string, string>>
  readonly cwd?: string
  /** The core the server runs on (`taskset -c`). */
  readonly core: number
  /** The stdout line that says the server listens; its first group is the port. */
  readonly ready: RegExp
}

const START_TIMEOUT_MS = 30_000

/** Start `node <args>` under `taskset -c <core>` and wait for its ready line on stdout. */
export async function startServer(options: StartOptions): Promise<ServerProcess> {
  // taskset execs node, so the child's pid is the server's (for /proc/<pid>/status).
  const child = spawn('taskset', ['-c', String(options.core), process.execPath, ...options.args], {
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000)
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
  try {
    const port = await waitForPort(child, options.ready, () => stderr)
    return {
      name: options.name,
      pid: child.pid!,
      url: `http://127.0.0.1:${port}`,
      get stopped() {
        return child.exitCode !== null || child.signalCode !== null
      },
      stop,
    }
  } catch (error) {
    await stop()
    throw new Error(`${options.name} did not start`, { cause: error })
  }
}

function waitForPort(child: ChildProcess, ready: RegExp, stderr: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    const timer = setTimeout(() => fail(new Error(`no line matching ${ready} within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS)
    const onExit = (code: number | null) => fail(new Error(`exited with ${code} before listening:\n${stderr()}`))
    const fail = (error: Error) => {
      clearTimeout(timer)
      child.off('exit', onExit)
      reject(error)
    }
    child.once('exit', onExit)
    lines.on('line', (line) => {
      const match = ready.exec(line)
      if (!match) return
      clearTimeout(timer)
      child.off('exit', onExit)
      lines.close()
      resolve(Number(match[1]))
    })
  })
}

/** Resident set size and its peak, in MB, from /proc/<pid>/status. */
export function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? NaN)
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 }
}

/** CPU time the process has used so far, in clock ticks (utime + stime of /proc/<pid>/stat). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (which may hold spaces), which ends at the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12])
}

/** Busy and total clock ticks of the whole machine, from the first line of /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = values.map(Number) as [number, number, number, number, number, number, number, number]
  const busy = user + nice + system + irq + softirq + steal
  return { busy, total: busy + idle + iowait }
}

export interface QuietOptions {
  /** Also wait until the machine as a whole is nearly idle (other work shares these cores). */
  readonly machine: boolean
  readonly timeoutMs?: number
}

/**
 * Resolve once none of the processes used more than 10% of a core over 500 ms (wrk stops
 * sending when its time is up, but a server may still be working through requests it had
 * read: the next measurement must not share core 0 with that backlog) and, with `machine`,
 * the machine was more than 90% idle. Returns false when the machine stayed busy until the
 * timeout (the servers staying busy is an error).
 */
export async function waitForQuiet(pids: readonly number[], options: QuietOptions): Promise<boolean> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000)
  let before = { pids: pids.map(cpuTicks), machine: machineTicks() }
  let serversQuiet = false
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500))
    const now = { pids: pids.map(cpuTicks), machine: machineTicks() }
    serversQuiet = now.pids.every((ticks, i) => ticks - before.pids[i]! <= 5)
    const machineQuiet = now.machine.busy - before.machine.busy <= 0.1 * (now.machine.total - before.machine.total)
    if (serversQuiet && (!options.machine || machineQuiet)) return true
    before = now
  }
  if (!serversQuiet) throw new Error(`the servers were still busy ${options.timeoutMs ?? 60_000} ms after the load stopped`)
  return false
}
