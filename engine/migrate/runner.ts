import { KoyaError } from '../shared/errors.ts'
import type { SqliteDatabase } from '../shared/sqlite.ts'
import type { MigrationFile } from './files.ts'

/** The table that records applied migrations. */
export const MIGRATIONS_TABLE = '_koya_migrations'

export interface AppliedMigration {
  readonly id: string
  readonly name: string
  readonly checksum: string
  readonly appliedAt: string
}

export interface MigrationStatus {
  readonly id: string
  readonly name: string
  readonly state: 'applied' | 'pending' | 'tampered' | 'missing'
  readonly appliedAt: string | null
}

export interface RunnerOptions {
  /** The clock, for appliedAt. */
  readonly now?: () => Date
}

function ensureTable(db: SqliteDatabase): void {
  db.exec(`CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" (
  "id" TEXT PRIMARY KEY NOT NULL,
  "name" TEXT NOT NULL,
  "checksum" TEXT NOT NULL,
  "appliedAt" TEXT NOT NULL
) STRICT;`)
}

export function readApplied(db: SqliteDatabase): AppliedMigration[] {
  ensureTable(db)
  return db.prepare(`SELECT "id", "name", "checksum", "appliedAt" FROM "${MIGRATIONS_TABLE}" ORDER BY "id"`).all() as AppliedMigration[]
}

/** Each migration, applied or not, and whether the file still matches what was applied. */
export function migrationStatus(db: SqliteDatabase, migrations: readonly MigrationFile[]): MigrationStatus[] {
  const applied = new Map(readApplied(db).map((m) => [m.id, m]))
  const status: MigrationStatus[] = migrations.map((m) => {
    const record = applied.get(m.id)
    applied.delete(m.id)
    if (!record) return { id: m.id, name: m.name, state: 'pending', appliedAt: null }
    return { id: m.id, name: m.name, state: record.checksum === m.checksum ? 'applied' : 'tampered', appliedAt: record.appliedAt }
  })
  for (const record of applied.values()) status.push({ id: record.id, name: record.name, state: 'missing', appliedAt: record.appliedAt })
  return status.sort((a, b) => a.id.localeCompare(b.id))
}

/** Refuse to run on a history that does not match the files: nothing is changed then. */
function verifyHistory(status: readonly MigrationStatus[]): void {
  for (const entry of status) {
    if (entry.state === 'tampered') {
      throw new KoyaError('KL_MIG_TAMPERED', `Migration ${entry.name} was applied on ${entry.appliedAt} and has changed on disk since.`)
    }
    if (entry.state === 'missing') {
      throw new KoyaError('KL_MIG_MISSING', `Migration ${entry.name} is recorded as applied on ${entry.appliedAt}, but its file is not in generated/migrations.`)
    }
  }
}

/**
 * Apply every pending migration, each in its own transaction. Returns the names applied.
 *
 * @throws KoyaError KL_MIG_TAMPERED / KL_MIG_MISSING before changing anything; KL_MIG_FAILED or
 *   KL_MIG_FOREIGN_KEY when a migration fails (it is rolled back; earlier ones stay applied).
 */
export function applyMigrations(db: SqliteDatabase, migrations: readonly MigrationFile[], options: RunnerOptions = {}): string[] {
  const status = migrationStatus(db, migrations)
  verifyHistory(status)
  const pending = new Set(status.filter((s) => s.state === 'pending').map((s) => s.id))
  const record = db.prepare(`INSERT INTO "${MIGRATIONS_TABLE}" ("id", "name", "checksum", "appliedAt") VALUES (?, ?, ?, ?)`)
  const applied: string[] = []
  for (const migration of migrations) {
    if (!pending.has(migration.id)) continue
    runInTransaction(db, migration.name, migration.up, () => {
      record.run(migration.id, migration.name, migration.checksum, (options.now?.() ?? new Date()).toISOString())
    })
    applied.push(migration.name)
  }
  return applied
}

/**
 * Undo the last applied migration with its .down.sql. Returns its name.
 *
 * @throws KoyaError KL_MIG_NOTHING_TO_UNDO when none is applied.
 */
export function rollbackMigration(db: SqliteDatabase, migrations: readonly MigrationFile[]): string {
  const status = migrationStatus(db, migrations)
  verifyHistory(status)
  const last = status.filter((s) => s.state === 'applied').at(-1)
  if (!last) throw new KoyaError('KL_MIG_NOTHING_TO_UNDO', 'No migration is applied, so there is nothing to undo.')
  const migration = migrations.find((m) => m.id === last.id)!
  runInTransaction(db, `${migration.name} (down)`, migration.down, () => {
    db.prepare(`DELETE FROM "${MIGRATIONS_TABLE}" WHERE "id" = ?`).run(migration.id)
  })
  return migration.name
}

/**
 * SQLite's procedure for schema changes: foreign keys off (a table rebuild drops and renames
 * tables, which must not cascade), all statements in one transaction, then
 * `PRAGMA foreign_key_check` before the commit. `PRAGMA foreign_keys` is a no-op inside a
 * transaction, so it is switched around it.
 */
function runInTransaction(db: SqliteDatabase, name: string, sql: string, record: () => void): void {
  db.pragma('foreign_keys = OFF')
  try {
    db.transaction(() => {
      try {
        db.exec(sql)
      } catch (cause) {
        throw new KoyaError('KL_MIG_FAILED', `Migration ${name} failed and was rolled back: ${(cause as Error).message}.`, { cause })
      }
      const violations = db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[]
      if (violations.length > 0) {
        const sample = violations.slice(0, 5).map((v) => `${v.table} row ${v.rowid} → ${v.parent}`).join('; ')
        throw new KoyaError('KL_MIG_FOREIGN_KEY', `Migration ${name} leaves ${violations.length} row(s) pointing at missing parents (${sample}); it was rolled back.`)
      }
      record()
    })()
  } finally {
    db.pragma('foreign_keys = ON')
  }
}
