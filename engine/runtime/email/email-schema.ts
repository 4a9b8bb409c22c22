import type { SystemMigration } from '../system/system-schema.ts'

/**
 * The mail catcher's table, and the move of the outbox of earlier versions (`_koya_outbox`, auth's
 * emails) into the one queue: each unsent message becomes a pending `email` row of `_koya_jobs`
 * (sent ones are kept as done rows without their bodies, which held one-time links).
 */
export const EMAIL_MIGRATIONS: readonly SystemMigration[] = [
  {
    name: 'email_0001_catcher_and_outbox',
    sql: `
CREATE TABLE "_koya_emails" (
  "id" INTEGER PRIMARY KEY,
  "jobId" INTEGER,
  "tag" TEXT,
  "from" TEXT,
  "to" TEXT NOT NULL,
  "subject" TEXT NOT NULL,
  "html" TEXT,
  "text" TEXT,
  "createdAt" INTEGER NOT NULL
) STRICT;

INSERT INTO "_koya_jobs" ("kind", "payload", "status", "runAt", "maxAttempts", "createdAt", "finishedAt")
SELECT 'email',
       CASE WHEN "sentAt" IS NULL
            THEN json_object('to', json_array("to"), 'subject', "subject", 'html', "html", 'text', "text", 'tag', "kind", 'idempotencyKey', "id")
            ELSE json_object('to', json_array("to"), 'subject', "subject", 'tag', "kind") END,
       CASE WHEN "sentAt" IS NULL THEN 'pending' ELSE 'done' END,
       CAST(strftime('%s', "createdAt") AS INTEGER) * 1000, NULL,
       CAST(strftime('%s', "createdAt") AS INTEGER) * 1000,
       CASE WHEN "sentAt" IS NULL THEN NULL ELSE CAST(strftime('%s', "sentAt") AS INTEGER) * 1000 END
FROM "_koya_outbox" ORDER BY "id";
DROP TABLE "_koya_outbox";
`,
  },
]
