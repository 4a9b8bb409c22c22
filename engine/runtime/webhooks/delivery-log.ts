import type { SqliteDatabase } from '../../shared/sqlite.ts'
import { statementsOf } from '../data/statement-cache.ts'

/** One attempt to deliver an event, as the delivery log keeps it and GET /admin/webhooks/deliveries shows it. */
export interface WebhookDeliveryView {
  readonly id: number
  /** The queue row of the event (`GET /admin/jobs/runs/:id`); replay runs it again. */
  readonly jobId: number
  readonly webhook: string
  /** The `webhook-id` sent: the same on every attempt and replay of one event. */
  readonly messageId: string
  readonly eventType: string
  readonly attempt: number
  /** The HTTP status; null when no answer came. */
  readonly status: number | null
  readonly ok: boolean
  readonly latencyMs: number
  /** The answer's body, cut at 2 KiB. */
  readonly response: string | null
  readonly error: string | null
  readonly at: string
}

export interface DeliveryFilter {
  readonly webhook?: string
  readonly ok?: boolean
  readonly jobId?: number
  readonly before?: number
  readonly limit?: number
}

export interface DeliveryLog {
  record(entry: Omit<WebhookDeliveryView, 'id' | 'at'>, at: number): void
  get(id: number): WebhookDeliveryView | undefined
  list(filter: DeliveryFilter): WebhookDeliveryView[]
  /** Delete entries older than `before` (a bounded batch). */
  purge(before: number): void
}

interface Row extends Omit<WebhookDeliveryView, 'ok' | 'at'> {
  readonly ok: number
  readonly at: number
}

const INSERT = 'INSERT INTO "_koya_webhook_deliveries" ("jobId", "webhook", "messageId", "eventType", "attempt", "status", "ok", "latencyMs", "response", "error", "at") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'

/**
 * The delivery log (`_koya_webhook_deliveries`): one row per attempt, newest first.
 *
 * @example
 * const log = createDeliveryLog(db)
 * log.list({ webhook: 'taskDone', ok: false, limit: 50 })
 */
export function createDeliveryLog(db: SqliteDatabase): DeliveryLog {
  const statements = statementsOf(db)
  const view = (row: Row): WebhookDeliveryView => ({ ...row, ok: row.ok === 1, at: new Date(row.at).toISOString() })
  return {
    record(entry, at) {
      statements.run(INSERT, [entry.jobId, entry.webhook, entry.messageId, entry.eventType, entry.attempt, entry.status, entry.ok ? 1 : 0, entry.latencyMs, entry.response, entry.error, at])
    },
    get(id) {
      const row = statements.all('SELECT * FROM "_koya_webhook_deliveries" WHERE "id" = ?', [id])[0] as Row | undefined
      return row === undefined ? undefined : view(row)
    },
    list(filter) {
      const where: string[] = []
      const parameters: unknown[] = []
      if (filter.webhook !== undefined) (where.push('"webhook" = ?'), parameters.push(filter.webhook))
      if (filter.ok !== undefined) (where.push('"ok" = ?'), parameters.push(filter.ok ? 1 : 0))
      if (filter.jobId !== undefined) (where.push('"jobId" = ?'), parameters.push(filter.jobId))
      if (filter.before !== undefined) (where.push('"id" < ?'), parameters.push(filter.before))
      const sql = `SELECT * FROM "_koya_webhook_deliveries"${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY "id" DESC LIMIT +?`
      return (statements.all(sql, [...parameters, Math.min(Math.max(filter.limit ?? 100, 1), 1000)]) as Row[]).map(view)
    },
    purge(before) {
      statements.run('DELETE FROM "_koya_webhook_deliveries" WHERE "id" IN (SELECT "id" FROM "_koya_webhook_deliveries" WHERE "at" < ? LIMIT 1000)', [before])
    },
  }
}
