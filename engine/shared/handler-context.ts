import type { Kysely } from 'kysely'
/**
 * What user code receives when KoyaLite runs it: the context of a job, the event a webhook's
 * filter and transform see, the context of an edge function. The DSL re-exports these for
 * `koyalite.ts`; the runtime's handler loader types its tables with them. Types only.
 *
 * Parts marked "…once the functions issue lands" are declared so handlers can be written against
 * them now; the runtime that calls them comes with that feature.
 */

/** A structured logger, one line per call (pino-compatible). */
export interface HandlerLogger {
  debug(message: string, fields?: Readonly<Record<string, unknown>>): void
  info(message: string, fields?: Readonly<Record<string, unknown>>): void
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void
  error(message: string, fields?: Readonly<Record<string, unknown>>): void
}

/** What every email has, whatever its body. */
export interface EmailMessageBase {
  readonly to: string | readonly string[]
  readonly subject: string
  readonly html?: string
  readonly text?: string
  /** Sending twice with the same key sends once. */
  readonly idempotencyKey?: string
}

/** The app's templates once `koyalite generate` registered them (generated/register.d.ts): name → component. */
type RegisteredEmailTemplates = Register extends { readonly emailTemplates: infer T } ? T : Record<never, never>
type PropsOfComponent<C> = C extends (props: infer P) => unknown ? P : Readonly<Record<string, unknown>>

/** A built-in template (props appName, link, email). */
export interface BuiltInTemplateMessage {
  readonly template: 'verify-email' | 'reset-password' | 'signup-attempt'
  readonly props?: Readonly<Record<string, unknown>>
}

/** `{ template: 'welcome', props }` for each registered app template, its props typed by the component. */
export type AppTemplateMessage = { [K in keyof RegisteredEmailTemplates]: { readonly template: K; readonly props: PropsOfComponent<RegisteredEmailTemplates[K]> } }[keyof RegisteredEmailTemplates]

/**
 * An email to send through the app's email queue: html and/or text, or a template rendered to
 * both when sent (the app's own from email.templates, or a built-in one). Once generate has
 * registered the app's templates, `template` and `props` are checked against them.
 */
export type EmailMessage = EmailMessageBase &
  ([keyof RegisteredEmailTemplates] extends [never]
    ? { readonly template?: string; readonly props?: Readonly<Record<string, unknown>> }
    : { readonly template?: undefined; readonly props?: undefined } | BuiltInTemplateMessage | AppTemplateMessage)

/** Options of an enqueued job. */
export interface EnqueueOptions {
  /** Run no earlier than this delay from now: `'500ms'`, `'10s'`, `'30m'`. */
  readonly delay?: string
  /** At most one pending job of this name with this key: enqueueing again returns the pending run. */
  readonly key?: string
  /** With `key`: a pending run takes the new payload and waits this long again (debounce). */
  readonly debounce?: string
  /** Higher runs first. Default 0. */
  readonly priority?: number
  /** At most `limit` (default 1) runs of this job with this key at once, across processes (a tenant, a user). */
  readonly group?: { readonly key: string; readonly limit?: number }
}

/** The app's jobs once `koyalite generate` registered them (generated/register.d.ts): name → payload type. */
type RegisteredJobs = Register extends { readonly jobs: infer J } ? J : Record<never, never>

/**
 * `ctx.enqueue`: once generate has registered the app's jobs, the name must be one of them and the
 * payload must have that job's type (its zod `payload` schema's; required unless it admits
 * `undefined`); before that, any name and any JSON value.
 */
export type Enqueue = [keyof RegisteredJobs] extends [never]
  ? (job: string, payload?: unknown, options?: EnqueueOptions) => Promise<void>
  : <Name extends keyof RegisteredJobs & string>(
      job: Name,
      ...rest: undefined extends RegisteredJobs[Name] ? [payload?: RegisteredJobs[Name], options?: EnqueueOptions] : [payload: RegisteredJobs[Name], options?: EnqueueOptions]
    ) => Promise<void>

/**
 * A filter of the data layer's neutral query (`docs/architecture.md`): `{ kind: 'compare', column:
 * 'status', operator: 'eq', value: 'todo' }`, `{ kind: 'and', where: [...] }`, …
 */
export type DataFilter = { readonly kind: string; readonly [key: string]: unknown }

/** A row as the data layer returns it: column names to values. */
export type DataRow = Readonly<Record<string, unknown>>

/**
 * The data layer acting as one identity: reads see only what its policies let it read, writes are
 * refused (a KoyaError `KL_API_POLICY_DENIED`) where they refuse, exactly as over HTTP. Writes emit
 * write events (webhooks, realtime).
 */
export interface DataAs {
  list(table: string, options?: { readonly where?: DataFilter; readonly orderBy?: readonly { readonly column: string; readonly direction?: 'asc' | 'desc' }[]; readonly limit?: number; readonly offset?: number }): DataRow[]
  get(table: string, id: string): DataRow | undefined
  count(table: string, where?: DataFilter): number
  /** Inserts one row or several; returns them as written (read back through the read policy). */
  insert(table: string, rows: DataRow | readonly DataRow[]): DataRow[]
  /** Updates one row by id; returns it, or undefined when it is not there (or not readable). */
  update(table: string, id: string, patch: DataRow): DataRow | undefined
  /** Deletes one row by id; returns how many rows went (0 or 1). */
  delete(table: string, id: string): number
}

/**
 * Where the app's generated types register themselves: `generated/register.d.ts` (written by
 * `koyalite generate`) declares `interface Register { db: DB }` in the `koyalite` module, so
 * `ctx.db` is typed with the app's tables without a cast.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging
export interface Register {}

/** The app's Kysely database type once `koyalite generate` has run (and the tsconfig includes generated/), else unknown. */
export type RegisteredDb = Register extends { readonly db: infer Db } ? Db : unknown

/** What a job's `run(ctx, payload)` receives. */
export interface JobContext {
  /** The job's name (its key in `defineConfig({ jobs })`). */
  readonly name: string
  /** The run's id (GET /admin/jobs/runs/:id): the same across its retries. */
  readonly runId: number
  /** 1 for the first run, 2 for the first retry… */
  readonly attempt: number
  /** Aborted on timeout, cancellation or shutdown: pass it to `fetch` and long loops. */
  readonly signal: AbortSignal
  readonly log: HandlerLogger
  /**
   * A Kysely instance on the app's database, acting as the system role (no policies), for the
   * queries the data layer does not express, typed with the app's tables by
   * `generated/register.d.ts` in the editor and `tsc`. `koyalite generate`'s own type check does
   * not read it (it follows imports from koyalite.ts), so a table added in the same edit as a query
   * on it never fails generation on types that are about to be regenerated; there `db` is
   * `Kysely<any>`. Writes through it emit no write events: prefer `ctx.data` (or `ctx.as`) for
   * writes that webhooks or realtime should see.
   */
  // biome-ignore lint/suspicious/noExplicitAny: the untyped fallback before generate
  readonly db: unknown extends RegisteredDb ? Kysely<any> : Kysely<RegisteredDb>
  /** The data layer acting as the system role (no policies apply); writes emit write events. */
  readonly data: DataAs
  /** The data layer acting as that user, with their roles: their policies apply. */
  as(userId: string): DataAs
  /** Queue an email (sent by the queue, retried on 429 and 5xx). */
  readonly email: { send(message: EmailMessage): Promise<void> }
  /**
   * Queue another job (by name) with a JSON payload, typed per job by `generated/register.d.ts`
   * (an unknown name or a payload of the wrong shape does not compile), and checked against the
   * job's schema when it runs (`KL_JOB_PAYLOAD_INVALID`).
   */
  readonly enqueue: Enqueue
  /** Record how far the run got (any JSON value), readable at GET /admin/jobs/runs/:id. */
  progress(value: unknown): void
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
