/**
 * The seam between the runtime's own work and a tracer: auth and the data layer wrap their
 * steps in `inSpan` only when the tracing module handed them a SpanRunner (tracing.ts makes the
 * one implementation, over OpenTelemetry). Without tracing they are given none and keep their
 * plain functions: nothing is wrapped, checked or allocated per request.
 *
 * Attributes name what happened (an operation, a table, an outcome, a policy's source
 * location), never a value a caller sent: no id, email, token, filter value or row.
 */

/** What a span may carry: short descriptions, counts and flags. */
export type SpanValue = string | number | boolean
export type SpanAttributes = Readonly<Record<string, SpanValue>>

/** The open span, for attributes known only once the work ran (an outcome, a row count). */
export interface SpanNote {
  set(key: string, value: SpanValue): void
}

/**
 * Runs work inside a span, a child of the current one (the request's, or an enclosing step's),
 * so the statements the work runs nest under it. A thrown error (or a rejected promise) marks
 * the span ERROR with the error's `code` when it has one, and is rethrown unchanged.
 *
 * @example
 * const page = spans.inSpan('data.list tasks', { 'koya.data.table': 'tasks' }, (span) => {
 *   const result = reads.page(actor, table, shape, false)
 *   span.set('koya.data.rows', result.rows.length)
 *   return result
 * })
 */
export interface SpanRunner {
  inSpan<T>(name: string, attributes: SpanAttributes, work: (span: SpanNote) => T): T
}
