import type { ProjectIR } from '../project-ir.ts'
import { err } from './auth-routes.ts'
import type { RouteContract, RouteError, RouteGroup, RouteParameter, RouteSchema } from './route-contract.ts'

/**
 * The observability endpoints (engine/runtime/observability): Prometheus metrics at `/metrics`
 * (the service key or an allow-listed scraper address) and, at `/admin`, the server's logs (a
 * page and a live tail), the API monitor, performance, the effective configuration, the CLI's
 * command history and the audit log as CSV. Admin endpoints need an admin's own session or the
 * service key.
 */

export const OBSERVABILITY_ROUTE_IDS = ['metrics', 'listLogs', 'streamLogs', 'apiMonitor', 'performance', 'configuration', 'cliHistory', 'exportAudit'] as const
export type ObservabilityRouteId = (typeof OBSERVABILITY_ROUTE_IDS)[number]

export const OBSERVABILITY_TAG = 'Observability'

/** The most log lines one page answers with (the ring keeps 2,000). */
export const MAX_LOG_ENTRIES = 2000
/** The most CLI history entries one page answers with. */
export const MAX_CLI_HISTORY = 1000

const adminErrors: readonly RouteError[] = [
  err(401, 'Neither an admin\'s session nor the service key came with the request', 'KL_AUTH_REQUIRED'),
  err(403, 'The signed-in user is not an admin (or is impersonating), or the origin is not trusted', 'KL_AUTH_FORBIDDEN', 'KL_AUTH_CSRF'),
]
const badQuery = err(400, 'A parameter is malformed or unknown', 'KL_API_BAD_REQUEST', 'KL_API_VALIDATION')

const logFilters: RouteParameter[] = [
  { name: 'level', description: 'Lowest level: `trace`, `debug`, `info`, `warn`, `error`, `fatal` (or pino\'s number).', schema: { type: 'string', pattern: '^(trace|debug|info|warn|error|fatal|[0-9]{1,2})$' } },
  { name: 'text', description: 'Lines containing this text (case-insensitive), anywhere in the line.', schema: { type: 'string', minLength: 1, maxLength: 200 } },
]
const limit = (max: number, fallback: number): RouteParameter => ({ name: 'limit', description: `At most this many (1 to ${max}; default ${fallback}).`, schema: { type: 'string', pattern: '^[0-9]{1,4}$' } })
const open: RouteSchema = { type: 'object', additionalProperties: true }
const ok = (description: string, component: string): RouteContract['responses'] => [{ status: 200, description, schema: { $ref: `#/components/schemas/${component}` } }]

/**
 * @example
 * observabilityRoutes(ir).routes.map((route) => route.path) // ['/metrics', '/admin/logs', …]
 */
export function observabilityRoutes(_ir: ProjectIR): RouteGroup<ObservabilityRouteId> {
  const tag = OBSERVABILITY_TAG
  const routes: RouteContract<ObservabilityRouteId>[] = [
    {
      id: 'metrics',
      method: 'GET',
      path: '/metrics',
      tag,
      summary: 'Prometheus metrics',
      description:
        'The Prometheus text format: requests by route and status with latency histograms, data-layer statements and their time, SQLite (size, WAL, checkpoints), event-loop lag, heap and CPU, queue depth and job outcomes, webhook deliveries, auth events (logins, failures, lockouts, sign-ups). For the service key (`Authorization: Bearer`) or a scraper whose address is in `KOYA_METRICS_ALLOW` (addresses or CIDR ranges, comma-separated).',
      auth: 'public',
      responses: [{ status: 200, description: 'The metrics (text/plain; version=0.0.4).', contentType: 'text/plain' }],
      errors: [err(403, 'Neither the service key nor an allow-listed address', 'KL_AUTH_FORBIDDEN')],
    },
    {
      id: 'listLogs',
      method: 'GET',
      path: '/admin/logs',
      tag,
      summary: 'Recent log lines',
      description: 'The last lines this server process wrote (credentials redacted), oldest first, filtered by level and text. Each line keeps its `seq`, which the live tail continues from.',
      auth: 'admin',
      query: [...logFilters, { name: 'after', description: 'Lines after this `seq`.', schema: { type: 'string', pattern: '^[0-9]{1,15}$' } }, limit(MAX_LOG_ENTRIES, 200)],
      responses: ok('The lines.', 'LogPage'),
      errors: [badQuery, ...adminErrors],
      sdk: { namespace: 'admin', name: 'logs', doc: 'The last log lines of the server, filtered by level and text.', input: { kind: 'query', type: '{ level?: string; text?: string; after?: string; limit?: string }' }, returns: 'LogPage', token: 'none' },
    },
    {
      id: 'streamLogs',
      method: 'GET',
      path: '/admin/logs/stream',
      tag,
      summary: 'Live log tail',
      description: 'Server-sent events: one `log` event per line as it is written (its id the line\'s `seq`; data the line as JSON), filtered by level and text, with a `heartbeat` every 15 seconds. Reconnecting with `Last-Event-ID` first sends the kept lines after it.',
      auth: 'admin',
      query: logFilters,
      responses: [{ status: 200, description: 'The event stream.', contentType: 'text/event-stream' }],
      errors: [badQuery, ...adminErrors],
    },
    {
      id: 'apiMonitor',
      method: 'GET',
      path: '/admin/monitor',
      tag,
      summary: 'API monitor',
      description: 'Per route over the last hour: requests, rate per minute, error rate (5xx), p50/p95/p99 latency; and the most recent requests with their request id (the `reqId` of their log lines).',
      auth: 'admin',
      query: [limit(500, 50)],
      responses: ok('The monitor.', 'ApiMonitor'),
      errors: [badQuery, ...adminErrors],
      sdk: { namespace: 'admin', name: 'apiMonitor', doc: 'Per-route rate, latency percentiles and error rate over the last hour, and the recent requests.', input: { kind: 'query', type: '{ limit?: string }' }, returns: 'ApiMonitor', token: 'none' },
    },
    {
      id: 'performance',
      method: 'GET',
      path: '/admin/performance',
      tag,
      summary: 'Performance',
      description: 'Event-loop lag, memory, CPU, SQLite (file and WAL size, pages, cache size) and the slowest statement shapes (text with parameters, never values).',
      auth: 'admin',
      responses: ok('The figures now.', 'Performance'),
      errors: adminErrors,
      sdk: { namespace: 'admin', name: 'performance', doc: 'Event-loop lag, memory, CPU, SQLite and the slowest statement shapes.', input: { kind: 'none' }, returns: 'Performance', token: 'none' },
    },
    {
      id: 'configuration',
      method: 'GET',
      path: '/admin/config',
      tag,
      summary: 'Effective configuration',
      description: 'The configuration the server runs (koyalite.ts resolved), the environment variables it reads and whether each is set (never a value), the roles and the access matrix (table × operation → policy).',
      auth: 'admin',
      responses: ok('The configuration.', 'EffectiveConfig'),
      errors: adminErrors,
      sdk: { namespace: 'admin', name: 'config', doc: 'The effective configuration, which environment variables are set (no values), roles and the access matrix.', input: { kind: 'none' }, returns: 'EffectiveConfig', token: 'none' },
    },
    {
      id: 'cliHistory',
      method: 'GET',
      path: '/admin/cli-history',
      tag,
      summary: 'CLI command history',
      description: 'The `koyalite` commands run against this project\'s database, newest first: command, arguments (secrets masked), user, exit code, duration, time.',
      auth: 'admin',
      query: [{ name: 'command', description: 'Only this command (`migrate`, `backup`…).', schema: { type: 'string', minLength: 1, maxLength: 40 } }, limit(MAX_CLI_HISTORY, 100)],
      responses: [{ status: 200, description: 'The commands.', schema: { type: 'array', items: { $ref: '#/components/schemas/CliCommandRun' } } }],
      errors: [badQuery, ...adminErrors],
      sdk: { namespace: 'admin', name: 'cliHistory', doc: 'The koyalite commands run against the project, newest first.', input: { kind: 'query', type: '{ command?: string; limit?: string }' }, returns: 'CliCommandRun[]', token: 'none' },
    },
    {
      id: 'exportAudit',
      method: 'GET',
      path: '/admin/audit/export',
      tag,
      summary: 'Audit log as CSV',
      description: 'The audit log filtered like `GET /admin/audit` (actor, subject, action, from, to), newest first, as CSV with a `security` column marking security events (failed logins, lockouts, role changes, impersonations, sessions revoked).',
      auth: 'admin',
      query: [
        { name: 'actor', description: 'Entries by this user id.', schema: { type: 'string', minLength: 1, maxLength: 200 } },
        { name: 'subject', description: 'Entries about this user id.', schema: { type: 'string', minLength: 1, maxLength: 200 } },
        { name: 'action', description: 'One action.', schema: { type: 'string', minLength: 1, maxLength: 200 } },
        { name: 'from', description: 'From this time, inclusive (ISO 8601).', schema: { type: 'string', minLength: 1, maxLength: 200 } },
        { name: 'to', description: 'Up to this time, exclusive (ISO 8601).', schema: { type: 'string', minLength: 1, maxLength: 200 } },
        limit(10000, 10000),
      ],
      responses: [{ status: 200, description: 'The entries as CSV (RFC 4180), with a header row.', contentType: 'text/csv' }],
      errors: [err(400, 'A time is not ISO 8601, the limit is out of range, or a parameter is unknown', 'KL_API_BAD_REQUEST', 'KL_API_BAD_PAGINATION', 'KL_API_VALIDATION'), ...adminErrors],
    },
  ]
  return {
    tag: { name: OBSERVABILITY_TAG, description: 'Metrics, logs, the API monitor, performance, the effective configuration and the CLI\'s history (docs/observability.md). Admin endpoints need an admin\'s own session or the service key.' },
    routes,
    schemas: observabilitySchemas(),
  }
}

function observabilitySchemas(): Record<string, RouteSchema> {
  const nullableNumber = { type: ['number', 'null'] }
  return {
    LogEntry: {
      type: 'object',
      properties: { seq: { type: 'integer' }, time: { type: 'number', description: 'Epoch milliseconds.' }, level: { type: 'integer' }, msg: { type: 'string' }, line: { ...open, description: 'The whole line as pino wrote it (credentials redacted).' } },
      required: ['seq', 'time', 'level', 'msg', 'line'],
    },
    LogPage: {
      type: 'object',
      properties: { written: { type: 'integer', description: 'Lines this process has written (the newest `seq`).' }, entries: { type: 'array', items: { $ref: '#/components/schemas/LogEntry' } } },
      required: ['written', 'entries'],
    },
    ApiMonitor: {
      type: 'object',
      properties: {
        since: { type: 'string', format: 'date-time', description: 'When this server started counting.' },
        routes: {
          type: 'array',
          items: {
            type: 'object',
            properties: { method: { type: 'string' }, route: { type: 'string' }, requests: { type: 'number' }, perMinute: { type: 'number' }, errorRate: { type: 'number' }, p50Ms: nullableNumber, p95Ms: nullableNumber, p99Ms: nullableNumber },
            required: ['method', 'route', 'requests', 'perMinute', 'errorRate', 'p50Ms', 'p95Ms', 'p99Ms'],
          },
        },
        recent: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              at: { type: 'string' },
              requestId: { type: 'string' },
              method: { type: 'string' },
              url: { type: 'string' },
              route: { type: 'string' },
              status: { type: 'integer' },
              durationMs: { type: 'number' },
              userId: { type: ['string', 'null'] },
              traceId: { type: 'string', description: 'With tracing on (OTEL_EXPORTER_OTLP_ENDPOINT): the trace id of the request\'s span.' },
            },
            required: ['at', 'requestId', 'method', 'url', 'route', 'status', 'durationMs', 'userId'],
          },
        },
        traceUrl: { type: ['string', 'null'], description: 'KOYA_TRACE_URL: the trace viewer\'s URL, with `{traceId}` where a trace id goes; null when unset.' },
      },
      required: ['since', 'routes', 'recent', 'traceUrl'],
    },
    Performance: {
      type: 'object',
      properties: {
        eventLoop: { ...open, description: 'Lag in milliseconds: mean, p50, p99, max since the last read.' },
        memory: { ...open, description: 'Bytes: rss, heapUsed, heapTotal, external.' },
        cpu: { ...open, description: 'Microseconds of user and system CPU since start, and the share of one core used since the last read.' },
        sqlite: { ...open, description: 'File and WAL size, page size and count, free pages, cache size, WAL autocheckpoint.' },
        statements: { ...open, description: 'Statements run and their total time; the slowest shapes by total time.' },
      },
      required: ['eventLoop', 'memory', 'cpu', 'sqlite', 'statements'],
    },
    EffectiveConfig: {
      type: 'object',
      properties: {
        app: { type: 'string' },
        environment: { type: 'string' },
        config: { ...open, description: 'koyalite.ts resolved: auth, jobs, webhooks, storage, search, GraphQL (settings read from the environment appear as `{ env: NAME }`).' },
        env: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, set: { type: 'boolean' }, secret: { type: 'boolean' }, usedBy: { type: 'string' } }, required: ['name', 'set', 'secret', 'usedBy'] } },
        roles: { type: 'array', items: { type: 'string' } },
        access: { type: 'array', items: { type: 'object', properties: { table: { type: 'string' }, operation: { type: 'string' }, policy: { type: ['string', 'null'] } }, required: ['table', 'operation', 'policy'] } },
      },
      required: ['app', 'environment', 'config', 'env', 'roles', 'access'],
    },
    CliCommandRun: {
      type: 'object',
      properties: {
        id: { type: 'integer' },
        at: { type: 'string', format: 'date-time' },
        command: { type: 'string' },
        args: { type: 'array', items: { type: 'string' }, description: 'Arguments, with secrets masked.' },
        user: { type: 'string', description: 'The operating-system user who ran it.' },
        exitCode: { type: 'integer' },
        durationMs: { type: 'number' },
      },
      required: ['id', 'at', 'command', 'args', 'user', 'exitCode', 'durationMs'],
    },
  }
}
