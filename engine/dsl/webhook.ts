import type { WebhookEvent, WebhookOperation } from '../shared/handler-context.ts'
import type { Setting } from './config.ts'
import type { RetryDef } from './job.ts'

/** What `webhook()` takes. */
export interface WebhookOptions {
  /** The table whose changes are reported, by name: `'tasks'`. */
  readonly table: string
  /** The changes reported. */
  readonly on: readonly WebhookOperation[]
  /** Where the events are POSTed: an absolute http(s) URL, or `env('NAME')`. */
  readonly url: Setting
  /**
   * The signing secret (Standard Webhooks, `whsec_<base64>`): always `env('NAME')`, never
   * inline. Default: `env('KOYA_WEBHOOK_<NAME>_SECRET')`, the webhook's name in upper snake case.
   */
  readonly secret?: Setting
  /** Report only the events this returns true for. */
  readonly filter?: (event: WebhookEvent) => boolean
  /** The JSON body to POST instead of the event itself. */
  readonly transform?: (event: WebhookEvent) => unknown
  /** Overrides the delivery schedule (default: the Standard Webhooks schedule, 5 s to 10 h). */
  readonly retry?: RetryDef
}

/** A webhook as `webhook()` made it: what `defineConfig({ webhooks })` takes. */
export interface WebhookDef extends WebhookOptions {
  readonly kind: 'webhook'
}

/**
 * POST a signed JSON event to a URL when rows of a table change. The event is recorded in the
 * same transaction as the change and delivered at least once; `filter` and `transform` are
 * bundled by `koyalite generate` into generated/handlers/ and run without TypeScript.
 * Delivery is served once the jobs issue lands.
 *
 * @example
 * import { defineConfig, env, webhook } from 'koyalite'
 *
 * export default defineConfig({
 *   name: 'koya-tasks',
 *   tables,
 *   webhooks: {
 *     taskDone: webhook({
 *       table: 'tasks',
 *       on: ['update'],
 *       url: env('TASK_WEBHOOK_URL'),
 *       secret: env('TASK_WEBHOOK_SECRET'),
 *       filter: (event) => event.record?.status === 'done',
 *       transform: (event) => ({ id: event.record?.id, title: event.record?.title }),
 *     }),
 *   },
 * })
 */
export function webhook(options: WebhookOptions): WebhookDef {
  return Object.freeze({ ...options, on: Object.freeze([...options.on]), ...(options.retry ? { retry: Object.freeze({ ...options.retry }) } : {}), kind: 'webhook' })
}
