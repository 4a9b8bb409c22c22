import type { SystemMigration } from '../system/system-schema.ts'
import { RATE_LIMIT_MIGRATION } from './rate-limits.ts'

/**
 * The one durable queue, `_koya_jobs`: every job run, every email, later every webhook delivery,
 * is a row. Times are milliseconds since the epoch (INTEGER), so the claim query compares numbers.
 *
 * - `status`: `pending` (waiting for `runAt`), `running` (claimed; `leaseUntil` says until when
 *   the claim holds), `done`, `dead` (failed its last attempt, or failed for good), `cancelled`.
 * - `uniqueKey`: at most one *pending* row per (kind, uniqueKey): unique jobs and debounce.
 * - `slot`: a cron slot; (kind, slot) is unique for ever, so a slot runs once across restarts and
 *   processes.
 * - `groupKey` / `groupLimit`: at most `groupLimit` running rows of a kind per group (a tenant, a user).
 * - Few indexes: each costs every enqueue, claim or completion a write (two more halved the
 *   queue's throughput in bench/queue). Admin listings by kind scan by id.
 * - `attempts` counts claims; it is also the fencing token a worker completes with, so a run whose
 *   lease expired and was claimed again cannot complete the newer claim.
 */
export const QUEUE_MIGRATIONS: readonly SystemMigration[] = [
  {
    name: 'queue_0001_jobs',
    sql: `
CREATE TABLE "_koya_jobs" (
  "id" INTEGER PRIMARY KEY,
  "kind" TEXT NOT NULL,
  "payload" TEXT NOT NULL,
  "status" TEXT NOT NULL DEFAULT 'pending',
  "priority" INTEGER NOT NULL DEFAULT 0,
  "runAt" INTEGER NOT NULL,
  "attempts" INTEGER NOT NULL DEFAULT 0,
  "maxAttempts" INTEGER,
  "uniqueKey" TEXT,
  "slot" TEXT,
  "groupKey" TEXT,
  "groupLimit" INTEGER,
  "leaseUntil" INTEGER,
  "worker" TEXT,
  "cancelRequested" INTEGER NOT NULL DEFAULT 0,
  "progress" TEXT,
  "result" TEXT,
  "lastError" TEXT,
  "createdAt" INTEGER NOT NULL,
  "startedAt" INTEGER,
  "finishedAt" INTEGER
) STRICT;
CREATE INDEX "_koya_jobs_ready" ON "_koya_jobs" ("priority" DESC, "runAt", "id") WHERE "status" = 'pending';
CREATE INDEX "_koya_jobs_running" ON "_koya_jobs" ("leaseUntil") WHERE "status" = 'running';
CREATE INDEX "_koya_jobs_group" ON "_koya_jobs" ("kind", "groupKey") WHERE "status" = 'running' AND "groupKey" IS NOT NULL;
CREATE UNIQUE INDEX "_koya_jobs_unique" ON "_koya_jobs" ("kind", "uniqueKey") WHERE "status" = 'pending' AND "uniqueKey" IS NOT NULL;
CREATE UNIQUE INDEX "_koya_jobs_slot" ON "_koya_jobs" ("kind", "slot") WHERE "slot" IS NOT NULL;
`,
  },
  RATE_LIMIT_MIGRATION,
]
