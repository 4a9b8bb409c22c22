import { randomUUID } from 'node:crypto'
import path from 'node:path'
import { KoyaError } from '../../shared/errors.ts'
import { DenoWorker, type CallLimits, type CallResult, type CallTrace, type ClientAnswer, type ClientCall, type InvokeMessage, type WorkerSpec } from './deno-worker.ts'

/**
 * The warm workers of one version of one function: `min` kept started, up to `max` at once, each
 * running one call at a time; further calls wait in line (up to `maxWaiting`). A worker that dies
 * (killed at a limit, crashed) is dropped and, below `min`, replaced. `drain()` lets the calls in
 * flight finish, then stops every worker: how a version switch keeps them.
 */
export interface PoolSettings {
  readonly min: number
  readonly max: number
  readonly maxWaiting: number
  /** Restart a worker after this many calls (a leak in user code does not grow for ever). */
  readonly maxCallsPerWorker: number
}

export class WorkerPool {
  readonly version: string
  readonly #spec: Omit<WorkerSpec, 'scratchDir'>
  readonly #scratchRoot: string
  readonly #settings: PoolSettings
  readonly #idle: DenoWorker[] = []
  readonly #all = new Set<DenoWorker>()
  readonly #waiting: ((worker: DenoWorker | KoyaError) => void)[] = []
  #serial = 0
  #draining = false
  #inFlight = 0
  #drained: (() => void) | undefined

  constructor(version: string, spec: Omit<WorkerSpec, 'scratchDir'>, scratchRoot: string, settings: PoolSettings) {
    this.version = version
    this.#spec = spec
    this.#scratchRoot = scratchRoot
    this.#settings = settings
    for (let i = 0; i < settings.min; i++) this.#idle.push(this.#start())
  }

  /** The pids of the running workers (tests and the bench read them). */
  get pids(): number[] {
    return [...this.#all].flatMap((worker) => (worker.pid === undefined || worker.exited ? [] : [worker.pid]))
  }

  /** Resolves when the first worker has loaded the function (or failed to). */
  async warm(): Promise<void> {
    const first = this.#idle[0] ?? [...this.#all][0]
    await first?.ready()
  }

  async run(message: InvokeMessage, limits: CallLimits, trace: CallTrace, onCall: (call: ClientCall) => Promise<ClientAnswer>): Promise<CallResult> {
    if (this.#draining) throw new KoyaError('KL_INT_UNEXPECTED', 'A call was given to a drained pool.')
    this.#inFlight += 1
    let worker: DenoWorker | undefined
    try {
      worker = await this.#acquire()
      return await worker.invoke(message, limits, trace, onCall)
    } finally {
      this.#inFlight -= 1
      if (worker !== undefined) this.#release(worker)
      if (this.#draining && this.#inFlight === 0) this.#drained?.()
    }
  }

  /** Take no more calls; resolve when those in flight are done and every worker has stopped. */
  async drain(): Promise<void> {
    this.#draining = true
    if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#drained = resolve))
    for (const waiter of this.#waiting.splice(0)) waiter(new KoyaError('KL_API_FUNCTION_UNAVAILABLE', 'The function is stopping.'))
    await Promise.all([...this.#all].map((worker) => worker.stop()))
  }

  /** Stop at once: calls in flight fail. */
  async kill(): Promise<void> {
    this.#draining = true
    for (const worker of this.#all) worker.kill()
    await Promise.all([...this.#all].map((worker) => worker.stop(0)))
  }

  #start(): DenoWorker {
    // Unique, not just per pool: a pool of the same version made again (a rollback to it) must not
    // share a dir that an old worker, still exiting, removes.
    this.#serial += 1
    const worker = new DenoWorker({ ...this.#spec, scratchDir: path.join(this.#scratchRoot, `${this.version}-${this.#serial}-${randomUUID().slice(0, 8)}`) })
    this.#all.add(worker)
    worker.onExit(() => {
      this.#all.delete(worker)
      const at = this.#idle.indexOf(worker)
      if (at >= 0) this.#idle.splice(at, 1)
      // Keep the pool warm: a worker killed at a limit is replaced before the next call needs it.
      // (Not one that never loaded the function: a file that does not load would restart for ever.)
      if (!this.#draining && worker.loaded && this.#all.size < this.#settings.min) this.#offer(this.#start())
    })
    return worker
  }

  async #acquire(): Promise<DenoWorker> {
    const idle = this.#idle.pop()
    if (idle !== undefined && !idle.exited) return idle
    if (this.#all.size < this.#settings.max) return this.#start()
    if (this.#waiting.length >= this.#settings.maxWaiting) throw new KoyaError('KL_API_FUNCTION_UNAVAILABLE', 'Too many calls of this function are waiting for a worker.', { hint: 'Retry shortly, or raise KOYA_FUNCTIONS_MAX_WORKERS.' })
    const next = await new Promise<DenoWorker | KoyaError>((resolve) => this.#waiting.push(resolve))
    if (next instanceof KoyaError) throw next
    return next
  }

  #release(worker: DenoWorker): void {
    if (!worker.exited && worker.calls < this.#settings.maxCallsPerWorker) return this.#offer(worker)
    if (!worker.exited) {
      this.#all.delete(worker)
      void worker.stop()
    }
    if (this.#draining) return
    // Its place goes to a warm worker, or a fresh one when someone waits or the pool is below min.
    if (this.#waiting.length > 0) {
      const idle = this.#idle.pop()
      if (idle !== undefined) return this.#offer(idle)
    }
    if ((this.#waiting.length > 0 || this.#all.size < this.#settings.min) && this.#all.size < this.#settings.max) this.#offer(this.#start())
  }

  /** A free worker to the first waiting call, or to the idle list. */
  #offer(worker: DenoWorker): void {
    const waiter = this.#waiting.shift()
    if (waiter !== undefined) waiter(worker)
    else this.#idle.push(worker)
  }
}
