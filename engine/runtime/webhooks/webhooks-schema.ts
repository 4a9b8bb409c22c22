import type { SystemMigration } from '../system/system-schema.ts'

/**
 * The webhooks' own tables. The events themselves are queue rows (`_koya_jobs`, kind
 * `webhook:<name>`): written in the change's transaction, one row per event and endpoint.
 *
 * - `_koya_webhook_endpoints`: one row per webhook of the config: whether it is disabled (and
 *   why), since when every attempt has failed, and the secret rotation in progress (fingerprints
 *   only: a secret is never stored).
 * - `_koya_webhook_deliveries`: the delivery log, one row per attempt: the queue row (`jobId`),
 *   the `webhook-id` sent, the HTTP status (null: no answer), the latency, the answer's body cut
 *   at 2 KiB, the error. Times in milliseconds since the epoch.
 */
export const WEBHOOK_MIGRATIONS: readonly SystemMigration[] = [
  {
    name: 'webhooks_0001_endpoints_deliveries',
    sql: `
CREATE TABLE "_koya_webhook_endpoints" (
  "name" TEXT PRIMARY KEY NOT NULL,
  "disabledAt" INTEGER,
  "disabledReason" TEXT,
  "failingSince" INTEGER,
  "lastSuccessAt" INTEGER,
  "secretFingerprint" TEXT,
  "previousFingerprint" TEXT,
  "rotatedAt" INTEGER
) STRICT, WITHOUT ROWID;
CREATE TABLE "_koya_webhook_deliveries" (
  "id" INTEGER PRIMARY KEY,
  "jobId" INTEGER NOT NULL,
  "webhook" TEXT NOT NULL,
  "messageId" TEXT NOT NULL,
  "eventType" TEXT NOT NULL,
  "attempt" INTEGER NOT NULL,
  "status" INTEGER,
  "ok" INTEGER NOT NULL,
  "latencyMs" INTEGER NOT NULL,
  "response" TEXT,
  "error" TEXT,
  "at" INTEGER NOT NULL
) STRICT;
CREATE INDEX "_koya_webhook_deliveries_webhook" ON "_koya_webhook_deliveries" ("webhook", "id");
CREATE INDEX "_koya_webhook_deliveries_job" ON "_koya_webhook_deliveries" ("jobId");
CREATE INDEX "_koya_webhook_deliveries_at" ON "_koya_webhook_deliveries" ("at");
`,
  },
]
