import { defineModule } from '../modules/feature-module.ts'

/**
 * OpenTelemetry traces (tracing.ts), only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set. Global and
 * first, so that its request hooks see every route; without the variable it loads nothing and adds
 * no hook, so a server that does not trace pays nothing per request.
 */
export const tracingModule = defineModule({
  name: 'tracing',
  systemMigrations: [],
  global: true,
  async register(app, runtime) {
    const endpoint = runtime.env.OTEL_EXPORTER_OTLP_ENDPOINT
    if (endpoint === undefined || endpoint === '') return
    const { startTracing } = await import('./tracing.ts')
    await startTracing(app, runtime, endpoint)
  },
})
