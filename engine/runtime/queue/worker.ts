import { KoyaError } from '../../shared/errors.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import { statementsOf } from '../data/statement-cache.ts'
import type { JobKind, JobRunContext } from './queue.ts'
import { SQL, type ClaimedRow } from './queue-sql.ts'
import { CLAIM_LIMITED, groupRateKey, KIND_KEY, RATE_SQL, windowEnd } from './rate-limits.ts'
import { backoffMs, DEFAULT_RETRY } from './retry-policy.ts'

/** Where the queue reports runs that failed (pino's shape). */
export interface QueueLogger {
  warn(fields: Readonly<Record<string, unknown>>, message: string): void
  error(fields: Readonly<Record<string, unknown>>, message: string): void
}

export interface WorkerOptions {
  readonly db: SqliteDatabase
  readonly kinds: ReadonlyMap<string, JobKind<unknown>>
  readonly workerId: string
  readonly clock: () => Date
  readonly log: QueueLogger | undefined
  readonly leaseMs: number
  readonly pollMs: number
  readonly concurrency: number
  readonly retentionMs: number
  /** Claims made in one transaction when there is a backlog (1: each claim its own commit). */
  readonly claimBatch: number
}

/** The claiming loop of one process. */
export interface Worker {
  start(): void
  /** Look for work soon (after the current transaction commits: a new macrotask). */
  wake(): void
  /** Abort a run of this process, if it runs here. */
  abort(id: number, reason: KoyaError): void
  close(drainMs: number): Promise<void>
}

interface Running {
  readonly row: ClaimedRow
  readonly controller: AbortController
  readonly settled: Promise<void>
}

/**
 * Claims ready rows while it has room (its concurrency, each kind's), runs them without awaiting
 * one before claiming the next, and settles each with one statement. A timer keeps the leases of
 * its runs alive (one UPDATE for all of them), notices cancellations asked of other processes,
 * and returns the runs of dead processes (expired leases) to the queue.
 */
export function createWorker(options: WorkerOptions): Worker {
  const { kinds, workerId, clock } = options
  const statements = statementsOf(options.db)
  const running = new Map<number, Running>()
  const perKind = new Map<string, number>()
  let stopped = true
  let pumping = false
  let wakeScheduled = false
  let pollTimer: NodeJS.Timeout | undefined
  let maintenanceTimer: NodeJS.Timeout | undefined
  let lastPurge = 0

  const now = () => clock().getTime()

  // Rate-limited kinds are claimed one kind at a time with their windows' counters (below); the
  // claim of everything else skips them.
  let limited: JobKind<unknown>[] = []
  const spentUntil = new Map<string, number>()

  const atConcurrency = (name: string): boolean => {
    const limit = kinds.get(name)?.concurrency
    return limit != null && (perKind.get(name) ?? 0) >= limit
  }

  function skippedKinds(): string[] {
    const skipped = limited.map((kind) => kind.name)
    for (const name of perKind.keys()) if (atConcurrency(name)) skipped.push(name)
    return skipped
  }

  function claim(): ClaimedRow | undefined {
    const at = now()
    // Rate-limited kinds first: their limit bounds what they take, so they cannot starve the rest,
    // and a steady backlog of other work cannot starve them.
    const limitedRow = limited.length === 0 ? undefined : claimLimited(at)
    if (limitedRow !== undefined) return limitedRow
    const skipped = skippedKinds()
    const rows = skipped.length === 0 ? statements.all(SQL.claim, [at + options.leaseMs, workerId, at, at]) : statements.all(SQL.claimSkipping, [at + options.leaseMs, workerId, at, at, JSON.stringify(skipped)])
    return rows[0] as ClaimedRow | undefined
  }

  /**
   * The next run of a rate-limited kind whose window has room, counted in the same transaction as
   * the claim, so processes sharing the database share the budget. A spent kind is not asked again
   * before its window ends (a wake is set for then); runs of a spent group key are skipped by the
   * claim itself and found again at a poll.
   */
  function claimLimited(at: number): ClaimedRow | undefined {
    for (const kind of limited) {
      if (atConcurrency(kind.name) || (spentUntil.get(kind.name) ?? 0) > at) continue
      const { kind: whole, perKey } = kind.rateLimit ?? {}
      const row = options.db.transaction((): ClaimedRow | undefined => {
        if (whole) {
          const used = (statements.all(RATE_SQL.used, [kind.name, KIND_KEY, at])[0] as { count: number } | undefined)?.count ?? 0
          if (used >= whole.max) {
            const until = windowEnd(whole, at)
            spentUntil.set(kind.name, until)
            setTimeout(wake, until - at).unref()
            return undefined
          }
        }
        const claimed = statements.all(CLAIM_LIMITED, [at + options.leaseMs, workerId, at, at, kind.name, at, perKey?.max ?? Number.MAX_SAFE_INTEGER])[0] as ClaimedRow | undefined
        if (claimed === undefined) return undefined
        if (whole) statements.run(RATE_SQL.count, [kind.name, KIND_KEY, windowEnd(whole, at)])
        if (perKey && claimed.groupKey != null) statements.run(RATE_SQL.count, [kind.name, groupRateKey(claimed.groupKey), windowEnd(perKey, at)])
        return claimed
      })()
      if (row !== undefined) return row
    }
    return undefined
  }

  /**
   * Several claims in one transaction (one commit). Each claimed row's kind is counted as it is
   * claimed, so the kind limits hold within the batch; the rows run once the transaction commits.
   */
  function claimBatch(n: number): ClaimedRow[] {
    const rows: ClaimedRow[] = []
    try {
      options.db.transaction(() => {
        for (let i = 0; i < n; i++) {
          const row = claim()
          if (row === undefined) break
          rows.push(row)
          perKind.set(row.kind, (perKind.get(row.kind) ?? 0) + 1)
        }
      })()
    } catch (error) {
      for (const row of rows) perKind.set(row.kind, (perKind.get(row.kind) ?? 1) - 1)
      throw error
    }
    return rows
  }

  function pump(): void {
    if (pumping || stopped) return
    pumping = true
    try {
      while (!stopped && running.size < options.concurrency) {
        const room = options.concurrency - running.size
        if (options.claimBatch > 1 && room > 1) {
          const rows = claimBatch(Math.min(room, options.claimBatch))
          for (const row of rows) execute(row, true)
          if (rows.length === 0) break
          continue
        }
        const row = claim()
        if (row === undefined) break
        execute(row)
      }
    } catch (error) {
      options.log?.error({ err: error }, 'the job queue could not claim work')
    } finally {
      pumping = false
    }
  }

  function execute(row: ClaimedRow, counted = false): void {
    const kind = kinds.get(row.kind)
    const controller = new AbortController()
    if (!counted) perKind.set(row.kind, (perKind.get(row.kind) ?? 0) + 1)
    // A settling statement that fails (the database closed or locked past its busy timeout) must
    // not become an unhandled rejection, which would stop the process: the lease expires instead
    // and the run is retried.
    const settled = run(row, kind, controller).catch((error: unknown) => options.log?.error({ err: error, job: row.kind, runId: row.id }, 'a job run could not be settled')).finally(() => {
      running.delete(row.id)
      perKind.set(row.kind, (perKind.get(row.kind) ?? 1) - 1)
      wake()
    })
    running.set(row.id, { row, controller, settled })
  }

  async function run(row: ClaimedRow, kind: JobKind<unknown> | undefined, controller: AbortController): Promise<void> {
    if (kind === undefined) {
      // Retried, not dead at once: during a rolling deploy an older process may claim a kind only
      // the newer one defines. A kind removed for good ends dead after its attempts.
      return fail(row, new KoyaError('KL_JOB_UNKNOWN_KIND', `No job kind "${row.kind}" is defined in this process.`), true)
    }
    if (row.cancelRequested === 1) controller.abort(new KoyaError('KL_JOB_CANCELLED', `Run ${row.id} was cancelled.`))
    const timer = kind.timeoutMs == null ? undefined : setTimeout(() => controller.abort(new KoyaError('KL_JOB_TIMEOUT', `Run ${row.id} of "${row.kind}" took longer than ${kind.timeoutMs} ms.`)), kind.timeoutMs)
    const context: JobRunContext = {
      id: row.id,
      kind: row.kind,
      attempt: row.attempts,
      signal: controller.signal,
      progress(value) {
        statements.run(SQL.progress, [JSON.stringify(value ?? null), row.id, row.attempts])
      },
    }
    let result: unknown
    let failure: unknown
    let ok = false
    try {
      const payload: unknown = JSON.parse(row.payload)
      const value = kind.run(payload, context)
      // A synchronous handler (or one already settled) pays for no race; an async one is raced
      // against its signal, so a handler that ignores the signal still stops counting at timeout.
      result = isPromiseLike(value) ? await Promise.race([value, aborted(controller.signal)]) : value
      ok = true
    } catch (error) {
      failure = error
    } finally {
      clearTimeout(timer)
    }
    const reason: unknown = controller.signal.aborted ? controller.signal.reason : undefined
    if (controller.signal.aborted && isShutdown(reason)) {
      statements.run(SQL.release, [now(), row.id, row.attempts])
      return
    }
    if (reason instanceof KoyaError && reason.code === 'KL_JOB_CANCELLED') {
      statements.run(SQL.fail, ['cancelled', null, reason.message, now(), scrubbedPayload(kinds.get(row.kind), row.payload), row.id, row.attempts])
      return
    }
    if (ok && !controller.signal.aborted) {
      statements.run(SQL.complete, [now(), scrubbedPayload(kind, row.payload), resultText(result), row.id, row.attempts])
      return
    }
    // "Not now", not "failed": a KoyaError with `retryAfterSeconds` (503 KL_API_MAINTENANCE from a
    // write during maintenance mode) puts the run back for then, its attempt not counted.
    const later = reason === undefined && failure instanceof KoyaError ? failure.details?.retryAfterSeconds : undefined
    if (typeof later === 'number' && later > 0) {
      statements.run(SQL.defer, [now() + later * 1000, describe(failure), row.id, row.attempts])
      options.log?.warn({ job: row.kind, runId: row.id, code: (failure as KoyaError).code }, 'a job run was refused for now; it runs again later, its attempt not counted')
      return
    }
    fail(row, reason ?? failure, !(failure instanceof KoyaError && failure.details?.retry === false))
  }

  function fail(row: ClaimedRow, error: unknown, retryable: boolean): void {
    const policy = kinds.get(row.kind)?.retry ?? DEFAULT_RETRY
    const maxAttempts = row.maxAttempts ?? policy.attempts
    const message = describe(error)
    const at = now()
    if (retryable && row.attempts < maxAttempts) {
      statements.run(SQL.fail, ['pending', at + Math.max(backoffMs(policy, row.attempts), retryAfterOf(error)), message, null, null, row.id, row.attempts])
      options.log?.warn({ job: row.kind, runId: row.id, attempt: row.attempts, err: error }, 'a job run failed; it will be retried')
    } else {
      // The last attempt: nothing will read the payload's secrets again (an email's one-time link).
      statements.run(SQL.fail, ['dead', null, message, at, scrubbedPayload(kinds.get(row.kind), row.payload), row.id, row.attempts])
      options.log?.error({ job: row.kind, runId: row.id, attempt: row.attempts, err: error }, 'a job run failed for the last time (dead)')
    }
  }

  function maintain(): void {
    if (stopped) return
    try {
      const at = now()
      if (running.size > 0) {
        statements.run(SQL.heartbeat, [at + options.leaseMs, workerId])
        for (const { id } of statements.all(SQL.cancelRequestedOf, [workerId]) as { id: number }[]) {
          running.get(id)?.controller.abort(new KoyaError('KL_JOB_CANCELLED', `Run ${id} was cancelled.`))
        }
      }
      // Runs whose process died: their lease ran out without a heartbeat. The attempt counts (a
      // job that kills its process every time must end up dead, not loop for ever).
      for (const row of statements.all(SQL.expired, [at]) as ClaimedRow[]) {
        if (running.has(row.id)) continue
        fail(row, new KoyaError('KL_JOB_LEASE_EXPIRED', `Run ${row.id} of "${row.kind}" lost its lease (its process stopped).`), true)
      }
      if (at - lastPurge > 60_000) {
        lastPurge = at
        statements.run(SQL.purge, [at - options.retentionMs])
        if (limited.length > 0) statements.run(RATE_SQL.purge, [at])
      }
    } catch (error) {
      options.log?.error({ err: error }, 'the job queue maintenance failed')
    }
  }

  function wake(): void {
    if (stopped || wakeScheduled) return
    wakeScheduled = true
    setImmediate(() => {
      wakeScheduled = false
      pump()
    })
  }

  return {
    start() {
      if (!stopped) return
      stopped = false
      limited = [...kinds.values()].filter((kind) => kind.rateLimit?.kind != null || kind.rateLimit?.perKey != null)
      maintain()
      maintenanceTimer = setInterval(maintain, Math.max(50, Math.floor(options.leaseMs / 3)))
      maintenanceTimer.unref()
      // Work other processes enqueue, and delayed work coming due, is found by polling.
      pollTimer = setInterval(pump, options.pollMs)
      pollTimer.unref()
      wake()
    },
    wake,
    abort(id, reason) {
      running.get(id)?.controller.abort(reason)
    },
    async close(drainMs) {
      if (stopped) return
      stopped = true
      clearInterval(pollTimer)
      clearInterval(maintenanceTimer)
      const all = () => Promise.all([...running.values()].map((r) => r.settled))
      if (await within(all(), drainMs)) return
      // Still running after the drain: abort them; the runs go back to the queue as they were.
      for (const r of running.values()) r.controller.abort(new KoyaError('KL_JOB_CANCELLED', 'The server is shutting down.', { details: { shutdown: true } }))
      await within(all(), 1000)
    },
  }
}

/** A failure may ask not to be retried before some time (a webhook's `Retry-After`): `details.retryAfterMs`, at most a day. */
/**
 * The payload as stored once its row is finished (done, dead or cancelled): the kind's `scrub`
 * applied, or null (unchanged) when it has none or the payload cannot be scrubbed.
 */
export function scrubbedPayload(kind: JobKind<unknown> | undefined, payload: string): string | null {
  if (kind?.scrub === undefined) return null
  try {
    return JSON.stringify(kind.scrub(JSON.parse(payload)))
  } catch {
    return null
  }
}

function retryAfterOf(error: unknown): number {
  const wait = error instanceof KoyaError ? error.details?.retryAfterMs : undefined
  return typeof wait === 'number' && wait > 0 ? Math.min(wait, 86_400_000) : 0
}

/** What a run returned, as stored: JSON, or null when it is not JSON (a BigInt, a cycle, a function). */
function resultText(result: unknown): string | null {
  try {
    return JSON.stringify(result ?? null) ?? null
  } catch {
    return null
  }
}

function isShutdown(reason: unknown): boolean {
  return reason instanceof KoyaError && reason.details?.shutdown === true
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason)
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true })
  })
}

async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)))
  try {
    return await Promise.race([promise.then(() => true as const), timeout])
  } finally {
    clearTimeout(timer)
  }
}

function describe(error: unknown): string {
  if (error instanceof KoyaError) return `${error.code}: ${error.message}`
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 2000)
  return String(error).slice(0, 2000)
}
