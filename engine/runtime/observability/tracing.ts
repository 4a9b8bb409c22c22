import { AsyncLocalStorage } from 'node:async_hooks'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Span, Tracer } from '@opentelemetry/api'
import { statementsOf } from '../data/statement-cache.ts'
import type { Runtime } from '../modules/feature-module.ts'
import type { SpanNote, SpanRunner } from './spans.ts'

/**
 * OpenTelemetry traces over OTLP/HTTP (JSON), when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (SigNoz,
 * HyperDX and the OpenTelemetry Collector take it). One SERVER span per request, named by its
 * route pattern; INTERNAL spans under it for auth's steps (`auth.session`, `auth.login`) and the
 * data layer's calls (`data.list tasks`: the policy that applied, the rows); and one CLIENT span
 * per SQL statement under the innermost of those, carrying the statement's shape (the runtime
 * binds every value as a parameter, so the text holds none). Query strings, bodies, parameters
 * and headers are never recorded.
 *
 * Without the variable nothing is loaded and no hook is added: the OpenTelemetry packages are
 * imported here, on demand, and this file itself is imported only when the variable is set.
 */

/** The variable that turns tracing on: the collector's base URL (`/v1/traces` is appended). */
export const OTLP_ENDPOINT_ENV = 'OTEL_EXPORTER_OTLP_ENDPOINT'

const SPAN = Symbol('koya.span')
const NO_NOTE: SpanNote = { set() {} }
/** As many as the API monitor's recent requests (request-stats.ts). */
const RECENT_TRACE_IDS = 500
type Traced = FastifyRequest & { [SPAN]?: Span }

/**
 * Start tracing on `app`: its hooks see every route registered after them, so the caller
 * registers this before any module's routes. Spans are exported in batches, and flushed when the
 * server closes.
 *
 * @example
 * if (runtime.env.OTEL_EXPORTER_OTLP_ENDPOINT) await startTracing(app, runtime, runtime.env.OTEL_EXPORTER_OTLP_ENDPOINT)
 */
export async function startTracing(app: FastifyInstance, runtime: Runtime, endpoint: string): Promise<void> {
  const [{ SpanKind, SpanStatusCode, trace, context, ROOT_CONTEXT }, { BasicTracerProvider, BatchSpanProcessor, AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, TraceIdRatioBasedSampler }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ])
  const env = runtime.env
  const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces`, headers: headersOf(env.OTEL_EXPORTER_OTLP_HEADERS) })
  // OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG as the specification names them: a sampled-out
  // request's steps and statements make no span at all (below), so sampling also cuts the cost.
  const sampling = samplingOf(env.OTEL_TRACES_SAMPLER, env.OTEL_TRACES_SAMPLER_ARG)
  if (sampling.unknown) app.log.warn({ sampler: env.OTEL_TRACES_SAMPLER }, 'OTEL_TRACES_SAMPLER is not one KoyaLite knows (always_on, always_off, traceidratio, parentbased_*): every request is traced')
  const root = sampling.kind === 'off' ? new AlwaysOffSampler() : sampling.kind === 'ratio' ? new TraceIdRatioBasedSampler(sampling.ratio) : new AlwaysOnSampler()
  const provider = new BasicTracerProvider({
    sampler: new ParentBasedSampler({ root }),
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? runtime.model.name, 'deployment.environment.name': env.NODE_ENV ?? (runtime.dev ? 'development' : 'production') }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 })],
  })
  const tracer: Tracer = provider.getTracer('koyalite')
  // The request a statement runs for: set as the request arrives, read by the statement observer.
  const current = new AsyncLocalStorage<Span>()

  app.addHook('onRequest', function traceRequest(request, _reply, done) {
    const route = request.routeOptions.url ?? 'unmatched'
    // A caller's W3C `traceparent` makes this request a child of its span (a traced front end or
    // gateway); the parent-based sampler then follows the caller's sampled flag.
    const remote = parentOf(request.headers.traceparent)
    const span = tracer.startSpan(
      `${request.method} ${route}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'http.route': route, 'koya.request_id': request.id } },
      remote === undefined ? undefined : trace.setSpanContext(ROOT_CONTEXT, remote),
    )
    ;(request as Traced)[SPAN] = span
    current.run(span, done)
  })
  // The trace ids of the last requests, for the API monitor's links (as many as it keeps).
  const traceIds = new Map<string, string>()
  runtime.observability.setTraceIds((requestId) => traceIds.get(requestId))
  app.addHook('onResponse', function endRequestSpan(request, reply, done) {
    const span = (request as Traced)[SPAN]
    if (span !== undefined) {
      if (span.isRecording()) {
        if (traceIds.size >= RECENT_TRACE_IDS) traceIds.delete(traceIds.keys().next().value!)
        traceIds.set(request.id, span.spanContext().traceId)
      }
      span.setAttribute('http.response.status_code', reply.statusCode)
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
      span.end()
    }
    done()
  })

  // Auth's and the data layer's steps: auth reads `spans` as it registers (after this module).
  const spans: SpanRunner = {
    inSpan(name, attributes, work) {
      const parent = current.getStore()
      // Outside a request (a job, a timer), or in a request sampled out, nothing is traced.
      if (parent === undefined || !parent.isRecording()) return work(NO_NOTE)
      const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes }, trace.setSpan(context.active(), parent))
      const note: SpanNote = { set: (key, value) => span.setAttribute(key, value) }
      const failed = (error: unknown) => {
        const code = (error as { code?: unknown } | null)?.code
        // The code only: a message may quote what the caller sent.
        span.setStatus({ code: SpanStatusCode.ERROR, ...(typeof code === 'string' ? { message: code } : {}) })
        if (typeof code === 'string') span.setAttribute('koya.error.code', code)
        span.end()
      }
      let result: ReturnType<typeof work>
      try {
        result = current.run(span, work, note)
      } catch (error) {
        failed(error)
        throw error
      }
      if (result instanceof Promise) {
        return result.then(
          (value: unknown) => {
            span.end()
            return value
          },
          (error: unknown) => {
            failed(error)
            throw error
          },
        ) as typeof result
      }
      span.end()
      return result
    },
  }
  runtime.observability.setSpans(spans)
  runtime.data.trace(spans)

  // Statement spans: the core's observer (statement statistics) keeps running, this one after it.
  const statements = statementsOf(runtime.db)
  const record = runtime.observability.statements.record
  const origin = performance.timeOrigin
  statements.observe((sql, startMs, endMs) => {
    record(sql, startMs, endMs)
    const parent = current.getStore()
    if (parent === undefined || !parent.isRecording()) return
    const span = tracer.startSpan('sqlite', { kind: SpanKind.CLIENT, startTime: origin + startMs, attributes: { 'db.system.name': 'sqlite', 'db.query.text': sql } }, trace.setSpan(context.active(), parent))
    span.end(origin + endMs)
  })

  app.addHook('onClose', async () => {
    statements.observe(record)
    await provider.shutdown()
  })
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/

/**
 * The span context of a W3C Trace Context `traceparent` header (`00-<trace id>-<span id>-<flags>`),
 * or undefined when it is absent or malformed (version ff, all-zero ids, extra fields on version
 * 00), as the specification says to ignore it.
 */
export function parentOf(header: string | string[] | undefined): { traceId: string; spanId: string; traceFlags: number; isRemote: true } | undefined {
  if (typeof header !== 'string') return undefined
  const match = TRACEPARENT.exec(header.trim())
  if (match === null) return undefined
  const [, version, traceId, spanId, flags] = match as unknown as [string, string, string, string, string]
  if (version === 'ff' || (version === '00' && header.trim().length !== 55)) return undefined
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16) & 1, isRemote: true }
}

/**
 * The root sampler `OTEL_TRACES_SAMPLER` names (`parentbased_` or not: a request's spans follow
 * its root's decision either way), with `OTEL_TRACES_SAMPLER_ARG` the ratio (0 to 1, default 1).
 */
export function samplingOf(sampler: string | undefined, arg: string | undefined): { readonly kind: 'on' | 'off' | 'ratio'; readonly ratio: number; readonly unknown: boolean } {
  const name = (sampler ?? '').trim().toLowerCase().replace(/^parentbased_/, '')
  const parsed = Number(arg)
  const ratio = arg === undefined || arg.trim() === '' || !Number.isFinite(parsed) ? 1 : Math.min(1, Math.max(0, parsed))
  if (name === '' || name === 'always_on') return { kind: 'on', ratio: 1, unknown: false }
  if (name === 'always_off') return { kind: 'off', ratio: 0, unknown: false }
  if (name === 'traceidratio') return { kind: 'ratio', ratio, unknown: false }
  return { kind: 'on', ratio: 1, unknown: true }
}

/** `OTEL_EXPORTER_OTLP_HEADERS` (`key=value,key2=value2`, values URL-encoded), as the specification writes it. */
function headersOf(text: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const pair of (text ?? '').split(',')) {
    const at = pair.indexOf('=')
    if (at > 0) headers[pair.slice(0, at).trim()] = decodeURIComponent(pair.slice(at + 1).trim())
  }
  return headers
}
