import type { SqliteDatabase } from '../../shared/sqlite.ts'
import { uuidv7 } from '../../shared/uuid.ts'
import { statementsOf } from '../data/statement-cache.ts'

/** The queue kind every email is a job of. */
export const EMAIL_KIND = 'email'

/**
 * An email as the queue stores it (`_koya_jobs.payload` of an `email` row). `secrets` are strings
 * (one-time tokens) blanked from `html` and `text` once the message is sent.
 */
export interface EmailPayload {
  readonly to: readonly string[]
  readonly subject: string
  readonly html?: string
  readonly text?: string
  /** One of the built-in templates, rendered when the message is sent (with `props`). */
  readonly template?: string
  readonly props?: Readonly<Record<string, unknown>>
  /** Sent to the provider: a retried send is delivered once. Made at enqueue when not given. */
  readonly idempotencyKey: string
  /** What the email is for ('verify-email', 'reset-password'), for the mail catcher and tests. */
  readonly tag?: string
  readonly secrets?: readonly string[]
}

/** One email to send, already rendered (the auth emails). */
export interface OutboxMessage {
  /** What the email is for: the template name ('verify-email', 'reset-password'). */
  readonly kind: string
  readonly to: string
  readonly subject: string
  readonly html: string
  readonly text: string
  /** Strings to blank from the stored bodies once sent (the link's token). */
  readonly secrets?: readonly string[]
}

const INSERT = 'INSERT INTO "_koya_jobs" ("kind", "payload", "runAt", "createdAt") VALUES (?, ?, ?, ?)'

/**
 * Queue an email: a pending `email` row of `_koya_jobs`, sent by the email module's worker. Called
 * inside the caller's transaction when there is one, so an email exists only if what it announces
 * committed. A plain insert on the connection: the caller needs no queue object (auth registers
 * before the queue module); the worker finds the row within its poll interval.
 *
 * @example
 * const email = await renderEmail('reset-password', { appName, email: user.email, link })
 * enqueueEmail(db, { kind: 'reset-password', to: user.email, ...email, secrets: [token] }, clock())
 */
export function enqueueEmail(db: SqliteDatabase, message: OutboxMessage, now: Date): void {
  const payload: EmailPayload = {
    to: [message.to],
    subject: message.subject,
    html: message.html,
    text: message.text,
    tag: message.kind,
    idempotencyKey: uuidv7(now.getTime()),
    ...(message.secrets !== undefined && message.secrets.length > 0 ? { secrets: message.secrets } : {}),
  }
  statementsOf(db).run(INSERT, [EMAIL_KIND, JSON.stringify(payload), now.getTime(), now.getTime()])
}

/**
 * The payload as stored after a successful send: every secret replaced in the bodies by
 * `[sent]`, the list itself dropped.
 *
 * @example
 * scrubEmail({ to: ['a@example.com'], subject: 'Verify', text: 'open /verify?token=abc', secrets: ['abc'], idempotencyKey: 'k' }).text // 'open /verify?token=[sent]'
 */
export function scrubEmail(payload: EmailPayload): EmailPayload {
  const secrets = (payload.secrets ?? []).filter((s) => s.length > 0)
  if (secrets.length === 0) return payload
  const blank = (body: string | undefined) => (body === undefined ? undefined : secrets.reduce((text, secret) => text.split(secret).join('[sent]'), body))
  const { secrets: _dropped, html, text, ...rest } = payload
  const scrubbed: EmailPayload = { ...rest, ...(html !== undefined ? { html: blank(html)! } : {}), ...(text !== undefined ? { text: blank(text)! } : {}) }
  return scrubbed
}
