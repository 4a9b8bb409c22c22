/**
 * A migration harness on real SQLite: an in-memory generated/migrations (files + latest
 * snapshot) and a WAL database in a temp directory. Definitions are built with the real DSL and
 * compiled with `compileDefinition`; nothing of KoyaLite is stood in for.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { expect } from 'vitest'
import { compileDefinition } from '../../engine/compiler/index.ts'
import { defineConfig, type AnyTable } from '../../engine/dsl/index.ts'
import { checksumOf, type MigrationFile } from '../../engine/migrate/files.ts'
import { planMigration, type PlannedMigration } from '../../engine/migrate/plan.ts'
import { applyMigrations, MIGRATIONS_TABLE, rollbackMigration } from '../../engine/migrate/runner.ts'
import type { SchemaSnapshot } from '../../engine/migrate/snapshot.ts'
import type { MigrationStepKind } from '../../engine/migrate/steps.ts'
import { KoyaError, KoyaErrorList, type KoyaErrorCode } from '../../engine/shared/errors.ts'
import { openDatabase, type SqliteDatabase } from '../../engine/shared/sqlite.ts'

/** The IR of an app made of these tables, as `koyalite generate` would compile it. */
export function compileTables(tables: readonly AnyTable[]) {
  return compileDefinition(defineConfig({ name: 'matrix', tables: Object.fromEntries(tables.map((t) => [t.name, t])) }))
}

/** One generated migration, as the CLI would write it and the runner would read it. */
export interface GeneratedMigration {
  readonly file: MigrationFile
  readonly steps: readonly MigrationStepKind[]
  /** The up SQL without its header comments. */
  readonly upBody: string
  readonly downBody: string
  readonly snapshot: SchemaSnapshot
}

export interface PlanFlags {
  readonly allowDataLoss?: boolean
}

export class MigrationHarness {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'koya-migrate-'))
  readonly db: SqliteDatabase = openDatabase(path.join(this.dir, 'app.sqlite'))
  readonly migrations: MigrationFile[] = []
  latestSnapshot: SchemaSnapshot | undefined

  /** Plan the next migration without recording it. Throws the KoyaErrorList of refusals. */
  plan(tables: readonly AnyTable[], flags: PlanFlags = {}): PlannedMigration | undefined {
    return planMigration(
      { migrations: this.migrations, latestSnapshot: this.latestSnapshot },
      compileTables(tables),
      { allowDataLoss: flags.allowDataLoss ?? false, source: 'koyalite.ts' },
    )
  }

  /** Plan and record the next migration in generated/migrations (it must not be empty). */
  generate(tables: readonly AnyTable[], flags: PlanFlags = {}): GeneratedMigration {
    const planned = this.plan(tables, flags)
    if (planned === undefined) throw new Error('expected a migration, the schema did not change')
    const generated = toGenerated(planned)
    this.migrations.push(generated.file)
    this.latestSnapshot = generated.snapshot
    return generated
  }

  /** Generate and apply. */
  migrate(tables: readonly AnyTable[], flags: PlanFlags = {}): GeneratedMigration {
    const generated = this.generate(tables, flags)
    expect(this.apply()).toEqual([generated.file.name])
    return generated
  }

  apply(): string[] {
    return applyMigrations(this.db, this.migrations, { now: () => new Date('2026-01-01T00:00:00.000Z') })
  }

  rollback(): string {
    return rollbackMigration(this.db, this.migrations)
  }

  insert(tableName: string, rows: readonly Record<string, unknown>[]): void {
    for (const row of rows) {
      const columns = Object.keys(row)
      this.db
        .prepare(`INSERT INTO "${tableName}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`)
        .run(...columns.map((c) => row[c]))
    }
  }

  rows(sql: string): Record<string, unknown>[] {
    return this.db.prepare(sql).all() as Record<string, unknown>[]
  }

  dispose(): void {
    this.db.close()
    rmSync(this.dir, { recursive: true, force: true })
  }
}

export function toGenerated(planned: PlannedMigration): GeneratedMigration {
  const contents = (suffix: string) => {
    const file = planned.files.find((f) => f.path.endsWith(suffix))
    if (!file) throw new Error(`planMigration wrote no ${suffix}`)
    return file.contents
  }
  const up = contents(`/${planned.name}.sql`)
  const down = contents(`/${planned.name}.down.sql`)
  return {
    file: { id: planned.id, name: planned.name, up, down, checksum: checksumOf(up) },
    steps: planned.steps.map((s) => s.kind),
    upBody: bodyOf(up),
    downBody: bodyOf(down),
    snapshot: JSON.parse(contents(`/meta/${planned.id}.snapshot.json`)) as SchemaSnapshot,
  }
}

/** A migration's statements without the header (the `-- ` lines before the first statement). */
export function bodyOf(sql: string): string {
  const lines = sql.split('\n')
  const first = lines.findIndex((line) => !line.startsWith('-- '))
  return lines.slice(first).join('\n').trimEnd()
}

/** Long DEFAULT expressions of id and timestamp columns, shortened so SQL snapshots stay readable. */
export function readable(sql: string): string {
  return sql
    .replace(/DEFAULT \(lower\(printf\('%08x'.*?hex\(randomblob\(6\)\)\)\)/g, 'DEFAULT (<uuidv7>)')
    .replace(/DEFAULT \(strftime\('%Y-%m-%dT%H:%M:%fZ', 'now'\)\)/g, 'DEFAULT (<now>)')
}

// ── What the database really looks like ───────────────────────────────────────────────────────

export interface ColumnShape {
  readonly name: string
  readonly type: string
  readonly notnull: number
  readonly dflt_value: string | null
  readonly pk: number
}

export interface TableShape {
  readonly columns: readonly ColumnShape[]
  readonly indexes: readonly { readonly name: string; readonly unique: number; readonly columns: readonly string[] }[]
  readonly foreignKeys: readonly { readonly from: string; readonly table: string; readonly to: string; readonly on_delete: string }[]
  /** CHECK constraints, which no pragma lists: read from the CREATE TABLE text. */
  readonly checks: readonly string[]
}

export function userTables(db: SqliteDatabase): string[] {
  return (
    db
      .prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> ? ORDER BY name`)
      .all(MIGRATIONS_TABLE) as { name: string }[]
  ).map((r) => r.name)
}

export function columnsOf(db: SqliteDatabase, tableName: string): ColumnShape[] {
  return (db.pragma(`table_xinfo("${tableName}")`) as (ColumnShape & { cid: number; hidden: number })[]).map(
    ({ name, type, notnull, dflt_value, pk }) => ({ name, type, notnull, dflt_value, pk }),
  )
}

export function columnNames(db: SqliteDatabase, tableName: string): string[] {
  return columnsOf(db, tableName).map((c) => c.name)
}

export function indexesOf(db: SqliteDatabase, tableName: string): TableShape['indexes'] {
  const list = db.pragma(`index_list("${tableName}")`) as { name: string; unique: number; origin: string }[]
  return list
    .filter((i) => i.origin === 'c')
    .map((i) => ({
      name: i.name,
      unique: i.unique,
      columns: (db.pragma(`index_info("${i.name}")`) as { seqno: number; name: string }[]).sort((a, b) => a.seqno - b.seqno).map((c) => c.name),
    }))
    .sort((a, b) => a.name.localeCompare(b.name))
}

export function foreignKeysOf(db: SqliteDatabase, tableName: string): TableShape['foreignKeys'] {
  return (db.pragma(`foreign_key_list("${tableName}")`) as { from: string; table: string; to: string; on_delete: string }[])
    .map(({ from, table, to, on_delete }) => ({ from, table, to, on_delete }))
    .sort((a, b) => a.from.localeCompare(b.from))
}

function checksOf(db: SqliteDatabase, tableName: string): string[] {
  const row = db.prepare(`SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?`).get(tableName) as { sql: string }
  const checks: string[] = []
  const marker = 'CHECK ('
  for (let at = row.sql.indexOf(marker); at !== -1; at = row.sql.indexOf(marker, at + 1)) {
    let depth = 0
    let end = at + marker.length - 1
    for (; end < row.sql.length; end++) {
      if (row.sql[end] === '(') depth++
      else if (row.sql[end] === ')' && --depth === 0) break
    }
    checks.push(row.sql.slice(at, end + 1))
  }
  return checks.sort()
}

/**
 * Every user table's columns (by name: a column a down migration adds back comes last, which
 * SQLite cannot avoid without a rebuild), indexes, foreign keys and CHECKs.
 */
export function shapeOf(db: SqliteDatabase): Record<string, TableShape> {
  return Object.fromEntries(
    userTables(db).map((name) => [
      name,
      {
        columns: columnsOf(db, name).sort((a, b) => a.name.localeCompare(b.name)),
        indexes: indexesOf(db, name),
        foreignKeys: foreignKeysOf(db, name),
        checks: checksOf(db, name),
      },
    ]),
  )
}

/** Every row of every user table, with each value's storage class, ordered by id. */
export function dataOf(db: SqliteDatabase): Record<string, Record<string, unknown>[]> {
  return Object.fromEntries(
    userTables(db).map((name) => {
      const columns = columnNames(db, name)
      const select = columns.flatMap((c) => [`"${c}"`, `typeof("${c}") AS "${c}:type"`]).join(', ')
      return [name, db.prepare(`SELECT ${select} FROM "${name}" ORDER BY "id"`).all() as Record<string, unknown>[]]
    }),
  )
}

/** The two checks every migration must pass: no orphans, no corruption. */
export function expectHealthy(db: SqliteDatabase): void {
  expect(db.pragma('foreign_key_check')).toEqual([])
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
  expect(db.pragma('foreign_keys', { simple: true }), 'the runner switches foreign keys back on').toBe(1)
}

/** The errors a planning or applying call refused with. */
export function refusalsOf(run: () => unknown): KoyaError[] {
  try {
    run()
  } catch (error) {
    if (error instanceof KoyaErrorList) return [...error.errors]
    if (error instanceof KoyaError) return [error]
    throw error
  }
  throw new Error('expected a KoyaError, nothing was thrown')
}

export function expectRefused(run: () => unknown, code: KoyaErrorCode): KoyaError {
  const errors = refusalsOf(run)
  expect(errors.map((e) => e.code)).toContain(code)
  return errors.find((e) => e.code === code)!
}

/** Run an INSERT/UPDATE/DELETE and return the SQLite error message it failed with (or undefined). */
export function sqliteError(db: SqliteDatabase, sql: string, ...params: unknown[]): string | undefined {
  try {
    db.prepare(sql).run(...params)
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}
