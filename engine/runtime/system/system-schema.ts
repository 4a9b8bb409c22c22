import type { SqliteDatabase } from '../../shared/sqlite.ts'

/**
 * A step of the runtime's own `_koya_*` tables (sessions, credentials, the audit log, the outbox,
 * and each feature module's). Users never write these migrations and no generated API, SDK or
 * document exposes the tables. Each feature module lists its own (FeatureModule.systemMigrations).
 *
 * Each entry is applied once, in module order then list order, and recorded by name in
 * `_koya_system_schema`. Entries are append-only: a published entry is never edited (a database
 * that applied it would never see the change), and a name is never reused; a change is a new entry.
 */
export interface SystemMigration {
  /** Unique across modules: recorded as `system_<name>`. */
  readonly name: string
  readonly sql: string
}

export const SYSTEM_SCHEMA_TABLE = '_koya_system_schema'

/**
 * Bring the system tables up to date: apply each migration the database has not recorded, each
 * in its own transaction. Idempotent; returns the names applied. The `version` column is the
 * order entries were applied in (SQLite assigns it).
 *
 * @example
 * applySystemSchema(db, systemMigrations()) // when the server is created, and by `koyalite migrate up`
 */
export function applySystemSchema(db: SqliteDatabase, migrations: readonly SystemMigration[], now: () => Date = () => new Date()): string[] {
  db.exec(`CREATE TABLE IF NOT EXISTS "${SYSTEM_SCHEMA_TABLE}" (
  "version" INTEGER PRIMARY KEY NOT NULL,
  "name" TEXT NOT NULL,
  "appliedAt" TEXT NOT NULL
) STRICT;`)
  const applied = new Set((db.prepare(`SELECT "name" FROM "${SYSTEM_SCHEMA_TABLE}"`).all() as { name: string }[]).map((r) => r.name))
  const record = db.prepare(`INSERT INTO "${SYSTEM_SCHEMA_TABLE}" ("version", "name", "appliedAt") VALUES (NULL, ?, ?)`)
  const names: string[] = []
  for (const migration of migrations) {
    const name = `system_${migration.name}`
    if (applied.has(name)) continue
    // IMMEDIATE: two processes starting on one file do not both apply the same entry; the
    // loser sees it recorded once it gets the lock.
    db.transaction(() => {
      const done = db.prepare(`SELECT 1 FROM "${SYSTEM_SCHEMA_TABLE}" WHERE "name" = ?`).all(name).length > 0
      if (done) return
      db.exec(migration.sql)
      record.run(name, now().toISOString())
      names.push(name)
    }).immediate()
  }
  return names
}
