import { randomUUID } from 'node:crypto'
import path from 'node:path'
import { KoyaError } from '../../shared/errors.ts'
import { DenoWorker, type CallLimits, type CallResult, type CallTrace, type ClientAnswer, type ClientCall, type InvokeMessage, type WorkerSpec } from './deno-worker.ts'

/**
 * The warm workers of one version of one function: `min` kept started, up to `max` at once, each
 * running up to `perWorker` calls at once (async handlers interleave). A call goes to the least
 * busy worker; when every worker holds half its share, another is started (up to `max`) and takes
 * calls once loaded. Beyond every worker's share, calls wait in line (up to `maxWaiting`). A worker that
 * dies (killed at a limit, crashed) is dropped and, below `min`, replaced; one that is retired (a
 * call passed its wall clock) takes no new calls; one that served `maxCallsPerWorker` takes
 * calls until its replacement has loaded, then retires. `drain()` lets
 * the calls in flight finish, then stops every worker: how a version switch keeps them.
 */
export interface PoolSettings {
  readonly min: number
  readonly max: number
  /** Calls one worker runs at once. */
  readonly perWorker: number
  readonly maxWaiting: number
  /** Restart a worker after this many calls (a leak in user code does not grow for ever). */
  readonly maxCallsPerWorker: number
}

export class WorkerPool {
  readonly version: string
  readonly #spec: Omit<WorkerSpec, 'scratchDir'>
  readonly #scratchRoot: string
  readonly #settings: PoolSettings
  /** Every worker not yet exited, with the calls given to it and not yet done. */
  readonly #load = new Map<DenoWorker, number>()
  readonly #waiting: ((worker: DenoWorker | KoyaError) => void)[] = []
  /** Workers that served `maxCallsPerWorker`: they keep taking calls until a fresh worker has loaded. */
  readonly #aging = new Set<DenoWorker>()
  #serial = 0
  #draining = false
  #inFlight = 0
  #drained: (() => void) | undefined
  /** The load of the least busy loaded worker at which another is started. */
  readonly #spreadAt: number

  constructor(version: string, spec: Omit<WorkerSpec, 'scratchDir'>, scratchRoot: string, settings: PoolSettings) {
    this.version = version
    this.#spec = spec
    this.#scratchRoot = scratchRoot
    this.#settings = settings
    this.#spreadAt = Math.max(1, Math.ceil(settings.perWorker / 2))
    for (let i = 0; i < settings.min; i++) this.#start()
  }

  /** The pids of the running workers (tests and the bench read them). */
  get pids(): number[] {
    return [...this.#load.keys()].flatMap((worker) => (worker.pid === undefined || worker.exited ? [] : [worker.pid]))
  }

  /** Resolves when the first worker has loaded the function (or failed to). */
  async warm(): Promise<void> {
    await [...this.#load.keys()][0]?.ready()
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
    await Promise.all([...this.#load.keys()].map((worker) => worker.stop()))
  }

  /** Stop at once: calls in flight fail. */
  async kill(): Promise<void> {
    this.#draining = true
    const workers = [...this.#load.keys()]
    for (const worker of workers) worker.kill()
    await Promise.all(workers.map((worker) => worker.stop(0)))
  }

  #start(): DenoWorker {
    // Unique, not just per pool: a pool of the same version made again (a rollback to it) must not
    // share a dir that an old worker, still exiting, removes.
    this.#serial += 1
    const worker = new DenoWorker({ ...this.#spec, scratchDir: path.join(this.#scratchRoot, `${this.version}-${this.#serial}-${randomUUID().slice(0, 8)}`) })
    this.#load.set(worker, 0)
    worker.ready().then(
      () => {
        // A fresh worker has loaded: the aging ones make way.
        for (const old of this.#aging) old.retire(false)
        this.#aging.clear()
        this.#dispatch()
      },
      () => {},
    )
    worker.onExit(() => {
      this.#load.delete(worker)
      this.#aging.delete(worker)
      if (this.#draining) return
      // Keep the pool warm: a worker killed at a limit is replaced before the next call needs it.
      // (Not one that never loaded the function: a file that does not load would restart for ever.)
      if (worker.loaded && this.#usable() < this.#settings.min) this.#start()
      this.#dispatch()
    })
    return worker
  }

  /** Workers that take calls (started or starting, not retired or aging). */
  #usable(): number {
    let count = 0
    for (const worker of this.#load.keys()) if (!worker.exited && !worker.retired && !this.#aging.has(worker)) count += 1
    return count
  }

  /**
   * The worker the next call goes to: the least busy loaded one with room; else one that served
   * its share and waits for its replacement to load; else a starting one (the call waits for it
   * to load). When every worker holds half its share and those starting are full, one more is
   * started (up to `max`).
   */
  #pick(): DenoWorker | undefined {
    let best: DenoWorker | undefined
    let bestRank = Number.POSITIVE_INFINITY
    // Room on the workers still starting: another is started only when they are full.
    let startingRoom = 0
    let fresh = 0
    for (const [worker, load] of this.#load) {
      if (worker.exited || worker.retired) continue
      const aging = this.#aging.has(worker)
      if (!worker.loaded) startingRoom += Math.max(0, this.#settings.perWorker - load)
      if (!aging) fresh += 1
      if (load >= this.#settings.perWorker) continue
      // Rank: loaded first, then aging, then starting; the least busy within each.
      const rank = (worker.loaded ? (aging ? 1 : 0) : 2) * (this.#settings.perWorker + 1) + load
      if (rank < bestRank) {
        best = worker
        bestRank = rank
      }
    }
    // Another worker only once the least busy loaded one holds half its share: a worker takes
    // several calls at once, and a process costs a start (~70 ms of CPU) and context switches.
    if ((best === undefined || bestRank >= this.#spreadAt) && startingRoom === 0 && fresh < this.#settings.max) {
      const started = this.#start()
      if (best === undefined) best = started
    }
    if (best !== undefined) this.#load.set(best, (this.#load.get(best) ?? 0) + 1)
    return best
  }

  async #acquire(): Promise<DenoWorker> {
    const worker = this.#pick()
    if (worker !== undefined) return worker
    if (this.#waiting.length >= this.#settings.maxWaiting) throw new KoyaError('KL_API_FUNCTION_UNAVAILABLE', 'Too many calls of this function are waiting for a worker.', { hint: 'Retry shortly, or raise KOYA_FUNCTIONS_MAX_WORKERS / KOYA_FUNCTIONS_CONCURRENCY.' })
    const next = await new Promise<DenoWorker | KoyaError>((resolve) => this.#waiting.push(resolve))
    if (next instanceof KoyaError) throw next
    return next
  }

  #release(worker: DenoWorker): void {
    const load = this.#load.get(worker)
    if (load !== undefined) this.#load.set(worker, load - 1)
    if (!worker.exited && !worker.retired && !this.#aging.has(worker) && worker.calls >= this.#settings.maxCallsPerWorker) {
      // Replace it without a pause: it serves on until its replacement has loaded.
      this.#aging.add(worker)
      if (![...this.#load.keys()].some((other) => !other.loaded && !other.exited)) this.#start()
    }
    this.#dispatch()
  }

  /** Free places to the calls waiting in line, first come first served. */
  #dispatch(): void {
    if (this.#draining) return
    while (this.#waiting.length > 0) {
      const worker = this.#pick()
      if (worker === undefined) return
      this.#waiting.shift()!(worker)
    }
  }
}
