/**
 * What user code receives when KoyaLite runs it: the context of a job, the event a webhook's
 * filter and transform see, the context of an edge function. The DSL re-exports these for
 * `koyalite.ts`; the runtime's handler loader types its tables with them. Types only.
 *
 * Parts marked "served once the jobs issue lands" (or "…the functions issue…") are declared so
 * handlers can be written against them now; the runtime that calls handlers with them comes with
 * those features. Until then no handler runs.
 */

/** A structured logger, one line per call (pino-compatible). */
export interface HandlerLogger {
  debug(message: string, fields?: Readonly<Record<string, unknown>>): void
  info(message: string, fields?: Readonly<Record<string, unknown>>): void
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void
  error(message: string, fields?: Readonly<Record<string, unknown>>): void
}

/** An email to send through the app's email queue. */
export interface EmailMessage {
  readonly to: string | readonly string[]
  readonly subject: string
  readonly html?: string
  readonly text?: string
  /** A React Email template of the app, rendered to HTML and text. */
  readonly template?: string
  readonly props?: Readonly<Record<string, unknown>>
  /** Sending twice with the same key sends once. */
  readonly idempotencyKey?: string
}

/** Options of an enqueued job. */
export interface EnqueueOptions {
  /** Run no earlier than this delay from now: `'500ms'`, `'10s'`, `'30m'`. */
  readonly delay?: string
  /** At most one pending job with this key. */
  readonly key?: string
}

/** What a job's `run(ctx, payload)` receives. */
export interface JobContext {
  /** The job's name (its key in `defineConfig({ jobs })`). */
  readonly name: string
  /** Aborted on timeout, cancellation or shutdown: pass it to `fetch` and long loops. Served once the jobs issue lands. */
  readonly signal: AbortSignal
  /** Served once the jobs issue lands. */
  readonly log: HandlerLogger
  /**
   * The data layer acting as the system role (no policies apply), typed with the app's tables.
   * Served once the jobs issue lands; its type is left open until then.
   */
  readonly db: unknown
  /** The data layer acting as that user: their policies apply. Served once the jobs issue lands. */
  as(userId: string): unknown
  /** Queue an email. Served once the jobs issue lands. */
  readonly email: { send(message: EmailMessage): Promise<void> }
  /** Queue another job (by name) with a JSON payload. Served once the jobs issue lands. */
  enqueue(job: string, payload?: unknown, options?: EnqueueOptions): Promise<void>
}

export type WebhookOperation = 'create' | 'update' | 'delete'

/** A row change a webhook reports: the payload it POSTs unless a `transform` replaces it. */
export interface WebhookEvent<Row = Readonly<Record<string, unknown>>> {
  /** `<table>.<operation>`: `tasks.update`. */
  readonly type: string
  readonly table: string
  readonly operation: WebhookOperation
  /** The row after the change; null for a delete. */
  readonly record: Row | null
  /** The row before the change; null for a create. */
  readonly oldRecord: Row | null
  /** ISO 8601 UTC instant of the change. */
  readonly timestamp: string
}

/** What an edge function receives besides the request (or its validated input). Served once the functions issue lands. */
export interface FunctionContext {
  /** The caller; null for an anonymous caller of a `'public'` function. */
  readonly userId: string | null
  readonly roles: readonly string[]
  /** A KoyaLite client acting as the caller (policies apply), over the worker's own channel. */
  readonly client: unknown
  readonly log: HandlerLogger
  /** Only the names declared in `fn({ env })`. */
  readonly env: Readonly<Record<string, string | undefined>>
}
