import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { KoyaError } from '../../shared/errors.ts'
import { stackCleaner, userFrame } from './source-maps.ts'

/**
 * One Deno process running one version of one function (deno-scripts.ts is what it runs): started
 * with only the permissions the function declares, several calls at a time (the pool says how
 * many), killed (SIGKILL) when its thread runs past the CPU limit without yielding or past its
 * memory limit; a call past its wall clock fails and retires the worker. The pool replaces a dead one.
 */

/** How one worker is started. */
export interface WorkerSpec {
  readonly deno: string
  /** The version's directory: main.js, user.js, fn.js (+ map). Readable by the worker, nothing else is but its scratch. */
  readonly versionDir: string
  /** The worker's own temp dir (TMPDIR), emptied after each call; created here, removed when the worker ends. */
  readonly scratchDir: string
  /** Deno's module cache (DENO_DIR), for `npm:` and `jsr:` imports. */
  readonly cacheDir: string
  readonly allowNet: readonly string[]
  /** The declared names with the values the server has for them. */
  readonly env: Readonly<Record<string, string>>
  readonly heapMb: number
  readonly startTimeoutMs: number
}

/** The limits of one call. */
export interface CallLimits {
  readonly wallMs: number
  readonly cpuMs: number
  /** Resident memory past which the worker is killed (a backstop behind the V8 heap cap). */
  readonly rssBytes: number
}

/** What the function is asked: the request, or the validated input of a typed function. */
export interface InvokeMessage {
  readonly requestId: string
  readonly method: string
  readonly url: string
  readonly headers: readonly (readonly [string, string])[]
  readonly body: string | null
  readonly typed: boolean
  readonly input?: unknown
  readonly caller: { readonly userId: string | null; readonly roles: readonly string[] }
  readonly env: readonly string[]
}

/** A request the function sent through `ctx.fetch` / `ctx.client`. */
export interface ClientCall {
  readonly method: string
  readonly path: string
  readonly headers: readonly (readonly [string, string])[]
  readonly body: string | null
}

export interface ClientAnswer {
  readonly status: number
  readonly headers: readonly (readonly [string, string])[]
  readonly body: string | null
}

export type CallResult =
  | { readonly kind: 'response'; readonly status: number; readonly headers: readonly (readonly [string, string])[]; readonly body: string }
  | { readonly kind: 'output'; readonly output: unknown }

/** What a call left behind, whatever its outcome: for the invocation log. */
export interface CallTrace {
  stdout: string
  stderr: string
  memoryBytes: number | null
}

/** Captured output kept per call. */
export const MAX_CAPTURED = 16 * 1024

interface Call {
  readonly resolve: (r: CallResult) => void
  readonly reject: (e: unknown) => void
  readonly onCall: (call: ClientCall) => Promise<ClientAnswer>
  readonly trace: CallTrace
  readonly wall: NodeJS.Timeout
}

/** How often the watchdog samples the worker (CPU, memory, heartbeat) while it has calls. */
const WATCH_MS = 25

export class DenoWorker {
  readonly #process: ChildProcessWithoutNullStreams
  readonly #spec: WorkerSpec
  /** Stack text as the user wrote the code: project files and lines, not the bundle's. */
  readonly #clean: (text: string) => string
  #ready: Promise<void>
  #buffer = ''
  #stderrTail = ''
  readonly #calls = new Map<number, Call>()
  #ids = 0
  #exited = false
  #loaded = false
  #retired = false
  #exitReason: KoyaError | undefined
  readonly #exitListeners: (() => void)[] = []
  // The watchdog (runs only while calls are in flight): limits of the function, the heartbeat sent
  // and not yet answered, with the worker's CPU time when it was sent.
  #limits: CallLimits | undefined
  #watch: NodeJS.Timeout | undefined
  /** The worker's RSS at the last watch tick (or its first call), for calls shorter than a tick. */
  #lastRss: number | null = null
  #ping: { seq: number; cpu: number | null } | undefined
  #pings = 0
  calls = 0

  constructor(spec: WorkerSpec) {
    this.#spec = spec
    this.#clean = stackCleaner(spec.versionDir)
    mkdirSync(spec.scratchDir, { recursive: true })
    const args = [
      'run',
      '--no-prompt',
      '--no-config',
      '--no-lock',
      `--allow-read=${spec.versionDir},${spec.scratchDir}`,
      `--allow-write=${spec.scratchDir}`,
      ...(spec.allowNet.length > 0 ? [`--allow-net=${spec.allowNet.join(',')}`] : []),
      ...(Object.keys(spec.env).length > 0 ? [`--allow-env=${Object.keys(spec.env).join(',')}`] : []),
      `--v8-flags=--max-old-space-size=${spec.heapMb}`,
      path.join(spec.versionDir, 'main.js'),
    ]
    // The worker's environment is built here, never inherited: the server's secrets stay out of it.
    const env = { ...spec.env, TMPDIR: spec.scratchDir, DENO_DIR: spec.cacheDir, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' }
    this.#process = spawn(spec.deno, args, { env, cwd: spec.scratchDir, stdio: ['pipe', 'pipe', 'pipe'] })
    this.#process.stdout.setEncoding('utf8')
    this.#process.stderr.setEncoding('utf8')
    this.#process.stdin.on('error', () => {})
    let onReady: () => void = () => {}
    let onFail: (error: unknown) => void = () => {}
    this.#ready = new Promise<void>((resolve, reject) => {
      onReady = resolve
      onFail = reject
    })
    this.#ready.catch(() => {})
    const startTimer = setTimeout(() => {
      onFail(new KoyaError('KL_API_FUNCTION_UNAVAILABLE', `The function's worker did not start within ${spec.startTimeoutMs} ms.`))
      this.kill()
    }, spec.startTimeoutMs)
    this.#process.stdout.on('data', (chunk: string) => {
      let lines = this.#buffer + chunk
      let end: number
      while ((end = lines.indexOf('\n')) >= 0) {
        const line = lines.slice(0, end)
        lines = lines.slice(end + 1)
        let message: Record<string, unknown>
        try {
          message = JSON.parse(line) as Record<string, unknown>
        } catch {
          continue
        }
        if (message.t === 'ready') {
          clearTimeout(startTimer)
          this.#loaded = true
          onReady()
        } else if (message.t === 'fatal') {
          this.#exitReason = new KoyaError('KL_API_FUNCTION_UNAVAILABLE', `The function failed to load: ${String(message.message)}`)
        } else this.#onMessage(message)
      }
      this.#buffer = lines
    })
    this.#process.stderr.on('data', (chunk: string) => {
      this.#stderrTail = (this.#stderrTail + chunk).slice(-MAX_CAPTURED)
      // Output the worker writes outside a call's console (Deno's own messages): to every call in flight.
      for (const call of this.#calls.values()) call.trace.stderr = append(call.trace.stderr, chunk)
    })
    this.#process.on('error', (error) => {
      this.#exitReason ??= new KoyaError('KL_API_FUNCTION_UNAVAILABLE', `Deno could not be started (${spec.deno}): ${error.message}`, { hint: 'Install the `deno` npm package, or set KOYA_DENO_PATH.' })
    })
    this.#process.on('close', (code, signal) => {
      clearTimeout(startTimer)
      this.#exited = true
      this.#stopWatch()
      rmSync(spec.scratchDir, { recursive: true, force: true })
      const reason =
        this.#exitReason ??
        (/out of memory|heap limit/i.test(this.#stderrTail)
          ? new KoyaError('KL_API_FUNCTION_MEMORY', 'The function ran out of memory; its worker was replaced.')
          : new KoyaError('KL_API_FUNCTION_FAILED', `The function's worker ended (${signal ?? `exit ${code}`}).`))
      onFail(reason)
      const calls = [...this.#calls.values()]
      this.#calls.clear()
      for (const call of calls) {
        clearTimeout(call.wall)
        call.reject(reason)
      }
      for (const listener of this.#exitListeners) listener()
    })
  }

  get pid(): number | undefined {
    return this.#process.pid
  }

  get exited(): boolean {
    return this.#exited
  }

  /** Whether it loaded the function (a worker that never did is not replaced on its own: the next call tries again). */
  get loaded(): boolean {
    return this.#loaded
  }

  /** Takes no new calls: it is killed once those in flight are done (a call passed its wall clock, or it served its share). */
  get retired(): boolean {
    return this.#retired
  }

  /** Calls in flight. */
  get inFlight(): number {
    return this.#calls.size
  }

  /** Resolves once the function is loaded; rejects when the worker cannot start or load it. */
  ready(): Promise<void> {
    return this.#ready
  }

  onExit(listener: () => void): void {
    if (this.#exited) listener()
    else this.#exitListeners.push(listener)
  }

  /**
   * Run one call, beside the others in flight on this worker (async handlers interleave). The
   * call fails at its wall clock (the worker is then retired: killed when its other calls are
   * done); the whole worker is killed when its thread runs past the CPU limit without yielding
   * or past its memory. The promise then rejects with a coded error (KL_API_FUNCTION_TIMEOUT /
   * _MEMORY / _FAILED). `trace` is filled as it runs.
   */
  async invoke(message: InvokeMessage, limits: CallLimits, trace: CallTrace, onCall: (call: ClientCall) => Promise<ClientAnswer>): Promise<CallResult> {
    await this.#ready
    if (this.#exited) throw this.#exitReason ?? new KoyaError('KL_API_FUNCTION_UNAVAILABLE', "The function's worker has ended.")
    const id = ++this.#ids
    this.calls += 1
    this.#limits = limits
    // A call shorter than one watch tick still reports the worker's size: the last one measured
    // (once when the worker first serves, then at every tick).
    this.#lastRss ??= rssBytes(this.pid)
    if (this.#lastRss !== null) trace.memoryBytes = Math.max(trace.memoryBytes ?? 0, this.#lastRss)
    const result = new Promise<CallResult>((resolve, reject) => {
      const wall = setTimeout(() => {
        if (!this.#calls.delete(id)) return
        reject(new KoyaError('KL_API_FUNCTION_TIMEOUT', `The function did not answer within ${limits.wallMs} ms; its worker was replaced.`))
        this.retire(true)
      }, limits.wallMs)
      this.#calls.set(id, { resolve, reject, onCall, trace, wall })
    })
    if (this.#watch === undefined) this.#startWatch()
    this.#send(JSON.stringify({ t: 'invoke', id, ...message }))
    try {
      return await result
    } finally {
      if (this.#calls.size === 0) this.#idle()
    }
  }

  /** Take no new calls; once none is in flight, kill it (`kill`) or let it exit. */
  retire(kill: boolean): void {
    this.#retired = true
    if (this.#calls.size > 0 || this.#exited) return
    if (kill) this.kill()
    else void this.stop()
  }

  /** Close stdin: the worker exits by itself; SIGKILL after `graceMs` if it has not. */
  stop(graceMs = 2000): Promise<void> {
    return new Promise((resolve) => {
      this.onExit(resolve)
      if (this.#exited) return
      this.#process.stdin.end()
      const timer = setTimeout(() => this.kill(), graceMs)
      timer.unref()
    })
  }

  kill(): void {
    if (!this.#exited) this.#process.kill('SIGKILL')
  }

  /** No call in flight: stop watching, empty the temp dir, and end a retired worker. */
  #idle(): void {
    this.#stopWatch()
    if (this.#exited) return
    if (this.#retired) return this.retire(true)
    emptyDir(this.#spec.scratchDir)
  }

  /**
   * The watchdog: memory (resident size) and the heartbeat. A ping goes to the function's thread;
   * it answers when its event loop is free. A ping unanswered while the process burned more than
   * the CPU limit means a call holds the thread (a loop): the worker is killed.
   */
  #startWatch(): void {
    this.#ping = undefined
    this.#watch = setInterval(() => {
      const limits = this.#limits
      if (limits === undefined) return
      const cpu = cpuTimeMs(this.pid)
      if (this.#ping === undefined) {
        this.#ping = { seq: ++this.#pings, cpu }
        this.#send(`{"t":"ping","seq":${this.#pings}}`)
      } else if (cpu !== null && this.#ping.cpu !== null && cpu - this.#ping.cpu > limits.cpuMs) {
        this.#exitReason = new KoyaError('KL_API_FUNCTION_TIMEOUT', `The function used more than ${limits.cpuMs} ms of CPU time without yielding; its worker was replaced.`)
        this.kill()
        return
      }
      const rss = rssBytes(this.pid)
      if (rss === null) return
      this.#lastRss = rss
      for (const call of this.#calls.values()) call.trace.memoryBytes = Math.max(call.trace.memoryBytes ?? 0, rss)
      if (rss > limits.rssBytes) {
        this.#exitReason = new KoyaError('KL_API_FUNCTION_MEMORY', 'The function ran out of memory; its worker was replaced.')
        this.kill()
      }
    }, WATCH_MS)
  }

  #stopWatch(): void {
    clearInterval(this.#watch)
    this.#watch = undefined
    this.#ping = undefined
  }

  #send(line: string): void {
    if (this.#exited || !this.#process.stdin.writable) return
    // Lines sent in one turn of the event loop (every request that arrived in it) leave in one
    // write: one wake-up of the worker for all of them (decision 203).
    if (this.#process.stdin.writableCorked === 0) {
      this.#process.stdin.cork()
      setImmediate(() => this.#process.stdin.uncork())
    }
    this.#process.stdin.write(`${line}\n`)
  }

  #onMessage(message: Record<string, unknown>): void {
    if (message.t === 'pong') {
      if (this.#ping?.seq === message.seq) this.#ping = undefined
      return
    }
    const id = message.id as number
    const current = this.#calls.get(id)
    if (current === undefined) return
    switch (message.t) {
      case 'log': {
        const stream = message.stream === 'stderr' ? 'stderr' : 'stdout'
        current.trace[stream] = append(current.trace[stream], `${this.#clean(String(message.text))}\n`)
        return
      }
      case 'call': {
        const callId = message.callId as number
        current
          .onCall({ method: String(message.method), path: String(message.path), headers: (message.headers as [string, string][]) ?? [], body: typeof message.body === 'string' ? message.body : null })
          .then(
            (answer) => this.#send(JSON.stringify({ t: 'reply', callId, ...answer })),
            () => this.#send(JSON.stringify({ t: 'reply', callId, status: 500, headers: [['content-type', 'application/json']], body: Buffer.from(JSON.stringify({ code: 'KL_INT_UNEXPECTED', message: 'The call failed.' })).toString('base64') })),
          )
        return
      }
      case 'result':
        this.#settle(id, current)
        current.resolve(
          'output' in message
            ? { kind: 'output', output: message.output }
            : { kind: 'response', status: Number(message.status), headers: (message.headers as [string, string][]) ?? [], body: String(message.body ?? '') },
        )
        return
      case 'error': {
        this.#settle(id, current)
        const stack = typeof message.stack === 'string' ? this.#clean(message.stack) : null
        current.trace.stderr = append(current.trace.stderr, `${stack ?? String(message.message)}\n`)
        const at = stack === null ? undefined : userFrame(stack)
        current.reject(new KoyaError('KL_API_FUNCTION_FAILED', `The function threw: ${String(message.message)}`, { details: { ...(at !== undefined ? { at } : {}), ...(stack !== null ? { stack } : {}) } }))
        return
      }
      default:
    }
  }

  #settle(id: number, call: Call): void {
    clearTimeout(call.wall)
    this.#calls.delete(id)
  }
}

function append(text: string, more: string): string {
  if (text.length >= MAX_CAPTURED) return text
  const joined = text + more
  return joined.length > MAX_CAPTURED ? `${joined.slice(0, MAX_CAPTURED)}\n…(truncated)` : joined
}

function emptyDir(dir: string): void {
  try {
    for (const entry of readdirSync(dir)) rmSync(path.join(dir, entry), { recursive: true, force: true })
  } catch {
    // The worker may have made something it cannot remove: the next call still has its dir.
  }
}

const TICKS_PER_SECOND = 100

/** User + system CPU time of a process, from /proc (Linux); null elsewhere or once it has gone. */
export function cpuTimeMs(pid: number | undefined): number | null {
  if (pid === undefined) return null
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND
  } catch {
    return null
  }
}

/** Resident memory of a process, from /proc (Linux); null elsewhere or once it has gone. */
export function rssBytes(pid: number | undefined): number | null {
  if (pid === undefined) return null
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) * 1024 : null
  } catch {
    return null
  }
}
