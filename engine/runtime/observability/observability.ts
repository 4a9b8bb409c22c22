import type { FastifyRequest } from 'fastify'
import type { Actor } from '../data/data-layer.ts'
import { createLogRing, type LogRing } from './log-ring.ts'
import type { SpanRunner } from './spans.ts'
import { createRequestStats, type RequestStats } from './request-stats.ts'
import { createStatementStats, type StatementStats } from './statement-stats.ts'

/**
 * What the server observes of itself, made once per server by the core (before any module, so
 * the first log line and the first request are seen): the log ring, request and statement
 * statistics, and who a finished request was (the auth module tells, once it is registered).
 * `/metrics` and the admin API's monitor, performance and log views read it.
 */
export interface Observability {
  readonly logs: LogRing
  readonly requests: RequestStats
  readonly statements: StatementStats
  /** The user id a request acted as, if the request resolved its caller (never resolves it). */
  userIdOf(request: FastifyRequest): string | undefined
  /** Called by the core once auth has registered. */
  setResolvedActor(of: (request: FastifyRequest) => Actor | undefined): void
  /**
   * Spans for the modules' own steps (auth's session resolution and login), when the tracing
   * module (registered first) turned tracing on; undefined otherwise, and then a module adds no
   * wrapper. Read it while registering.
   */
  readonly spans: SpanRunner | undefined
  /** Called by the tracing module, before the modules that read `spans` register. */
  setSpans(spans: SpanRunner): void
  /** With tracing on: the trace id of a recent request (the API monitor links to it); else undefined. */
  traceIdOf(requestId: string): string | undefined
  /** Called by the tracing module: where the trace ids of recent requests are kept. */
  setTraceIds(lookup: (requestId: string) => string | undefined): void
}

/** Log lines kept in memory for the admin API. */
export const LOG_RING_CAPACITY = 2000

/**
 * @example
 * const observability = createObservability()
 * observability.requests.record(observability.requests.routeOf(request), request.id, request.url, 200, 1.5, undefined)
 */
export function createObservability(now: () => number = Date.now): Observability {
  let resolvedActor: ((request: FastifyRequest) => Actor | undefined) | undefined
  let spans: SpanRunner | undefined
  let traceIds: ((requestId: string) => string | undefined) | undefined
  return {
    logs: createLogRing(LOG_RING_CAPACITY),
    requests: createRequestStats(now),
    statements: createStatementStats(),
    userIdOf(request) {
      const actor = resolvedActor?.(request)
      return actor === undefined ? undefined : actor.kind === 'user' ? actor.userId : actor.kind === 'system' ? 'system' : undefined
    },
    setResolvedActor(of) {
      resolvedActor = of
    },
    get spans() {
      return spans
    },
    setSpans(runner) {
      spans = runner
    },
    traceIdOf: (requestId) => traceIds?.(requestId),
    setTraceIds(lookup) {
      traceIds = lookup
    },
  }
}
