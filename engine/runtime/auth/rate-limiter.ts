import { isIPv6 } from 'node:net'
import { KoyaError } from '../../shared/errors.ts'

/** At most `max` hits per `windowSeconds` for one key. */
export interface RateLimit {
  readonly max: number
  readonly windowSeconds: number
}

export interface RateLimiter {
  /**
   * Count a hit of the client address `ip` under `name`; over the limit, refuse. An IPv6
   * address counts for its /64 (one subscriber's network), an IPv4-mapped one as the IPv4.
   *
   * @throws KoyaError KL_AUTH_RATE_LIMITED with `details.retryAfterSeconds`
   */
  hitAddress(name: string, ip: string, limit: RateLimit): void
  /**
   * Count a hit for an account (`key`: the normalized email) under `name`; over the limit, refuse.
   * Also refuses while the table of `name` is full of live windows (see createRateLimiter).
   *
   * @throws KoyaError KL_AUTH_RATE_LIMITED with `details.retryAfterSeconds`
   */
  hitAccount(name: string, key: string, limit: RateLimit): void
  /** Forget an account's hits under `name` (a successful login clears its attempts). */
  resetAccount(name: string, key: string): void
  /** The hits an account has under `name` in its live window (0 without one); counts nothing. */
  accountHits(name: string, key: string, limit: RateLimit): number
}

export interface RateLimiterOptions {
  /** Most windows kept per limit name. Default 100,000. */
  readonly maxKeysPerName?: number
}

const MAX_KEYS_PER_NAME = 100_000

interface Window {
  readonly start: number
  hits: number
}

/**
 * Fixed-window counters in memory, on the server's clock (tests move it instead of sleeping).
 * One process serves a KoyaLite app, so memory is the shared state; a restart forgets counts,
 * which only gives an attacker one fresh window.
 *
 * Each limit name has its own table, so a flood of one kind of key cannot push out another's
 * windows. A full table first drops its expired windows; then an address table forgets its
 * oldest address (which only gives that address a fresh window), while an account table refuses
 * the new account instead: forgetting a live account window would lift that account's lockout,
 * which is what a flood of made-up accounts would be for.
 *
 * @example
 * const limiter = createRateLimiter(() => new Date())
 * limiter.hitAddress('login-ip', request.ip, { max: 30, windowSeconds: 600 })
 */
export function createRateLimiter(clock: () => Date, options: RateLimiterOptions = {}): RateLimiter {
  const maxKeys = options.maxKeysPerName ?? MAX_KEYS_PER_NAME
  const addressTables = new Map<string, Map<string, Window>>()
  const accountTables = new Map<string, Map<string, Window>>()
  const tableOf = (tables: Map<string, Map<string, Window>>, name: string) => {
    let table = tables.get(name)
    if (table === undefined) tables.set(name, (table = new Map()))
    return table
  }

  const hit = (table: Map<string, Window>, key: string, limit: RateLimit, whenFull: (table: Map<string, Window>, span: number, now: number) => void) => {
    const now = clock().getTime()
    const span = limit.windowSeconds * 1000
    const window = table.get(key)
    if (window !== undefined && now - window.start < span) {
      if (window.hits >= limit.max) refuse(window.start + span, now)
      window.hits++
      return
    }
    // A new window is appended, so a table stays ordered by window start (one name, one span):
    // the expired windows are the ones at the front.
    table.delete(key)
    if (table.size >= maxKeys) {
      for (const [oldKey, old] of table) {
        if (now - old.start < span) break
        table.delete(oldKey)
      }
      if (table.size >= maxKeys) whenFull(table, span, now)
    }
    table.set(key, { start: now, hits: 1 })
  }

  return {
    hitAddress(name, ip, limit) {
      hit(tableOf(addressTables, name), addressKey(ip), limit, (table) => {
        table.delete(table.keys().next().value!)
      })
    },
    hitAccount(name, key, limit) {
      hit(tableOf(accountTables, name), key, limit, (table, span, now) => refuse(table.values().next().value!.start + span, now))
    },
    resetAccount(name, key) {
      accountTables.get(name)?.delete(key)
    },
    accountHits(name, key, limit) {
      const window = accountTables.get(name)?.get(key)
      return window !== undefined && clock().getTime() - window.start < limit.windowSeconds * 1000 ? window.hits : 0
    },
  }
}

function refuse(end: number, now: number): never {
  const retryAfterSeconds = Math.max(1, Math.ceil((end - now) / 1000))
  throw new KoyaError('KL_AUTH_RATE_LIMITED', `Too many attempts; try again in ${retryAfterSeconds} seconds.`, { details: { retryAfterSeconds } })
}

/**
 * The key an address is counted under: an IPv4 address as it is; an IPv6 address by its /64,
 * since one subscriber gets a whole /64 and could otherwise take a fresh window per request;
 * an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, a dual-stack socket) as its IPv4.
 *
 * @example
 * addressKey('2001:db8:1:2:aa::1') // '2001:db8:1:2::/64'
 */
export function addressKey(ip: string): string {
  if (!isIPv6(ip)) return ip
  const groups = hextetsOf(ip)
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 255, groups[7]! >> 8, groups[7]! & 255].join('.')
  }
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail and a zone dropped). */
function hextetsOf(ip: string): number[] {
  let text = ip.split('%')[0]!
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number]
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)))
  const [head, tail] = text.split('::') as [string, string | undefined]
  if (tail === undefined) return parse(head)
  const left = parse(head)
  const right = parse(tail)
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right]
}
