import type { WebhookIR } from '../../ir/project-ir.ts'
import type { WebhookEvent } from '../../shared/handler-context.ts'
import { uuidv7 } from '../../shared/uuid.ts'
import type { DataLayer } from '../data/data-layer.ts'
import type { RowObject, WriteEvent } from '../data/write-events.ts'
import type { WebhookHandlers } from '../handlers/load-handlers.ts'
import type { Queue } from '../queue/queue.ts'

/** What a webhook's queue row holds: the `webhook-id` every attempt sends, and the JSON body. */
export interface WebhookMessage {
  readonly id: string
  /** `<table>.<operation>`. */
  readonly type: string
  readonly body: unknown
}

/** The largest body POSTed, in bytes of JSON. A larger event is sent with its records cut to their ids (`truncated: true`). */
export const MAX_PAYLOAD_BYTES = 256 * 1024

/** The queue kind of a webhook's deliveries: `webhook:<name>`. */
export function webhookKind(name: string): string {
  return `webhook:${name}`
}

export interface WebhookEventDeps {
  readonly data: DataLayer
  readonly queue: Queue
  readonly clock: () => Date
  readonly handlers: Readonly<Record<string, WebhookHandlers>>
  readonly log: { error(fields: Readonly<Record<string, unknown>>, message: string): void }
}

/**
 * One transaction-phase write subscriber per webhook: each event of its table and operations is
 * passed through the webhook's `filter` and `transform` and enqueued in the write's own
 * transaction (a write that rolls back sends nothing; a committed one is delivered at least
 * once). Returns the unsubscribers.
 *
 * A `filter` or `transform` that throws does not undo the user's write: the event is not sent and
 * the error is logged (decision 64).
 *
 * @example
 * const stops = subscribeWebhookEvents(model.webhooks ?? [], { data, queue, clock, handlers: handlers.webhooks, log })
 */
export function subscribeWebhookEvents(webhooks: readonly WebhookIR[], deps: WebhookEventDeps): (() => void)[] {
  return webhooks.map((webhook) => {
    const code = deps.handlers[webhook.name] ?? {}
    const kind = webhookKind(webhook.name)
    return deps.data.events.subscribe({
      phase: 'transaction',
      tables: [webhook.table],
      operations: webhook.on,
      handle(events) {
        const timestamp = deps.clock().toISOString()
        for (const change of events) {
          const event = eventOf(change, timestamp)
          let body: unknown = payloadOf(event)
          try {
            if (code.filter !== undefined && code.filter(event) !== true) continue
            if (code.transform !== undefined) body = code.transform(event)
            // Inside the guard: a transform's body that JSON cannot write (a BigInt, a cycle, a
            // function) is the transform's failure, not the write's.
            body = capped(body, event)
          } catch (error) {
            deps.log.error({ err: error, webhook: webhook.name, type: event.type }, 'a webhook filter or transform threw: the event is not sent')
            continue
          }
          const message: WebhookMessage = { id: `msg_${uuidv7(Date.parse(timestamp)).replaceAll('-', '')}`, type: event.type, body }
          deps.queue.enqueue(kind, message)
        }
      },
    })
  })
}

function eventOf(change: WriteEvent, timestamp: string): WebhookEvent {
  return { type: `${change.table}.${change.operation}`, table: change.table, operation: change.operation, record: change.new, oldRecord: change.old, timestamp }
}

/** The body POSTed without a transform: `type`, `table`, `record`, `oldRecord`, `timestamp`. */
function payloadOf(event: WebhookEvent): Record<string, unknown> {
  return { type: event.type, table: event.table, record: event.record, oldRecord: event.oldRecord, timestamp: event.timestamp }
}

function capped(body: unknown, event: WebhookEvent): unknown {
  const text: string | undefined = JSON.stringify(body ?? null)
  if (text === undefined) throw new TypeError(`a webhook body must be JSON; the transform returned a ${typeof body}`)
  if (Buffer.byteLength(text) <= MAX_PAYLOAD_BYTES) return body ?? null
  const idOnly = (row: RowObject | null) => (row === null ? null : { id: row.id })
  return { ...payloadOf(event), record: idOnly(event.record as RowObject | null), oldRecord: idOnly(event.oldRecord as RowObject | null), truncated: true }
}
