import type { SystemMigration } from '../system/system-schema.ts'

/** At most `max` runs started in each window of `perMs` (fixed windows, aligned to the epoch). */
export interface RateLimit {
  readonly max: number
  readonly perMs: number
}

/** A kind's limits: on all its runs, and on the runs of each group key (a tenant, a user). */
export interface KindRateLimit {
  readonly kind?: RateLimit | null
  readonly perKey?: RateLimit | null
}

/**
 * The starts counted in the current window, per kind (`key` '') and per kind and group key
 * (`key` 'k:' + the key), shared by every process on the database: a claim of a rate-limited kind
 * reads and counts them in the claim's own transaction. One row per (kind, key), replaced when a
 * new window starts; rows of windows long gone are purged.
 */
export const RATE_LIMIT_MIGRATION: SystemMigration = {
  name: 'queue_0002_rate_limits',
  sql: `
CREATE TABLE "_koya_job_rates" (
  "kind" TEXT NOT NULL,
  "key" TEXT NOT NULL,
  "until" INTEGER NOT NULL,
  "count" INTEGER NOT NULL,
  PRIMARY KEY ("kind", "key")
) STRICT, WITHOUT ROWID;
`,
}

/** The end of the window `at` falls in. */
export function windowEnd(limit: RateLimit, at: number): number {
  return (Math.floor(at / limit.perMs) + 1) * limit.perMs
}

export const KIND_KEY = ''
export const groupRateKey = (groupKey: string): string => `k:${groupKey}`

export const RATE_SQL = {
  /** Parameters: kind, key, now. */
  used: 'SELECT "count" FROM "_koya_job_rates" WHERE "kind" = ? AND "key" = ? AND "until" > ?',
  /** Parameters: kind, key, until (the window's end). */
  count: `INSERT INTO "_koya_job_rates" ("kind", "key", "until", "count") VALUES (?, ?, ?, 1)
ON CONFLICT ("kind", "key") DO UPDATE SET "count" = CASE WHEN "until" = excluded."until" THEN "count" + 1 ELSE 1 END, "until" = excluded."until"`,
  /** Parameters: now. */
  purge: 'DELETE FROM "_koya_job_rates" WHERE "until" <= ?',
} as const

/**
 * Claim the next ready run of one rate-limited kind, skipping group keys whose window is spent.
 * Parameters: leaseUntil, worker, now, now, kind, now (key windows), key max.
 */
export const CLAIM_LIMITED = `UPDATE "_koya_jobs" SET "status" = 'running', "attempts" = "attempts" + 1, "leaseUntil" = ?, "worker" = ?, "startedAt" = ?
WHERE "id" = (
  SELECT j."id" FROM "_koya_jobs" j
  WHERE j."status" = 'pending' AND j."runAt" <= ? AND j."kind" = ?
    AND (j."groupKey" IS NULL OR (SELECT count(*) FROM "_koya_jobs" r WHERE r."status" = 'running' AND r."kind" = j."kind" AND r."groupKey" = j."groupKey") < j."groupLimit")
    AND (j."groupKey" IS NULL OR coalesce((SELECT q."count" FROM "_koya_job_rates" q WHERE q."kind" = j."kind" AND q."key" = 'k:' || j."groupKey" AND q."until" > ?), 0) < ?)
  ORDER BY j."priority" DESC, j."runAt", j."id" LIMIT 1)
RETURNING "id", "kind", "payload", "attempts", "maxAttempts", "cancelRequested", "groupKey"`
