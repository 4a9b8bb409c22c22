import { z } from 'zod'
import { KoyaError } from '../../shared/errors.ts'

/**
 * The /realtime protocol: JSON text messages, both ways (docs/realtime.md). Client messages are
 * checked here; server messages are built as text (a change's row is the JSON text the data
 * layer built, spliced in, never parsed and printed again).
 */

const id = z.string().min(1).max(64)
const channel = z.string().regex(/^[A-Za-z0-9_.:@-]{1,128}$/)
const events = z.array(z.enum(['create', 'update', 'delete'])).min(1).max(3)

export const SubscribeMessage = z.strictObject({
  type: z.literal('subscribe'),
  /** The client's name for the subscription, echoed on every message for it. */
  id,
  table: z.string().min(1).max(128),
  /** A PostgREST filter, as a URL query (`status=eq.todo&or=(priority.gt.2,dueAt.is.null)`): the SDK's `where`, printed as for list. */
  filter: z.string().max(8192).optional(),
  events: events.optional(),
  /** Send the rows the subscription admits now, in the `subscribed` answer. */
  initial: z.boolean().optional(),
  /** Resume: the last event id the client received; what it missed comes first. */
  after: z.number().int().min(0).optional(),
})
export type SubscribeMessage = z.infer<typeof SubscribeMessage>

const ClientMessage = z.discriminatedUnion('type', [
  SubscribeMessage,
  z.strictObject({ type: z.literal('unsubscribe'), id }),
  /** Act as another session token (browsers cannot set headers on a WebSocket). */
  z.strictObject({ type: z.literal('auth'), token: z.string().min(1).max(512) }),
  z.strictObject({ type: z.literal('join'), channel, presence: z.record(z.string(), z.json()).optional() }),
  z.strictObject({ type: z.literal('part'), channel }),
  z.strictObject({ type: z.literal('broadcast'), channel, event: z.string().min(1).max(128), payload: z.json().optional() }),
  z.strictObject({ type: z.literal('ping') }),
])
export type ClientMessage = z.infer<typeof ClientMessage>

/** Most bytes a client message may have (the WebSocket's maxPayload). */
export const MAX_CLIENT_MESSAGE_BYTES = 64 * 1024

/** @throws KoyaError KL_API_REALTIME_BAD_MESSAGE */
export function parseClientMessage(text: string): ClientMessage {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new KoyaError('KL_API_REALTIME_BAD_MESSAGE', 'A realtime message is not JSON.')
  }
  const parsed = ClientMessage.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new KoyaError('KL_API_REALTIME_BAD_MESSAGE', `A realtime message is malformed at "${issue.path.join('.') || 'type'}": ${issue.message}.`)
  }
  return parsed.data
}

/** What a subscriber is told about a row. `enter`/`leave`: the row moved into or out of what it may read. */
export type ChangeKind = 'create' | 'update' | 'delete' | 'enter' | 'leave'

/** WebSocket close codes (4000-4999 are the application's). The reason is the error code. */
export const CLOSE = {
  sessionEnded: 4001,
  slowConsumer: 4008,
} as const

export const text = {
  change(sub: string, seq: number, event: ChangeKind, table: string, rowId: string, row: string | undefined): string {
    return `{"type":"change","id":${JSON.stringify(sub)},"seq":${seq},"event":"${event}","table":${JSON.stringify(table)},"rowId":${JSON.stringify(rowId)}${row === undefined ? '' : `,"row":${row}`}}`
  },
  subscribed(sub: string, last: number, rows: readonly string[] | undefined): string {
    return `{"type":"subscribed","id":${JSON.stringify(sub)},"last":${last}${rows === undefined ? '' : `,"rows":[${rows.join(',')}]`}}`
  },
  resync(sub: string, last: number, rows: readonly string[] | undefined): string {
    return `{"type":"resync","id":${JSON.stringify(sub)},"last":${last}${rows === undefined ? '' : `,"rows":[${rows.join(',')}]`}}`
  },
  /** `about`: the subscription (`id`) or channel the error concerns. */
  error(error: KoyaError, about: { readonly id?: string; readonly channel?: string } = {}): string {
    return JSON.stringify({ type: 'error', ...about, code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) })
  },
  heartbeat: (last: number) => `{"type":"heartbeat","last":${last}}`,
}
