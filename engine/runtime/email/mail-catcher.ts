import type { SqliteDatabase } from '../../shared/sqlite.ts'
import { statementsOf } from '../data/statement-cache.ts'

/** A message the mail catcher kept instead of sending it. */
export interface CaughtEmail {
  readonly id: number
  readonly jobId: number | null
  readonly tag: string | null
  readonly from: string | null
  readonly to: readonly string[]
  readonly subject: string
  readonly html: string | null
  readonly text: string | null
  readonly createdAt: string
}

const INSERT = 'INSERT INTO "_koya_emails" ("jobId", "tag", "from", "to", "subject", "html", "text", "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?)'
const LIST = 'SELECT * FROM "_koya_emails" WHERE (? IS NULL OR "to" LIKE ?) ORDER BY "id" DESC LIMIT +?'

interface EmailRow {
  readonly id: number
  readonly jobId: number | null
  readonly tag: string | null
  readonly from: string | null
  readonly to: string
  readonly subject: string
  readonly html: string | null
  readonly text: string | null
  readonly createdAt: number
}

/**
 * Development's stand-in for the provider: without an API key, messages are kept in
 * `_koya_emails` (listed at `GET /admin/emails`) instead of sent. It keeps the bodies whole (the
 * links must work while developing).
 */
export interface MailCatcher {
  keep(message: { readonly jobId: number; readonly tag: string | undefined; readonly from: string; readonly to: readonly string[]; readonly subject: string; readonly html: string | undefined; readonly text: string | undefined }, now: Date): void
  list(filter: { readonly to?: string; readonly limit: number }): CaughtEmail[]
}

/**
 * @example
 * const catcher = createMailCatcher(db)
 * catcher.list({ to: 'ada@example.com', limit: 10 })
 */
export function createMailCatcher(db: SqliteDatabase): MailCatcher {
  const statements = statementsOf(db)
  return {
    keep(message, now) {
      statements.run(INSERT, [message.jobId, message.tag ?? null, message.from, JSON.stringify(message.to), message.subject, message.html ?? null, message.text ?? null, now.getTime()])
    },
    list(filter) {
      const like = filter.to === undefined ? null : `%${JSON.stringify(filter.to).slice(1, -1).replace(/[%_]/g, '')}%`
      return (statements.all(LIST, [like, like, filter.limit]) as EmailRow[]).map((row) => ({ ...row, to: JSON.parse(row.to) as string[], createdAt: new Date(row.createdAt).toISOString() }))
    },
  }
}
