import type { SqliteDatabase } from '../../shared/sqlite.ts'

/**
 * The `_koya_*` system tables: credentials, sessions, OAuth accounts, one-time tokens, role
 * grants, the audit log and the email outbox. Users never write these migrations and no
 * generated API, SDK or document exposes the tables.
 *
 * Each entry is applied once, in order, and recorded in `_koya_system_schema`. Entries are
 * append-only: a published entry is never edited (a database that applied it would never see
 * the change); a change is a new entry.
 *
 * References to `users(id)` resolve when rows are written, so the tables can be created before
 * the app's first migration makes `users` (SQLite checks foreign keys on DML, not on CREATE).
 */
export interface SystemMigration {
  readonly version: number
  readonly name: string
  readonly sql: string
}

export const SYSTEM_SCHEMA_TABLE = '_koya_system_schema'

export const SYSTEM_MIGRATIONS: readonly SystemMigration[] = [
  {
    version: 1,
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

/**
 * Bring the system tables up to date: apply each entry of SYSTEM_MIGRATIONS the database has not
 * recorded, each in its own transaction. Idempotent; returns the names applied.
 *
 * @example
 * applySystemSchema(db) // when the server is created, and by `koyalite migrate up`
 */
export function applySystemSchema(db: SqliteDatabase, now: () => Date = () => new Date()): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS "${SYSTEM_SCHEMA_TABLE}" (
  "version" INTEGER PRIMARY KEY NOT NULL,
  "name" TEXT NOT NULL,
  "appliedAt" TEXT NOT NULL
) STRICT;`)
  const applied = new Set((db.prepare(`SELECT "version" FROM "${SYSTEM_SCHEMA_TABLE}"`).all() as { version: number }[]).map((r) => r.version))
  const record = db.prepare(`INSERT INTO "${SYSTEM_SCHEMA_TABLE}" ("version", "name", "appliedAt") VALUES (?, ?, ?)`)
  const names: string[] = []
  for (const migration of SYSTEM_MIGRATIONS) {
    if (applied.has(migration.version)) continue
    // IMMEDIATE: two processes starting on one file do not both apply the same entry; the
    // loser sees it recorded once it gets the lock.
    db.transaction(() => {
      const done = db.prepare(`SELECT 1 FROM "${SYSTEM_SCHEMA_TABLE}" WHERE "version" = ?`).all(migration.version).length > 0
      if (done) return
      db.exec(migration.sql)
      record.run(migration.version, `system_${migration.name}`, now().toISOString())
      names.push(`system_${migration.name}`)
    }).immediate()
  }
  return names
}
