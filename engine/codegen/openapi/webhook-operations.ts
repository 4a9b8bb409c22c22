import type { ProjectIR, WebhookIR } from '../../ir/project-ir.ts'
import type { JsonSchema } from '../json-schema/column-schemas.ts'
import type { ParameterObject, PathItemObject } from './openapi-types.ts'

/** The Standard Webhooks headers every delivery carries. */
const HEADERS: readonly ParameterObject[] = [
  { name: 'webhook-id', in: 'header', required: true, description: 'The event\'s id (`msg_…`): the same on every retry and replay, so a receiver can drop repeats.', schema: { type: 'string' } },
  { name: 'webhook-timestamp', in: 'header', required: true, description: 'When this attempt was sent, in seconds since the epoch. Refuse a timestamp far from now (replays).', schema: { type: 'string', pattern: '^[0-9]+$' } },
  {
    name: 'webhook-signature',
    in: 'header',
    required: true,
    description: 'Space-separated `v1,<base64>` HMAC-SHA256 signatures of `<webhook-id>.<webhook-timestamp>.<body>` with the secret\'s key (`whsec_<base64>`); two while a rotated secret is still honoured. Verify with any Standard Webhooks library.',
    schema: { type: 'string' },
  },
]

/**
 * OpenAPI 3.1's top-level `webhooks`: one entry per webhook of the app, the POST it receives,
 * its body the event (`type`, `table`, `record`, `oldRecord`, `timestamp`) with the table's row
 * schema, or any JSON when a `transform` shapes it.
 *
 * @example
 * webhookOperations(ir, (table) => `#/components/schemas/${table}`).taskDone?.post?.operationId // 'taskDoneWebhook'
 */
export function webhookOperations(ir: ProjectIR, rowRef: (table: string) => string | undefined): Record<string, PathItemObject> | undefined {
  const webhooks = ir.webhooks ?? []
  if (webhooks.length === 0) return undefined
  return Object.fromEntries(webhooks.map((webhook) => [webhook.name, { post: operationOf(webhook, rowRef(webhook.table)) }]))
}

function operationOf(webhook: WebhookIR, rowRef: string | undefined) {
  const on = webhook.on.map((operation) => `\`${operation}\``).join(', ')
  return {
    operationId: `${webhook.name}Webhook`,
    summary: `${webhook.table}: ${webhook.on.join(', ')}`,
    description: [
      `Sent to the webhook's URL when rows of \`${webhook.table}\` change (${on})${webhook.hasFilter ? ' and its filter admits the event' : ''}, at least once: the event is recorded in the change's own transaction.`,
      'Answer 2xx within 15 s; anything else (a redirect too) is retried with the same `webhook-id`: after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, no sooner than a `Retry-After`. Answering 410 Gone disables the endpoint.',
    ].join('\n\n'),
    tags: ['Webhooks'],
    parameters: HEADERS,
    requestBody: { description: webhook.hasTransform ? 'What the webhook\'s `transform` returns for the event.' : 'The event.', required: true, content: { 'application/json': { schema: webhook.hasTransform ? { description: 'Shaped by the webhook\'s transform.' } : eventSchema(webhook, rowRef) } } },
    responses: { '200': { description: 'Any 2xx: delivered.' }, '410': { description: 'Gone: the endpoint is disabled; no more deliveries until it is enabled again.' } },
    security: [],
  }
}

function eventSchema(webhook: WebhookIR, rowRef: string | undefined): JsonSchema {
  const row: JsonSchema = rowRef === undefined ? { type: 'object' } : { $ref: rowRef }
  const nullableRow = { anyOf: [row, { type: 'null' }] }
  return {
    type: 'object',
    properties: {
      type: { type: 'string', enum: webhook.on.map((operation) => `${webhook.table}.${operation}`), description: '`<table>.<operation>`.' },
      table: { type: 'string', const: webhook.table },
      record: { ...nullableRow, description: 'The row after the change, as the REST API reads it; null for a delete.' },
      oldRecord: { ...nullableRow, description: 'The row before the change; null for a create.' },
      timestamp: { type: 'string', format: 'date-time', description: 'When the change was made (UTC).' },
      truncated: { type: 'boolean', description: 'Present and true when the event was over 256 KiB: `record` and `oldRecord` then hold only the id.' },
    },
    required: ['type', 'table', 'record', 'oldRecord', 'timestamp'],
  }
}
