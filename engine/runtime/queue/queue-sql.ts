/**
 * The queue's statements. Each runs as its own statement through the connection's prepared
 * statement cache (`statementsOf(db)`): enqueue, claim and complete are one commit each.
 *
 * The claim is `UPDATE … WHERE "id" = (SELECT … LIMIT 1)`, the shape that stays in the tens of
 * microseconds on SQLite (PITFALLS: `IN (SELECT … LIMIT n)` was 10-20× slower).
 */

const COLUMNS = '"kind", "payload", "priority", "runAt", "maxAttempts", "uniqueKey", "slot", "groupKey", "groupLimit", "createdAt"'
const VALUES = '?, ?, ?, ?, ?, ?, ?, ?, ?, ?'

export const SQL = {
  insert: `INSERT INTO "_koya_jobs" (${COLUMNS}) VALUES (${VALUES})`,
  /** A unique job or a cron slot: nothing when one is already pending (or the slot exists). */
  insertOnce: `INSERT INTO "_koya_jobs" (${COLUMNS}) VALUES (${VALUES}) ON CONFLICT DO NOTHING`,
  /** Debounce: a pending job with the key takes the newest payload and waits again. */
  insertDebounced: `INSERT INTO "_koya_jobs" (${COLUMNS}) VALUES (${VALUES})
ON CONFLICT ("kind", "uniqueKey") WHERE "status" = 'pending' AND "uniqueKey" IS NOT NULL
DO UPDATE SET "payload" = excluded."payload", "runAt" = excluded."runAt", "priority" = excluded."priority"`,
  pendingByKey: `SELECT "id" FROM "_koya_jobs" WHERE "kind" = ? AND "uniqueKey" = ? AND "status" = 'pending'`,
  bySlot: `SELECT "id" FROM "_koya_jobs" WHERE "kind" = ? AND "slot" = ?`,

  /** Parameters: leaseUntil, worker, now, now, kinds to skip (JSON array; those at their concurrency). */
  claim: claimSql(false),
  claimSkipping: claimSql(true),

  /** Parameters: now, payload (null: unchanged), result, id, attempts (the fencing token). */
  complete: `UPDATE "_koya_jobs" SET "status" = CASE WHEN "cancelRequested" = 1 THEN 'cancelled' ELSE 'done' END, "finishedAt" = ?, "payload" = coalesce(?, "payload"), "result" = ?, "leaseUntil" = NULL
WHERE "id" = ? AND "attempts" = ? AND "status" = 'running'`,
  /** Parameters: status ('pending' | 'dead' | 'cancelled'), runAt, lastError, finishedAt, payload (null: unchanged), id, attempts. */
  fail: `UPDATE "_koya_jobs" SET "status" = ?, "runAt" = coalesce(?, "runAt"), "lastError" = ?, "finishedAt" = ?, "payload" = coalesce(?, "payload"), "leaseUntil" = NULL, "worker" = NULL
WHERE "id" = ? AND "attempts" = ? AND "status" = 'running'`,
  /** Shutdown: the run goes back as it was, its attempt not counted. Parameters: now, id, attempts. */
  release: `UPDATE "_koya_jobs" SET "status" = 'pending', "attempts" = "attempts" - 1, "runAt" = ?, "leaseUntil" = NULL, "worker" = NULL
WHERE "id" = ? AND "attempts" = ? AND "status" = 'running'`,
  /** "Not now" (the app in maintenance): back to pending at runAt, the attempt not counted. Parameters: runAt, lastError, id, attempts. */
  defer: `UPDATE "_koya_jobs" SET "status" = 'pending', "attempts" = "attempts" - 1, "runAt" = ?, "lastError" = ?, "leaseUntil" = NULL, "worker" = NULL
WHERE "id" = ? AND "attempts" = ? AND "status" = 'running'`,
  heartbeat: `UPDATE "_koya_jobs" SET "leaseUntil" = ? WHERE "worker" = ? AND "status" = 'running'`,
  cancelRequestedOf: `SELECT "id" FROM "_koya_jobs" WHERE "worker" = ? AND "status" = 'running' AND "cancelRequested" = 1`,
  expired: `SELECT "id", "kind", "payload", "attempts", "maxAttempts" FROM "_koya_jobs" WHERE "status" = 'running' AND "leaseUntil" < ? LIMIT 100`,
  /**
   * Finished rows past retention, looked for among the oldest 10,000 rows only (rowid order is
   * creation order): no index on finishedAt, which would cost every completion an index write.
   */
  purge: `DELETE FROM "_koya_jobs" WHERE "id" IN (SELECT "id" FROM (SELECT "id", "status", "finishedAt" FROM "_koya_jobs" ORDER BY "id" LIMIT 10000) WHERE "finishedAt" < ? AND "status" IN ('done', 'cancelled'))`,
  progress: `UPDATE "_koya_jobs" SET "progress" = ? WHERE "id" = ? AND "attempts" = ? AND "status" = 'running'`,

  get: `SELECT * FROM "_koya_jobs" WHERE "id" = ?`,
  /** Parameters: now, payload (null: unchanged), id. */
  cancelPending: `UPDATE "_koya_jobs" SET "status" = 'cancelled', "finishedAt" = ?, "lastError" = 'cancelled', "payload" = coalesce(?, "payload") WHERE "id" = ? AND "status" = 'pending'`,
  requestCancel: `UPDATE "_koya_jobs" SET "cancelRequested" = 1 WHERE "id" = ? AND "status" = 'running'`,
  retry: `UPDATE "_koya_jobs" SET "status" = 'pending', "attempts" = 0, "runAt" = ?, "cancelRequested" = 0, "finishedAt" = NULL, "leaseUntil" = NULL, "worker" = NULL, "progress" = NULL
WHERE "id" = ? AND "status" IN ('done', 'dead', 'cancelled')`,
} as const

function claimSql(skipping: boolean): string {
  return `UPDATE "_koya_jobs" SET "status" = 'running', "attempts" = "attempts" + 1, "leaseUntil" = ?, "worker" = ?, "startedAt" = ?
WHERE "id" = (
  SELECT j."id" FROM "_koya_jobs" j
  WHERE j."status" = 'pending' AND j."runAt" <= ?${skipping ? ' AND j."kind" NOT IN (SELECT "value" FROM json_each(?))' : ''}
    AND (j."groupKey" IS NULL OR (SELECT count(*) FROM "_koya_jobs" r WHERE r."status" = 'running' AND r."kind" = j."kind" AND r."groupKey" = j."groupKey") < j."groupLimit")
  ORDER BY j."priority" DESC, j."runAt", j."id" LIMIT 1)
RETURNING "id", "kind", "payload", "attempts", "maxAttempts", "cancelRequested"`
}

/** A row as the admin API and `queue.get` show it. */
export interface JobRow {
  readonly id: number
  readonly kind: string
  readonly payload: string
  readonly status: JobStatus
  readonly priority: number
  readonly runAt: number
  readonly attempts: number
  readonly maxAttempts: number | null
  readonly uniqueKey: string | null
  readonly slot: string | null
  readonly groupKey: string | null
  readonly groupLimit: number | null
  readonly leaseUntil: number | null
  readonly worker: string | null
  readonly cancelRequested: number
  readonly progress: string | null
  readonly result: string | null
  readonly lastError: string | null
  readonly createdAt: number
  readonly startedAt: number | null
  readonly finishedAt: number | null
}

export type JobStatus = 'pending' | 'running' | 'done' | 'dead' | 'cancelled'

export const JOB_STATUSES: readonly JobStatus[] = ['pending', 'running', 'done', 'dead', 'cancelled']

/** What a claim returns. */
export interface ClaimedRow {
  readonly id: number
  readonly kind: string
  readonly payload: string
  readonly attempts: number
  readonly maxAttempts: number | null
  readonly cancelRequested: number
  /** Returned by the claim of a rate-limited kind (its key's window is counted). */
  readonly groupKey?: string | null
}
