import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { ProjectIR, SettingIR } from '../../ir/project-ir.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import type { Env } from '../auth/auth-settings.ts'
import type { AuditEntry } from '../auth/audit-log.ts'
import { pragma, sqliteFileSizes } from './metrics.ts'
import type { StatementStats } from './statement-stats.ts'

/**
 * The admin API's performance and configuration views, computed when asked.
 */

export interface PerformanceView {
  /** Figures now; the event-loop and CPU figures cover the time since the previous read. */
  read(): Record<string, unknown>
  close(): void
}

/**
 * @example
 * const view = createPerformanceView(db, statements)
 * view.read().eventLoop
 */
export function createPerformanceView(db: SqliteDatabase, statements: StatementStats): PerformanceView {
  // Started on the first read: a server nobody looks at pays nothing.
  let loop: ReturnType<typeof monitorEventLoopDelay> | undefined
  let lastCpu = process.cpuUsage()
  let lastAt = performance.now()
  return {
    read() {
      if (loop === undefined) {
        loop = monitorEventLoopDelay({ resolution: 10 })
        loop.enable()
      }
      const ms = (ns: number) => Math.round((ns / 1e6) * 1000) / 1000
      const eventLoop = { meanMs: Number.isNaN(loop.mean) ? 0 : ms(loop.mean), p50Ms: ms(loop.percentile(50)), p99Ms: ms(loop.percentile(99)), maxMs: ms(loop.max) }
      loop.reset()
      const cpu = process.cpuUsage()
      const now = performance.now()
      const usedMicros = cpu.user - lastCpu.user + (cpu.system - lastCpu.system)
      const share = now > lastAt ? usedMicros / 1000 / (now - lastAt) : 0
      lastCpu = cpu
      lastAt = now
      const memory = process.memoryUsage()
      const { file, wal } = sqliteFileSizes(db)
      return {
        eventLoop,
        memory: { rss: memory.rss, heapUsed: memory.heapUsed, heapTotal: memory.heapTotal, external: memory.external },
        cpu: { userMicros: cpu.user, systemMicros: cpu.system, shareOfOneCore: Math.round(share * 1000) / 1000 },
        sqlite: {
          fileBytes: file,
          walBytes: wal,
          pageSize: pragma(db, 'page_size'),
          pageCount: pragma(db, 'page_count'),
          freePages: pragma(db, 'freelist_count'),
          cacheSize: pragma(db, 'cache_size'),
          walAutocheckpoint: pragma(db, 'wal_autocheckpoint'),
          journalMode: String(db.pragma('journal_mode', { simple: true })),
        },
        statements: {
          count: statements.total.count,
          totalMs: Math.round(statements.total.totalMs * 1000) / 1000,
          slowest: statements.slowest(20).map((s) => ({ sql: s.sql, count: s.count, totalMs: round(s.totalMs), meanMs: round(s.totalMs / s.count), maxMs: round(s.maxMs) })),
        },
      }
    },
    close() {
      loop?.disable()
    },
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000

/** Environment variables the runtime itself reads, with what reads them. */
const RUNTIME_ENV: readonly (readonly [string, string])[] = [
  ['KOYA_SERVICE_KEY', 'auth: the service key'],
  ['KOYA_PUBLIC_URL', 'auth: links and cookies'],
  ['KOYA_TRUSTED_ORIGINS', 'auth: CORS and CSRF'],
  ['KOYA_TRUST_PROXY', 'server: client addresses behind a proxy'],
  ['KOYA_REALTIME_PRESENCE_TTL_MS', 'realtime: how long a dead process\'s channel members stay listed'],
  ['KOYA_DB', 'cli: the database file'],
  ['KOYA_MAINTENANCE', 'meta: maintenance mode at start'],
  ['KOYA_LOKI_URL', 'observability: log shipping to Loki'],
  ['KOYA_METRICS_ALLOW', 'observability: scrapers allowed at /metrics'],
  ['OTEL_EXPORTER_OTLP_ENDPOINT', 'observability: trace export over OTLP/HTTP'],
  ['OTEL_EXPORTER_OTLP_HEADERS', 'observability: headers of the trace export (an ingestion key)'],
  ['OTEL_SERVICE_NAME', 'observability: the service name of the traces'],
  ['OTEL_TRACES_SAMPLER', 'observability: which requests are traced (always_on, always_off, traceidratio)'],
  ['OTEL_TRACES_SAMPLER_ARG', 'observability: the share of requests traced with traceidratio (0 to 1)'],
  ['KOYA_TRACE_URL', 'observability: the trace viewer the API monitor links to ({traceId} in the URL)'],
  ['KOYA_POSTHOG_KEY', 'observability: product analytics'],
  ['KOYA_POSTHOG_HOST', 'observability: the PostHog host (default https://us.i.posthog.com)'],
  ['KOYA_POSTHOG_SALT', 'observability: salt of the hashed user ids sent to PostHog'],
  ['LOG_LEVEL', 'server: log level'],
  ['NODE_ENV', 'server: environment name'],
]
export const SECRET_NAME = /(SECRET|TOKEN|PASSWORD|KEY)/

/**
 * The configuration the server runs, for admins: `koyalite.ts` resolved (tables summarized, a
 * setting written as a literal in a secret's place shown as `[set]`), every environment variable
 * read and whether it is set (never its value), the roles and the access matrix.
 *
 * @example
 * effectiveConfig(model, process.env, 'production').env.find((e) => e.name === 'KOYA_SERVICE_KEY')?.set
 */
export function effectiveConfig(model: ProjectIR, env: Env, environment: string) {
  const names = new Map<string, string>(RUNTIME_ENV.map(([name, usedBy]) => [name, usedBy]))
  const { tables: _tables, policies: _policies, version: _version, ...rest } = model
  const config = settingsOf(rest, '', names)
  return {
    app: model.name,
    environment,
    config: { ...(config as Record<string, unknown>), tables: model.tables.map((table) => ({ name: table.name, columns: table.columns.length, isUsers: table.isUsers })) },
    env: [...names].sort(([a], [b]) => a.localeCompare(b)).map(([name, usedBy]) => ({ name, set: (env[name] ?? '') !== '', secret: SECRET_NAME.test(name), usedBy })),
    roles: [...model.roles],
    access: model.tables.flatMap((table) => {
      const policies = model.policies.find((p) => p.table === table.name)
      return (['read', 'create', 'update', 'delete'] as const).map((operation) => {
        const rule = policies?.[operation] ?? null
        const source = rule === null ? null : 'using' in rule ? rule.using.source : rule.source
        return { table: table.name, operation, policy: source }
      })
    }),
  }
}

/** The IR as JSON, with each `{ env }` setting's name collected and each literal secret hidden. */
function settingsOf(value: unknown, key: string, names: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => settingsOf(item, key, names))
  if (typeof value !== 'object' || value === null) return value
  const setting = value as SettingIR
  if ('env' in setting && typeof setting.env === 'string' && Object.keys(setting).length === 1) {
    if (!names.has(setting.env)) names.set(setting.env, `config: ${key}`)
    return { env: setting.env }
  }
  if ('value' in setting && Object.keys(setting).length === 1 && /secret|key|password|token/i.test(key)) return { value: '[set]' }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, settingsOf(v, key === '' ? k : `${key}.${k}`, names)]))
}

/** Audit actions that concern security: the dashboard marks them. */
export const SECURITY_ACTIONS: ReadonlySet<string> = new Set([
  'impersonation.start',
  'impersonation.stop',
  'impersonation.write',
  'role.grant',
  'role.revoke',
  'sessions.revoke',
  'session.revoke',
  'user.password-reset',
  'login.failure',
  'login.lockout',
  'user.delete',
])

/** Whether an audit entry is a security event (failed logins, lockouts, role changes, impersonations, sessions revoked). */
export function isSecurityEvent(action: string): boolean {
  return SECURITY_ACTIONS.has(action) || action.startsWith('impersonation.')
}

/**
 * The audit entries as CSV (RFC 4180: quoted fields, CRLF), with a `security` column.
 *
 * @example
 * auditCsv(audit.query({ limit: 100 }))
 */
export function auditCsv(entries: readonly AuditEntry[]): string {
  const header = ['id', 'at', 'actorId', 'subjectId', 'action', 'security', 'reason', 'requestId', 'detail']
  const lines = [header.join(',')]
  for (const e of entries) {
    lines.push([e.id, e.at, e.actorId, e.subjectId, e.action, isSecurityEvent(e.action) ? 'yes' : 'no', e.reason, e.requestId, e.detail === null ? null : JSON.stringify(e.detail)].map(csvField).join(','))
  }
  return `${lines.join('\r\n')}\r\n`
}

function csvField(value: string | null): string {
  if (value === null) return ''
  // A leading =, +, - or @ makes spreadsheets run the cell as a formula: prefixed with a quote.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}
