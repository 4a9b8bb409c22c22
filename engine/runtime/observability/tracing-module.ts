import { defineModule } from '../modules/feature-module.ts'

/**
 * OpenTelemetry traces (tracing.ts), only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, and PostHog
 * events (analytics.ts), only when `KOYA_POSTHOG_KEY` is set. Global and first, so that their
 * request hooks see every route; without the variables it loads nothing and adds no hook, so a
 * server that does not trace pays nothing per request.
 */
export const tracingModule = defineModule({
  name: 'tracing',
  systemMigrations: [],
  global: true,
  async register(app, runtime) {
    const endpoint = runtime.env.OTEL_EXPORTER_OTLP_ENDPOINT
    if (endpoint !== undefined && endpoint !== '') {
      const { startTracing } = await import('./tracing.ts')
      await startTracing(app, runtime, endpoint)
    }
    const posthogKey = runtime.env.KOYA_POSTHOG_KEY
    if (posthogKey !== undefined && posthogKey !== '') {
      const { startAnalytics } = await import('./analytics.ts')
      startAnalytics(app, runtime, posthogKey)
    }
  },
})
