import type { ProjectIR } from '../project-ir.ts'
import { err } from './auth-routes.ts'
import { componentRef, type RouteContract, type RouteError, type RouteGroup, type RouteSchema } from './route-contract.ts'

/**
 * The /admin endpoints of webhooks (engine/runtime/webhooks): the delivery log and replay. Served
 * only by an app that has webhooks. An admin's own session or the service key, like the rest of
 * /admin.
 */

export const WEBHOOKS_ROUTE_IDS = ['listWebhookDeliveries', 'replayWebhookDelivery'] as const
export type WebhooksRouteId = (typeof WEBHOOKS_ROUTE_IDS)[number]

export const WEBHOOKS_TAG = 'Webhooks'

/** The most deliveries one list answers with. */
export const MAX_WEBHOOK_DELIVERIES = 1000

const adminErrors: readonly RouteError[] = [
  err(401, 'Neither an admin\'s session nor the service key came with the request', 'KL_AUTH_REQUIRED'),
  err(403, 'The signed-in user is not an admin (or is impersonating), or the origin is not trusted', 'KL_AUTH_FORBIDDEN', 'KL_AUTH_CSRF'),
]

/**
 * The webhooks group of an app, or undefined when it has no webhooks (nothing is served then).
 *
 * @example
 * webhooksRoutes(ir)?.routes.map((route) => route.path) // ['/admin/webhooks/deliveries', '/admin/webhooks/deliveries/:id/replay']
 */
export function webhooksRoutes(ir: ProjectIR): RouteGroup<WebhooksRouteId> | undefined {
  const names = (ir.webhooks ?? []).map((webhook) => webhook.name)
  if (names.length === 0) return undefined
  const routes: RouteContract<WebhooksRouteId>[] = [
    {
      id: 'listWebhookDeliveries',
      method: 'GET',
      path: '/admin/webhooks/deliveries',
      tag: WEBHOOKS_TAG,
      summary: 'Webhook deliveries',
      description: 'The delivery log, newest first: one entry per attempt, with the HTTP status (null when no answer came), the latency and the answer\'s body cut at 2 KiB.',
      auth: 'admin',
      query: [
        { name: 'webhook', description: 'Attempts of this webhook.', schema: { type: 'string', enum: names } },
        { name: 'ok', description: '`true`: successful attempts only; `false`: failed ones only.', schema: { type: 'string', enum: ['true', 'false'] } },
        { name: 'jobId', description: 'Attempts of one event (its queue run).', schema: { type: 'string', pattern: '^[0-9]{1,15}$' } },
        { name: 'before', description: 'Entries with a smaller id (the next page).', schema: { type: 'string', pattern: '^[0-9]{1,15}$' } },
        { name: 'limit', description: `At most this many (1 to ${MAX_WEBHOOK_DELIVERIES}; default 100).`, schema: { type: 'string', pattern: '^[0-9]{1,4}$' } },
      ],
      responses: [{ status: 200, description: 'The attempts.', schema: { type: 'array', items: componentRef('WebhookDelivery') } }],
      errors: [err(400, 'A parameter is out of range or unknown', 'KL_API_BAD_PAGINATION', 'KL_API_VALIDATION'), ...adminErrors],
    },
    {
      id: 'replayWebhookDelivery',
      method: 'POST',
      path: '/admin/webhooks/deliveries/:id/replay',
      tag: WEBHOOKS_TAG,
      summary: 'Replay a delivery',
      description: 'Deliver the event of a logged attempt again, with the same `webhook-id`, its attempts counted from 0. Works on a finished event (delivered, or dead after its last attempt); replaying enables a disabled endpoint again.',
      auth: 'admin',
      params: [{ name: 'id', description: 'The delivery log entry\'s `id`.', schema: { type: 'string', pattern: '^[0-9]{1,15}$' } }],
      responses: [{ status: 202, description: 'The event is pending again.', schema: componentRef('WebhookReplay') }],
      errors: [...adminErrors, err(404, 'No entry has this id, or its event is no longer kept', 'KL_API_NOT_FOUND'), err(409, 'The event is still pending or being delivered', 'KL_API_CONFLICT')],
    },
  ]
  return {
    tag: { name: WEBHOOKS_TAG, description: 'Webhook deliveries: the log of attempts and replay. Needs an admin\'s own session (not an impersonation) or the service key.' },
    routes,
    schemas: webhooksSchemas(names),
  }
}

function webhooksSchemas(names: readonly string[]): Record<string, RouteSchema> {
  return {
    WebhookDelivery: {
      type: 'object',
      description: 'One attempt to deliver a webhook event.',
      properties: {
        id: { type: 'integer' },
        jobId: { type: 'integer', description: 'The event\'s queue run (GET /admin/jobs/runs/:id).' },
        webhook: { type: 'string', enum: [...names] },
        messageId: { type: 'string', description: 'The `webhook-id` header: the same on every attempt and replay of one event.' },
        eventType: { type: 'string', description: '`<table>.<operation>`.' },
        attempt: { type: 'integer', description: '1 for the first attempt.' },
        status: { type: ['integer', 'null'], description: 'The HTTP status; null when no answer came.' },
        ok: { type: 'boolean', description: 'A 2xx within 15 s.' },
        latencyMs: { type: 'integer' },
        response: { type: ['string', 'null'], description: 'The answer\'s body, cut at 2 KiB.' },
        error: { type: ['string', 'null'] },
        at: { type: 'string', format: 'date-time' },
      },
      required: ['id', 'jobId', 'webhook', 'messageId', 'eventType', 'attempt', 'status', 'ok', 'latencyMs', 'response', 'error', 'at'],
    },
    WebhookReplay: {
      type: 'object',
      description: 'The event a replay put back in the queue.',
      properties: {
        jobId: { type: 'integer' },
        webhook: { type: 'string', enum: [...names] },
        messageId: { type: 'string' },
        status: { type: 'string', enum: ['pending'] },
      },
      required: ['jobId', 'webhook', 'messageId', 'status'],
    },
  }
}
