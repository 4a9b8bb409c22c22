import type { FastifyRequest } from 'fastify'
import { MAX_CLI_HISTORY, MAX_LOG_ENTRIES, OBSERVABILITY_ROUTE_IDS, observabilityRoutes } from '../../ir/routes/observability-routes.ts'
import { KoyaError } from '../../shared/errors.ts'
import { isoTime, requireAdmin } from '../admin/admin-routes.ts'
import { registerContractRoutes } from '../http/route-contract.ts'
import { environmentOf } from '../meta/project-record.ts'
import { defineModule } from '../modules/feature-module.ts'
import { auditCsv, createPerformanceView, effectiveConfig } from './admin-views.ts'
import { CLI_HISTORY_MIGRATIONS, listCliCommands } from './cli-history.ts'
import { levelOf } from './log-ring.ts'
import { openLogTail } from './log-tail.ts'
import { allowedScraper, createMetricsRegistry, scraperAllowList } from './metrics.ts'
import { summarizeRoute } from './request-stats.ts'

/**
 * Metrics at `/metrics`, and at `/admin` the logs (a page and a live tail), the API monitor,
 * performance, the effective configuration, the CLI's command history and the audit log as CSV
 * (docs/observability.md). What it shows is kept by the core (`runtime.observability`: the log
 * ring, request and statement statistics) from the first request on; this module only reads it.
 * After auth (the admin check) and meta.
 */
export const observabilityModule = defineModule({
  name: 'observability',
  systemMigrations: CLI_HISTORY_MIGRATIONS,
  async register(app, runtime) {
    const { observability, db } = runtime
    const admin = runtime.adminDeps()
    const metrics = createMetricsRegistry(observability, db)
    const performance = createPerformanceView(db, observability.statements)
    const scrapers = scraperAllowList(runtime.env.KOYA_METRICS_ALLOW, (entry) => app.log.warn({ entry }, 'KOYA_METRICS_ALLOW has an entry that is no address or CIDR range: it is ignored'))
    const tails = new Set<() => void>()
    app.addHook('onClose', (_instance, done) => {
      for (const stop of [...tails]) stop()
      performance.close()
      done()
    })
    registerContractRoutes(app, {
      ids: OBSERVABILITY_ROUTE_IDS,
      routes: observabilityRoutes(runtime.model).routes,
      isAnonymous: (request: FastifyRequest) => admin.requests.authOf(request).actor.kind === 'anonymous',
      handlers: {
        async metrics(request, reply) {
          // The service key, or a scraper on the allow list (Prometheus sends no credentials by default).
          const { actor } = admin.requests.authOf(request)
          if (actor.kind !== 'system' && !allowedScraper(scrapers, request.ip)) {
            throw new KoyaError('KL_AUTH_FORBIDDEN', '/metrics needs the service key or a scraper address in KOYA_METRICS_ALLOW.', { hint: 'Send `Authorization: Bearer <service key>`, or add the scraper\'s address to KOYA_METRICS_ALLOW.' })
          }
          const { contentType, text } = await metrics.scrape()
          return reply.type(contentType).send(text)
        },
        async listLogs(request) {
          requireAdmin(admin, request)
          const query = request.query as { level?: string; text?: string; after?: string; limit?: string }
          const limit = limitOf(query.limit, 200, MAX_LOG_ENTRIES)
          const level = levelOf(query.level)
          return { written: observability.logs.written, entries: observability.logs.read({ ...(level !== undefined ? { level } : {}), ...(query.text !== undefined ? { text: query.text } : {}), ...(query.after !== undefined ? { after: Number(query.after) } : {}), limit }) }
        },
        async streamLogs(request, reply) {
          requireAdmin(admin, request)
          const query = request.query as { level?: string; text?: string }
          const level = levelOf(query.level)
          openLogTail(request, reply, observability.logs, { ...(level !== undefined ? { level } : {}), ...(query.text !== undefined ? { text: query.text } : {}) }, tails)
          return reply
        },
        async apiMonitor(request) {
          requireAdmin(admin, request)
          const limit = limitOf((request.query as { limit?: string }).limit, 50, 500)
          const now = Date.now()
          const routes = observability.requests
            .routes()
            .map((route) => summarizeRoute(route, now))
            .filter((route) => route.requests > 0)
            .sort((a, b) => b.requests - a.requests || a.route.localeCompare(b.route))
          const recent = observability.requests.recent(limit).map((entry) => {
            const traceId = observability.traceIdOf(entry.requestId)
            return traceId === undefined ? entry : { ...entry, traceId }
          })
          const traceUrl = runtime.env.KOYA_TRACE_URL
          return { since: new Date(observability.requests.startedAt).toISOString(), routes, recent, traceUrl: traceUrl !== undefined && traceUrl !== '' ? traceUrl : null }
        },
        async performance(request) {
          requireAdmin(admin, request)
          return performance.read()
        },
        async configuration(request) {
          requireAdmin(admin, request)
          return effectiveConfig(runtime.model, runtime.env, environmentOf(runtime.env, runtime.dev))
        },
        async cliHistory(request) {
          requireAdmin(admin, request)
          const query = request.query as { command?: string; limit?: string }
          return listCliCommands(db, { ...(query.command !== undefined ? { command: query.command } : {}), limit: limitOf(query.limit, 100, MAX_CLI_HISTORY) })
        },
        async exportAudit(request, reply) {
          requireAdmin(admin, request)
          const query = request.query as { actor?: string; subject?: string; action?: string; from?: string; to?: string; limit?: string }
          const entries = admin.audit.query({
            ...(query.actor !== undefined ? { actor: query.actor } : {}),
            ...(query.subject !== undefined ? { subject: query.subject } : {}),
            ...(query.action !== undefined ? { action: query.action } : {}),
            ...(query.from !== undefined ? { from: isoTime(query.from, 'from') } : {}),
            ...(query.to !== undefined ? { to: isoTime(query.to, 'to') } : {}),
            limit: limitOf(query.limit, 10_000, 10_000),
          })
          return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="audit.csv"').send(auditCsv(entries))
        },
      },
    })
  },
})

function limitOf(value: string | undefined, fallback: number, max: number): number {
  const limit = value === undefined ? fallback : Number(value)
  if (limit < 1 || limit > max) throw new KoyaError('KL_API_BAD_PAGINATION', `limit must be between 1 and ${max}.`)
  return limit
}
