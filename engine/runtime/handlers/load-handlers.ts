import { existsSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { HANDLERS_BUNDLE_PATH, type ProjectIR } from '../../ir/project-ir.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { JobContext, WebhookEvent } from '../../shared/handler-context.ts'

/** A job's `run`, as bundled. */
export type JobHandler = (ctx: JobContext, payload: unknown) => unknown

/** A webhook's code, as bundled: each present only when the webhook declares it. */
export interface WebhookHandlers {
  readonly filter?: (event: WebhookEvent) => boolean
  readonly transform?: (event: WebhookEvent) => unknown
}

/** A job's `payload` schema as bundled (a zod schema, or any validator with `safeParse`). */
export interface PayloadValidator {
  safeParse(value: unknown): { success: true; data: unknown } | { success: false; error: unknown }
}

/** The user code of jobs and webhooks, by name. */
export interface Handlers {
  readonly jobs: Readonly<Record<string, JobHandler>>
  readonly webhooks: Readonly<Record<string, WebhookHandlers>>
  /** The `payload` schemas of the jobs that declare one; absent from bundles made before they existed. */
  readonly payloads?: Readonly<Record<string, PayloadValidator>>
}

export interface LoadHandlersOptions {
  /**
   * The model the handlers must match (generated/model.json): every job has its `run`, every
   * webhook its declared filter and transform. Without it the bundle is taken as it is.
   */
  readonly model?: ProjectIR
  /** A new value imports the bundle afresh (what `koyalite dev` does after a change). */
  readonly version?: string
}

const NO_HANDLERS: Handlers = Object.freeze({ jobs: Object.freeze({}), webhooks: Object.freeze({}) })

/**
 * Import generated/handlers/index.js, the plain-JavaScript bundle `koyalite generate` made of the
 * jobs' and webhooks' code: no tsx, no TypeScript compiler. Source maps are turned on for the
 * process first, so a stack thrown in a handler names the user's `.ts` file and line. A project
 * without handlers has no bundle: its tables are empty.
 *
 * @throws KoyaError KL_DEF_GENERATED_STALE when the bundle is missing or does not match the model.
 *
 * @example
 * import { loadHandlers, loadModel } from 'koyalite/runtime'
 *
 * const model = loadModel(root)
 * const handlers = await loadHandlers(root, { model })
 * await handlers.jobs.digest?.(ctx, { workspaceId })
 */
export async function loadHandlers(root: string, options: LoadHandlersOptions = {}): Promise<Handlers> {
  const file = path.join(root, ...HANDLERS_BUNDLE_PATH.split('/'))
  const expected = expectedHandlers(options.model)
  if (!existsSync(file)) {
    if (expected.length === 0) return NO_HANDLERS
    throw stale(`${HANDLERS_BUNDLE_PATH} is missing, but the model has ${expected[0]!.what}.`)
  }
  // Stack traces are mapped only for modules loaded after this call, so it comes before the import.
  process.setSourceMapsEnabled(true)
  const url = pathToFileURL(file).href + (options.version === undefined ? '' : `?v=${encodeURIComponent(options.version)}`)
  const module = (await import(url)) as { jobs?: unknown; webhooks?: unknown; payloads?: unknown }
  const handlers: Handlers = { jobs: jobTable(module.jobs), webhooks: webhookTable(module.webhooks), ...(module.payloads === undefined ? {} : { payloads: payloadTable(module.payloads) }) }
  for (const { what, find } of expected) {
    if (typeof find(handlers) !== 'function') throw stale(`${HANDLERS_BUNDLE_PATH} has no ${what}.`)
  }
  return handlers
}

interface ExpectedHandler {
  readonly what: string
  readonly find: (handlers: Handlers) => unknown
}

/** What the model says the bundle holds. */
function expectedHandlers(model: ProjectIR | undefined): ExpectedHandler[] {
  const expected: ExpectedHandler[] = []
  for (const job of model?.jobs ?? []) {
    expected.push({ what: `run for job "${job.name}"`, find: (h) => h.jobs[job.name] })
    if (job.payload !== undefined) expected.push({ what: `payload schema for job "${job.name}"`, find: (h) => h.payloads?.[job.name]?.safeParse })
  }
  for (const webhook of model?.webhooks ?? []) {
    if (webhook.hasFilter) expected.push({ what: `filter for webhook "${webhook.name}"`, find: (h) => h.webhooks[webhook.name]?.filter })
    if (webhook.hasTransform) expected.push({ what: `transform for webhook "${webhook.name}"`, find: (h) => h.webhooks[webhook.name]?.transform })
  }
  return expected
}

function jobTable(value: unknown): Readonly<Record<string, JobHandler>> {
  if (typeof value !== 'object' || value === null) throw stale(`${HANDLERS_BUNDLE_PATH} exports no jobs table.`)
  for (const [name, run] of Object.entries(value)) if (typeof run !== 'function') throw stale(`${HANDLERS_BUNDLE_PATH}: job "${name}" is not a function.`)
  return value as Readonly<Record<string, JobHandler>>
}

function payloadTable(value: unknown): Readonly<Record<string, PayloadValidator>> {
  if (typeof value !== 'object' || value === null) throw stale(`${HANDLERS_BUNDLE_PATH} exports no payloads table.`)
  return value as Readonly<Record<string, PayloadValidator>>
}

function webhookTable(value: unknown): Readonly<Record<string, WebhookHandlers>> {
  if (typeof value !== 'object' || value === null) throw stale(`${HANDLERS_BUNDLE_PATH} exports no webhooks table.`)
  return value as Readonly<Record<string, WebhookHandlers>>
}

function stale(message: string): KoyaError {
  return new KoyaError('KL_DEF_GENERATED_STALE', message, { hint: 'Run `koyalite generate` with this version of KoyaLite.' })
}
