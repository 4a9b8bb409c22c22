import type { SystemMigration } from '../system/system-schema.ts'

/**
 * The auth module's `_koya_*` tables: credentials, sessions, one-time tokens, OAuth accounts and
 * role grants. The first entry predates feature modules and also created the audit log (the admin
 * module reads it) and the email outbox; published entries are never edited, so they stay here.
 *
 * References to `users(id)` resolve when rows are written, so the tables can be created before
 * the app's first migration makes `users` (SQLite checks foreign keys on DML, not on CREATE).
 */
export const AUTH_SYSTEM_MIGRATIONS: readonly SystemMigration[] = [
  {
    name: 'auth',
    sql: `
CREATE TABLE "_koya_credentials" (
  "userId" TEXT PRIMARY KEY NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
  "passwordHash" TEXT NOT NULL,
  "updatedAt" TEXT NOT NULL
) STRICT;

CREATE TABLE "_koya_sessions" (
  "id" TEXT PRIMARY KEY NOT NULL,
  "userId" TEXT NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
  "createdAt" TEXT NOT NULL,
  "expiresAt" TEXT NOT NULL,
  "absoluteExpiresAt" TEXT NOT NULL,
  "impersonatorId" TEXT REFERENCES "users"("id") ON DELETE CASCADE,
  "impersonatorSessionId" TEXT REFERENCES "_koya_sessions"("id") ON DELETE CASCADE,
  "reason" TEXT
) STRICT;
CREATE INDEX "_koya_sessions_userId" ON "_koya_sessions" ("userId");
CREATE INDEX "_koya_sessions_impersonatorSessionId" ON "_koya_sessions" ("impersonatorSessionId") WHERE "impersonatorSessionId" IS NOT NULL;

CREATE TABLE "_koya_tokens" (
  "id" TEXT PRIMARY KEY NOT NULL,
  "kind" TEXT NOT NULL CHECK ("kind" IN ('verify-email', 'reset-password')),
  "userId" TEXT NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
  "email" TEXT NOT NULL,
  "createdAt" TEXT NOT NULL,
  "expiresAt" TEXT NOT NULL
) STRICT;
CREATE INDEX "_koya_tokens_userId_kind" ON "_koya_tokens" ("userId", "kind");

CREATE TABLE "_koya_oauth_accounts" (
  "provider" TEXT NOT NULL,
  "providerUserId" TEXT NOT NULL,
  "userId" TEXT NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
  "email" TEXT,
  "createdAt" TEXT NOT NULL,
  PRIMARY KEY ("provider", "providerUserId")
);
CREATE INDEX "_koya_oauth_accounts_userId" ON "_koya_oauth_accounts" ("userId");

CREATE TABLE "_koya_role_grants" (
  "userId" TEXT NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
  "role" TEXT NOT NULL,
  "grantedBy" TEXT,
  "createdAt" TEXT NOT NULL,
  PRIMARY KEY ("userId", "role")
) STRICT, WITHOUT ROWID;

CREATE TABLE "_koya_audit_log" (
  "id" TEXT PRIMARY KEY NOT NULL,
  "at" TEXT NOT NULL,
  "actorId" TEXT,
  "subjectId" TEXT,
  "action" TEXT NOT NULL,
  "reason" TEXT,
  "requestId" TEXT,
  "detail" TEXT
) STRICT;
CREATE INDEX "_koya_audit_log_at" ON "_koya_audit_log" ("at");
CREATE INDEX "_koya_audit_log_actorId_at" ON "_koya_audit_log" ("actorId", "at");
CREATE INDEX "_koya_audit_log_subjectId_at" ON "_koya_audit_log" ("subjectId", "at");
CREATE INDEX "_koya_audit_log_action_at" ON "_koya_audit_log" ("action", "at");

CREATE TABLE "_koya_outbox" (
  "id" TEXT PRIMARY KEY,
  "kind" TEXT NOT NULL,
  "to" TEXT NOT NULL,
  "subject" TEXT NOT NULL,
  "html" TEXT NOT NULL,
  "text" TEXT NOT NULL,
  "createdAt" TEXT NOT NULL,
  "sentAt" TEXT
);
CREATE INDEX "_koya_outbox_unsent" ON "_koya_outbox" ("createdAt") WHERE "sentAt" IS NULL;
`,
  },
]
