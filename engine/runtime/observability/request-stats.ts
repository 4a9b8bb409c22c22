import type { FastifyRequest } from 'fastify'

/**
 * What the server keeps of its requests, for `/metrics` and the admin API's monitor: per route
 * (method and route pattern), counts by status, a latency histogram since start and one per
 * minute for the last hour; and the last requests, with their ids. Recording a request is O(1)
 * and allocates nothing: counters and typed arrays indexed by the route's own record (found
 * through Fastify's route context, not a lookup by name) and the current minute.
 */

/** Upper bounds of the latency buckets, in milliseconds (Prometheus gets seconds). */
export const LATENCY_BOUNDS_MS = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] as const
const BUCKETS = LATENCY_BOUNDS_MS.length + 1
const WINDOW_MINUTES = 60

export interface RouteStats {
  readonly method: string
  /** The route pattern (`/api/tasks/:id`), or `unmatched` for requests no route served. */
  readonly route: string
  count: number
  sumMs: number
  /** Requests by status code. */
  readonly statuses: Map<number, number>
  /** Requests per latency bucket (not cumulative; the last is over the highest bound). */
  readonly buckets: Float64Array
  /** The minute (epoch minutes) each window slot holds. */
  readonly minutes: Float64Array
  /** Per window slot: requests, 5xx answers, then the buckets. */
  readonly window: Float64Array
}

const SLOT = 2 + BUCKETS

export interface RecentRequest {
  readonly at: string
  readonly requestId: string
  readonly method: string
  readonly url: string
  readonly route: string
  readonly status: number
  readonly durationMs: number
  readonly userId: string | null
}

export interface RequestStats {
  /** The route record of the request (made on the route's first request). */
  routeOf(request: FastifyRequest): RouteStats
  record(route: RouteStats, requestId: string, url: string, status: number, durationMs: number, userId: string | undefined): void
  routes(): readonly RouteStats[]
  /** The last requests, newest first. */
  recent(limit: number): RecentRequest[]
  readonly startedAt: number
}

const UNMATCHED = 'unmatched'
const statsKey = Symbol('koya.routeStats')
let routeContextKey: symbol | undefined

/**
 * Fastify keeps each request's route context (its config: method and url pattern) under a symbol
 * it does not export; the public getter (`request.routeOptions`) builds a new object with a dozen
 * fields on every read. The symbol is found once, by its description, on the first request.
 */
function contextOf(request: FastifyRequest): { config?: { url?: string; method?: string; [statsKey]?: RouteStats } } | undefined {
  if (routeContextKey === undefined) routeContextKey = Object.getOwnPropertySymbols(request).find((symbol) => symbol.description === 'fastify.context')
  return routeContextKey === undefined ? undefined : (request as unknown as Record<symbol, ReturnType<typeof contextOf>>)[routeContextKey]
}

function newRoute(method: string, route: string): RouteStats {
  return { method, route, count: 0, sumMs: 0, statuses: new Map(), buckets: new Float64Array(BUCKETS), minutes: new Float64Array(WINDOW_MINUTES).fill(-1), window: new Float64Array(WINDOW_MINUTES * SLOT) }
}

/**
 * @example
 * const stats = createRequestStats(() => Date.now())
 * app.addHook('onResponse', (request, reply, done) => { stats.record(stats.routeOf(request), request.id, request.url, reply.statusCode, reply.elapsedTime, undefined); done() })
 */
export function createRequestStats(now: () => number = Date.now, recentCapacity = 500): RequestStats {
  const all: RouteStats[] = []
  const unmatched = new Map<string, RouteStats>()
  // The last requests, as parallel arrays: recording one stores references and numbers.
  const at = new Float64Array(recentCapacity)
  const status = new Uint16Array(recentCapacity)
  const duration = new Float64Array(recentCapacity)
  const ids = new Array<string>(recentCapacity)
  const urls = new Array<string>(recentCapacity)
  const users = new Array<string | undefined>(recentCapacity)
  const routesOf = new Array<RouteStats>(recentCapacity)
  let recorded = 0
  return {
    startedAt: now(),
    routeOf(request) {
      const config = contextOf(request)?.config
      if (config?.url !== undefined) {
        let stats = config[statsKey]
        if (stats === undefined) {
          stats = newRoute(request.method, config.url)
          config[statsKey] = stats
          all.push(stats)
        }
        return stats
      }
      let stats = unmatched.get(request.method)
      if (stats === undefined) {
        stats = newRoute(request.method, UNMATCHED)
        unmatched.set(request.method, stats)
        all.push(stats)
      }
      return stats
    },
    record(route, requestId, url, code, ms, userId) {
      const time = now()
      route.count++
      route.sumMs += ms
      route.statuses.set(code, (route.statuses.get(code) ?? 0) + 1)
      let bucket = 0
      while (bucket < LATENCY_BOUNDS_MS.length && ms > LATENCY_BOUNDS_MS[bucket]!) bucket++
      route.buckets[bucket]!++
      const minute = Math.floor(time / 60_000)
      const slot = minute % WINDOW_MINUTES
      const base = slot * SLOT
      if (route.minutes[slot] !== minute) {
        route.minutes[slot] = minute
        route.window.fill(0, base, base + SLOT)
      }
      route.window[base]!++
      if (code >= 500) route.window[base + 1]!++
      route.window[base + 2 + bucket]!++
      const i = recorded % recentCapacity
      at[i] = time
      status[i] = code
      duration[i] = ms
      ids[i] = requestId
      urls[i] = url
      users[i] = userId
      routesOf[i] = route
      recorded++
    },
    routes: () => all,
    recent(limit) {
      const out: RecentRequest[] = []
      for (let n = recorded - 1; n >= Math.max(0, recorded - recentCapacity) && out.length < limit; n--) {
        const i = n % recentCapacity
        const route = routesOf[i]!
        out.push({ at: new Date(at[i]!).toISOString(), requestId: ids[i]!, method: route.method, url: urls[i]!, route: route.route, status: status[i]!, durationMs: duration[i]!, userId: users[i] ?? null })
      }
      return out
    },
  }
}

/** One route over the last hour: rate, error rate and latency percentiles (from the buckets). */
export interface RouteSummary {
  readonly method: string
  readonly route: string
  readonly requests: number
  readonly perMinute: number
  readonly errorRate: number
  readonly p50Ms: number | null
  readonly p95Ms: number | null
  readonly p99Ms: number | null
}

/**
 * The last hour of a route, summed over its minute windows.
 *
 * @example
 * summarizeRoute(stats, Date.now()).p95Ms
 */
export function summarizeRoute(stats: RouteStats, time: number): RouteSummary {
  const current = Math.floor(time / 60_000)
  const buckets = new Float64Array(BUCKETS)
  let requests = 0
  let errors = 0
  for (let slot = 0; slot < WINDOW_MINUTES; slot++) {
    const minute = stats.minutes[slot]!
    if (minute < 0 || current - minute >= WINDOW_MINUTES) continue
    const base = slot * SLOT
    requests += stats.window[base]!
    errors += stats.window[base + 1]!
    for (let b = 0; b < BUCKETS; b++) buckets[b]! += stats.window[base + 2 + b]!
  }
  return {
    method: stats.method,
    route: stats.route,
    requests,
    perMinute: Math.round((requests / WINDOW_MINUTES) * 1000) / 1000,
    errorRate: requests === 0 ? 0 : errors / requests,
    p50Ms: quantile(buckets, requests, 0.5),
    p95Ms: quantile(buckets, requests, 0.95),
    p99Ms: quantile(buckets, requests, 0.99),
  }
}

/** A quantile from bucket counts, interpolated inside its bucket (as Prometheus's histogram_quantile). */
export function quantile(buckets: Float64Array, total: number, q: number): number | null {
  if (total === 0) return null
  const rank = q * total
  let seen = 0
  for (let b = 0; b < buckets.length; b++) {
    const count = buckets[b]!
    if (seen + count >= rank && count > 0) {
      const lower = b === 0 ? 0 : LATENCY_BOUNDS_MS[b - 1]!
      // Over the highest bound nothing is known but the bound.
      if (b >= LATENCY_BOUNDS_MS.length) return lower
      const upper = LATENCY_BOUNDS_MS[b]!
      return Math.round((lower + ((rank - seen) / count) * (upper - lower)) * 100) / 100
    }
    seen += count
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!
}
