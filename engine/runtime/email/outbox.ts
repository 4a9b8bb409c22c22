import type { SqliteDatabase } from '../../shared/sqlite.ts'
import { uuidv7 } from '../../shared/uuid.ts'
import { statementsOf } from '../data/statement-cache.ts'

const INSERT = 'INSERT INTO "_koya_outbox" ("id", "kind", "to", "subject", "html", "text", "createdAt", "sentAt") VALUES (?, ?, ?, ?, ?, ?, ?, NULL)'

/** One email to send: a row of `_koya_outbox` until a worker sends it. */
export interface OutboxMessage {
  /** What the email is for: the template name ('verify-email', 'reset-password'). */
  readonly kind: string
  readonly to: string
  readonly subject: string
  readonly html: string
  readonly text: string
}

/**
 * Queue an email: insert it into `_koya_outbox`, to be sent by the email worker. Called inside the
 * caller's transaction when there is one, so an email exists only if what it announces committed.
 *
 * @example
 * const email = await renderEmail('reset-password', { appName, email: user.email, link })
 * enqueueEmail(db, { kind: 'reset-password', to: user.email, ...email }, clock())
 */
export function enqueueEmail(db: SqliteDatabase, message: OutboxMessage, now: Date): void {
  statementsOf(db).run(INSERT, [uuidv7(now.getTime()), message.kind, message.to, message.subject, message.html, message.text, now.toISOString()])
}
