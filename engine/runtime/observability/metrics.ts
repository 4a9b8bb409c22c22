import { statSync } from 'node:fs'
import { BlockList, isIP } from 'node:net'
import type client from 'prom-client'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import type { Observability } from './observability.ts'
import { LATENCY_BOUNDS_MS, type RouteStats } from './request-stats.ts'

/**
 * `/metrics` in the Prometheus text format, printed by prom-client from a registry of this
 * server's own. The request and statement figures are read from the statistics the request hook
 * and the statement cache keep (runtime/observability), at scrape time: serving a request does
 * no metric work of its own beyond those counters. SQLite, queue and webhook figures are read
 * from the database at scrape time. Made on the first scrape, so a server never scraped pays
 * nothing (not even prom-client's event-loop monitor).
 */
export interface MetricsRegistry {
  /** The metrics as text, and its content type. */
  scrape(): Promise<{ contentType: string; text: string }>
}

type Labels = Record<string, string | number>
interface Sample {
  readonly value: number
  readonly labels?: Labels
  readonly metricName?: string
}

/** A metric whose samples are computed at scrape time (prom-client's metric object shape). */
function snapshotMetric(name: string, help: string, type: 'counter' | 'gauge' | 'histogram', samples: () => Sample[]) {
  return { name, help, type, aggregator: 'sum', get: async () => ({ name, help, type, aggregator: 'sum', values: samples() }) }
}

/** Auth outcomes, read from the requests to the auth routes (no hook inside auth). */
const AUTH_EVENTS: readonly { readonly event: string; readonly route: string; readonly status: (code: number) => boolean }[] = [
  { event: 'signup', route: '/auth/signup', status: (code) => code >= 200 && code < 300 },
  { event: 'login', route: '/auth/login', status: (code) => code >= 200 && code < 300 },
  { event: 'login_failure', route: '/auth/login', status: (code) => code === 400 || code === 401 || code === 403 },
  { event: 'lockout', route: '/auth/login', status: (code) => code === 429 },
  { event: 'password_reset_request', route: '/auth/password/forgot', status: (code) => code >= 200 && code < 300 },
  { event: 'impersonation', route: '/auth/impersonate', status: (code) => code >= 200 && code < 300 },
]

/**
 * @example
 * const metrics = createMetricsRegistry(runtime.observability, runtime.db)
 * reply.type((await metrics.scrape()).contentType)
 */
export function createMetricsRegistry(observability: Observability, db: SqliteDatabase): MetricsRegistry {
  // prom-client is loaded with the first scrape, not at start (issue 21: idle memory).
  let registry: Promise<client.Registry> | undefined
  const make = async () => {
    const { default: client } = await import('prom-client')
    const made = new client.Registry()
    client.collectDefaultMetrics({ register: made, eventLoopMonitoringPrecision: 20 })
    const routes = () => observability.requests.routes()
    const metrics = [
      snapshotMetric('koya_http_requests_total', 'HTTP requests answered, by method, route pattern and status.', 'counter', () =>
        routes().flatMap((route) => [...route.statuses].map(([status, value]) => ({ value, labels: { method: route.method, route: route.route, status } }))),
      ),
      snapshotMetric('koya_http_request_duration_seconds', 'Time to answer HTTP requests, by method and route pattern.', 'histogram', () => routes().flatMap(histogramSamples)),
      snapshotMetric('koya_auth_events_total', 'Auth events: sign-ups, logins, failed logins, lockouts (429 on login), password-reset requests, impersonations.', 'counter', () =>
        AUTH_EVENTS.map(({ event, route, status }) => ({
          value: routes()
            .filter((r) => r.method === 'POST' && r.route === route)
            .reduce((sum, r) => sum + [...r.statuses].filter(([code]) => status(code)).reduce((n, [, count]) => n + count, 0), 0),
          labels: { event },
        })),
      ),
      snapshotMetric('koya_db_statements_total', 'SQL statements the data layer ran.', 'counter', () => [{ value: observability.statements.total.count }]),
      snapshotMetric('koya_db_statement_seconds_total', 'Time spent running the data layer\'s SQL statements.', 'counter', () => [{ value: observability.statements.total.totalMs / 1000 }]),
      ...sqliteMetrics(db),
      snapshotMetric('koya_queue_jobs', 'Rows of the durable queue by kind and status: pending and running are its depth; done, dead and cancelled its outcomes.', 'gauge', () =>
        rows<{ kind: string; status: string; n: number }>(db, 'SELECT "kind", "status", COUNT(*) AS "n" FROM "_koya_jobs" GROUP BY "kind", "status"').map((row) => ({ value: row.n, labels: { kind: row.kind, status: row.status } })),
      ),
      snapshotMetric('koya_webhook_deliveries_total', 'Webhook delivery attempts by webhook and outcome.', 'counter', () =>
        rows<{ webhook: string; ok: number; n: number }>(db, 'SELECT "webhook", "ok", COUNT(*) AS "n" FROM "_koya_webhook_deliveries" GROUP BY "webhook", "ok"').map((row) => ({ value: row.n, labels: { webhook: row.webhook, outcome: row.ok === 1 ? 'ok' : 'failed' } })),
      ),
    ]
    for (const metric of metrics) made.registerMetric(metric as unknown as client.Metric)
    return made
  }
  return {
    async scrape() {
      const ready = await (registry ??= make())
      return { contentType: ready.contentType, text: await ready.metrics() }
    },
  }
}

/** A route's histogram: cumulative buckets in seconds, then its sum and count. */
function histogramSamples(route: RouteStats): Sample[] {
  const labels = { method: route.method, route: route.route }
  const out: Sample[] = []
  let cumulative = 0
  for (let b = 0; b < LATENCY_BOUNDS_MS.length; b++) {
    cumulative += route.buckets[b]!
    out.push({ metricName: 'koya_http_request_duration_seconds_bucket', value: cumulative, labels: { ...labels, le: LATENCY_BOUNDS_MS[b]! / 1000 } })
  }
  out.push({ metricName: 'koya_http_request_duration_seconds_bucket', value: route.count, labels: { ...labels, le: '+Inf' } })
  out.push({ metricName: 'koya_http_request_duration_seconds_sum', value: route.sumMs / 1000, labels })
  out.push({ metricName: 'koya_http_request_duration_seconds_count', value: route.count, labels })
  return out
}

function sqliteMetrics(db: SqliteDatabase) {
  return [
    snapshotMetric('koya_sqlite_size_bytes', 'Size of the database file and of its write-ahead log.', 'gauge', () => {
      const { file, wal } = sqliteFileSizes(db)
      return [{ value: file, labels: { file: 'db' } }, { value: wal, labels: { file: 'wal' } }]
    }),
    snapshotMetric('koya_sqlite_pages', 'Pages of the database: in use and free.', 'gauge', () => [
      { value: pragma(db, 'page_count'), labels: { kind: 'total' } },
      { value: pragma(db, 'freelist_count'), labels: { kind: 'free' } },
    ]),
    snapshotMetric('koya_sqlite_wal_checkpoint', 'A passive checkpoint at scrape time: frames in the WAL, frames checkpointed, and whether it was blocked (busy).', 'gauge', () => {
      const result = walCheckpoint(db)
      return result === undefined ? [] : [{ value: result.log, labels: { frames: 'log' } }, { value: result.checkpointed, labels: { frames: 'checkpointed' } }, { value: result.busy, labels: { frames: 'busy' } }]
    }),
  ]
}

/** Bytes of the database file and its `-wal` (0 for an in-memory database or no WAL yet). */
export function sqliteFileSizes(db: SqliteDatabase): { file: number; wal: number } {
  const size = (path: string) => {
    try {
      return statSync(path).size
    } catch {
      return 0
    }
  }
  if (db.memory || db.name === '') return { file: 0, wal: 0 }
  return { file: size(db.name), wal: size(`${db.name}-wal`) }
}

export function pragma(db: SqliteDatabase, name: string): number {
  return Number(db.pragma(name, { simple: true }) ?? 0)
}

/** `PRAGMA wal_checkpoint(PASSIVE)`: copies what it can without waiting for readers or writers. */
function walCheckpoint(db: SqliteDatabase): { busy: number; log: number; checkpointed: number } | undefined {
  if (db.memory) return undefined
  const [row] = db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[]
  return row
}

/** Rows of a system table that may not exist in this app (webhooks without webhooks). */
function rows<R>(db: SqliteDatabase, sql: string): R[] {
  try {
    return db.prepare(sql).all() as R[]
  } catch {
    return []
  }
}

/**
 * Who may scrape without the service key: `KOYA_METRICS_ALLOW`, addresses and CIDR ranges
 * separated by commas (`127.0.0.1,10.0.0.0/8`). Empty: nobody.
 *
 * @example
 * scraperAllowList('10.0.0.0/8').check('10.1.2.3', 'ipv4') // true
 */
export function scraperAllowList(value: string | undefined, onInvalid: (entry: string) => void = () => {}): BlockList {
  const list = new BlockList()
  for (const part of (value ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const [address, prefix] = part.split('/')
    const family = isIP(address!) === 6 ? 'ipv6' : 'ipv4'
    const bits = Number(prefix)
    if (isIP(address!) === 0 || (prefix !== undefined && (!Number.isInteger(bits) || bits < 0 || bits > (family === 'ipv6' ? 128 : 32)))) {
      onInvalid(part)
      continue
    }
    if (prefix === undefined) list.addAddress(address!, family)
    else list.addSubnet(address!, bits, family)
  }
  return list
}

/** Whether the client address is on the list (an IPv4 address mapped into IPv6 counts as IPv4). */
export function allowedScraper(list: BlockList, ip: string): boolean {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip
  return isIP(v4) === 4 ? list.check(v4, 'ipv4') : isIP(ip) === 6 ? list.check(ip, 'ipv6') : false
}
