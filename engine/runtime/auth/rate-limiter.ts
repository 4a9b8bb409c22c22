import { KoyaError } from '../../shared/errors.ts'

/** At most `max` hits per `windowSeconds` for one key. */
export interface RateLimit {
  readonly max: number
  readonly windowSeconds: number
}

export interface RateLimiter {
  /**
   * Count a hit for `key` under `name`; over the limit, refuse.
   *
   * @throws KoyaError KL_AUTH_RATE_LIMITED with `details.retryAfterSeconds`
   */
  hit(name: string, key: string, limit: RateLimit): void
  /** Refuse if `key` is already over the limit, without counting a hit. */
  check(name: string, key: string, limit: RateLimit): void
  /** Forget `key`'s hits (a successful login clears its failures). */
  reset(name: string, key: string): void
}

const MAX_KEYS = 100_000

/**
 * Fixed-window counters in memory, on the server's clock (tests move it instead of sleeping).
 * One process serves a KoyaLite app, so memory is the shared state; a restart forgets counts,
 * which only gives an attacker one fresh window.
 *
 * @example
 * const limiter = createRateLimiter(() => new Date())
 * limiter.hit('login-ip', request.ip, { max: 30, windowSeconds: 600 })
 */
export function createRateLimiter(clock: () => Date): RateLimiter {
  const windows = new Map<string, { start: number; hits: number }>()
  const current = (id: string, limit: RateLimit, now: number) => {
    const window = windows.get(id)
    if (window && now - window.start < limit.windowSeconds * 1000) return window
    if (window) windows.delete(id)
    return undefined
  }
  const refuse = (start: number, limit: RateLimit, now: number): never => {
    const retryAfterSeconds = Math.max(1, Math.ceil((start + limit.windowSeconds * 1000 - now) / 1000))
    throw new KoyaError('KL_AUTH_RATE_LIMITED', `Too many attempts; try again in ${retryAfterSeconds} seconds.`, { details: { retryAfterSeconds } })
  }
  return {
    hit(name, key, limit) {
      const now = clock().getTime()
      const id = `${name}\0${key}`
      const window = current(id, limit, now)
      if (window === undefined) {
        // Bound memory under a flood of distinct keys: drop the oldest windows first.
        if (windows.size >= MAX_KEYS) windows.delete(windows.keys().next().value!)
        windows.set(id, { start: now, hits: 1 })
        return
      }
      if (window.hits >= limit.max) refuse(window.start, limit, now)
      window.hits++
    },
    check(name, key, limit) {
      const now = clock().getTime()
      const window = current(`${name}\0${key}`, limit, now)
      if (window && window.hits >= limit.max) refuse(window.start, limit, now)
    },
    reset(name, key) {
      windows.delete(`${name}\0${key}`)
    },
  }
}
