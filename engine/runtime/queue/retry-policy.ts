/**
 * How a failed run is retried: `attempts` runs in all (the first included), waiting about
 * `initialDelayMs` after the first failure and twice as long after each next one, never more than
 * `maxDelayMs`. The wait is drawn between half and all of that (equal jitter), so runs that
 * failed together (a provider down) do not all retry in the same millisecond.
 */
export interface RetryPolicy {
  readonly attempts: number
  readonly initialDelayMs: number
  readonly maxDelayMs: number
  /**
   * Fixed waits instead of doubling: the wait after the n-th failed run is `schedule[n - 1]` (the
   * last entry repeats), drawn within ±10 % of it. Webhooks use the Standard Webhooks schedule.
   */
  readonly schedule?: readonly number[]
}

/**
 * The queue's default: 6 runs over about 20 minutes (10 s, 20 s, 40 s, 80 s, 160 s + jitter), so a
 * provider's short outage is ridden out and a broken job is dead within the hour.
 */
export const DEFAULT_RETRY: RetryPolicy = Object.freeze({ attempts: 6, initialDelayMs: 10_000, maxDelayMs: 60 * 60_000 })

/**
 * A policy with the given fields over the defaults (null or absent: the default's).
 *
 * @example
 * retryPolicy({ attempts: 3, initialDelayMs: null, maxDelayMs: null }) // { attempts: 3, initialDelayMs: 10000, maxDelayMs: 3600000 }
 */
export function retryPolicy(given: { readonly attempts?: number | null; readonly initialDelayMs?: number | null; readonly maxDelayMs?: number | null } | null | undefined, defaults: RetryPolicy = DEFAULT_RETRY): RetryPolicy {
  const attempts = Math.max(1, given?.attempts ?? defaults.attempts)
  const initialDelayMs = Math.max(0, given?.initialDelayMs ?? defaults.initialDelayMs)
  const maxDelayMs = Math.max(initialDelayMs, given?.maxDelayMs ?? Math.max(defaults.maxDelayMs, initialDelayMs))
  return { attempts, initialDelayMs, maxDelayMs }
}

/**
 * The wait before the next run after `attempt` runs failed (attempt ≥ 1).
 *
 * @example
 * backoffMs({ attempts: 5, initialDelayMs: 500, maxDelayMs: 10_000 }, 3) // between 1000 and 2000
 */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  if (policy.schedule !== undefined && policy.schedule.length > 0) {
    const wait = policy.schedule[Math.min(Math.max(attempt - 1, 0), policy.schedule.length - 1)]!
    return Math.round(wait * (0.9 + random() * 0.2))
  }
  const exponential = policy.initialDelayMs * 2 ** Math.min(Math.max(attempt - 1, 0), 40)
  const capped = Math.min(policy.maxDelayMs, exponential)
  return Math.round(capped / 2 + random() * (capped / 2))
}
