import type { SqliteDatabase } from '../../shared/sqlite.ts'
import type { SystemMigration } from '../system/system-schema.ts'

/**
 * `_koya_project`: one row about the project this database serves: its name, the environment
 * that last served it, when it was first and last served, and maintenance mode (a read-only API).
 */
export const PROJECT_MIGRATIONS: readonly SystemMigration[] = [
  {
    name: 'meta_project',
    sql: `CREATE TABLE "_koya_project" (
  "id" INTEGER PRIMARY KEY NOT NULL CHECK ("id" = 1),
  "name" TEXT NOT NULL,
  "environment" TEXT NOT NULL,
  "createdAt" TEXT NOT NULL,
  "servedAt" TEXT NOT NULL,
  "maintenance" INTEGER NOT NULL DEFAULT 0 CHECK ("maintenance" IN (0, 1)),
  "maintenanceReason" TEXT,
  "settings" TEXT NOT NULL DEFAULT '{}' CHECK (json_valid("settings"))
) STRICT;`,
  },
]

export interface ProjectRecord {
  readonly name: string
  readonly environment: string
  /** When a server first served this database. */
  readonly createdAt: string
  /** When a server last started on it. */
  readonly servedAt: string
  readonly maintenance: boolean
  readonly maintenanceReason: string | null
}

interface ProjectRow {
  name: string
  environment: string
  createdAt: string
  servedAt: string
  maintenance: 0 | 1
  maintenanceReason: string | null
}

const toRecord = (row: ProjectRow): ProjectRecord => ({ ...row, maintenance: row.maintenance === 1 })

/** A server starts on the database: its name and environment are recorded, its first start kept. */
export function recordStart(db: SqliteDatabase, project: { name: string; environment: string }, now: Date): ProjectRecord {
  const at = now.toISOString()
  db.prepare(`INSERT INTO "_koya_project" ("id", "name", "environment", "createdAt", "servedAt") VALUES (1, ?, ?, ?, ?)
    ON CONFLICT ("id") DO UPDATE SET "name" = excluded."name", "environment" = excluded."environment", "servedAt" = excluded."servedAt"`).run(project.name, project.environment, at, at)
  return readProject(db)!
}

/** The record, or undefined before any server (or `koyalite maintenance`) wrote it. */
export function readProject(db: SqliteDatabase): ProjectRecord | undefined {
  const exists = db.prepare(`SELECT 1 FROM "sqlite_schema" WHERE "type" = 'table' AND "name" = '_koya_project'`).all().length > 0
  if (!exists) return undefined
  const row = db.prepare('SELECT "name", "environment", "createdAt", "servedAt", "maintenance", "maintenanceReason" FROM "_koya_project" WHERE "id" = 1').get() as ProjectRow | undefined
  return row === undefined ? undefined : toRecord(row)
}

/** Turn maintenance mode on (with why) or off. The project row is made if no server wrote it yet. */
export function setMaintenance(db: SqliteDatabase, project: { name: string; environment: string }, on: boolean, reason: string | null, now: Date): ProjectRecord {
  const at = now.toISOString()
  db.prepare(`INSERT INTO "_koya_project" ("id", "name", "environment", "createdAt", "servedAt", "maintenance", "maintenanceReason") VALUES (1, ?, ?, ?, ?, ?, ?)
    ON CONFLICT ("id") DO UPDATE SET "maintenance" = excluded."maintenance", "maintenanceReason" = excluded."maintenanceReason"`).run(project.name, project.environment, at, at, on ? 1 : 0, on ? reason : null)
  return readProject(db)!
}

/** `KOYA_ENV`, else `NODE_ENV`, else development under `koyalite dev` and production otherwise. */
export function environmentOf(env: Readonly<Record<string, string | undefined>>, dev: boolean): string {
  return env.KOYA_ENV || env.NODE_ENV || (dev ? 'development' : 'production')
}
