import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readMigrations } from '../../engine/migrate/files.ts'
import { applyMigrations } from '../../engine/migrate/runner.ts'
import { KoyaError } from '../../engine/shared/errors.ts'
import { openDatabase, type SqliteDatabase } from '../../engine/shared/sqlite.ts'
import { repoRoot } from '../helpers/paths.ts'

/**
 * Timestamps stored before instants had one form (issue 9): the reference app's own migration
 * 0002 brings them into `YYYY-MM-DDTHH:mm:ss.sssZ` and adds the CHECK that keeps them there.
 */
const migrations = readMigrations(repoRoot).migrations
const [init, normalize] = migrations
let dir: string
let db: SqliteDatabase

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'koya-instants-'))
  db = openDatabase(path.join(dir, 'app.db'))
  applyMigrations(db, [init!])
})
afterEach(() => {
  db.close()
  rmSync(dir, { recursive: true, force: true })
})

const insertUser = (id: string, createdAt: string) =>
  db.prepare(`INSERT INTO "users" ("id", "email", "displayName", "createdAt", "updatedAt") VALUES (?, ?, 'Ada', ?, '2026-01-01T00:00:00.000Z')`).run(id, `${id}@example.com`, createdAt)
const createdAtOf = (id: string) => (db.prepare('SELECT "createdAt" FROM "users" WHERE "id" = ?').get(id) as { createdAt: string }).createdAt

describe('instants stored before the one form', () => {
  it('the reference app has the normalizing migration after its first', () => {
    expect(normalize?.id).toBe('0002')
    expect(normalize?.up).toContain(`COALESCE(strftime('%Y-%m-%dT%H:%M:%fZ', "createdAt"), "createdAt")`)
  })

  it('are rewritten to UTC with milliseconds, keeping their instant, and sort in time order after', () => {
    insertUser('a', '2026-12-24T01:00:00+05:00') // 2026-12-23T20:00:00Z: before b
    insertUser('b', '2026-12-24T00:00:00Z')
    insertUser('c', '2026-12-24T00:00:00.123Z')
    // As text, in three forms: '.123Z' sorts before 'Z', and the +05:00 instant last.
    expect(db.prepare('SELECT "id" FROM "users" ORDER BY "createdAt"').all()).toEqual([{ id: 'c' }, { id: 'b' }, { id: 'a' }])
    applyMigrations(db, migrations)
    expect([createdAtOf('a'), createdAtOf('b'), createdAtOf('c')]).toEqual(['2026-12-23T20:00:00.000Z', '2026-12-24T00:00:00.000Z', '2026-12-24T00:00:00.123Z'])
    expect(db.prepare('SELECT "id" FROM "users" ORDER BY "createdAt"').all()).toEqual([{ id: 'a' }, { id: 'b' }, { id: 'c' }])
  })

  it('a value that is no instant stops the migration, which rolls back with every row as it was', () => {
    insertUser('a', '2026-12-24T01:00:00+05:00')
    insertUser('bad', 'next tuesday')
    expect(() => applyMigrations(db, migrations)).toThrow(KoyaError)
    expect(createdAtOf('bad')).toBe('next tuesday')
    expect(createdAtOf('a')).toBe('2026-12-24T01:00:00+05:00')
    expect(db.prepare(`SELECT count(*) AS n FROM "_koya_migrations"`).get()).toEqual({ n: 1 })
  })

  it('after it, the database itself refuses an instant in another form, from any client', () => {
    applyMigrations(db, migrations)
    expect(() => insertUser('d', '2026-12-24T01:00:00+05:00')).toThrow(/CHECK constraint failed/)
    expect(() => insertUser('e', '2026-12-24T00:00:00Z')).toThrow(/CHECK constraint failed/)
    insertUser('f', '2026-12-24T00:00:00.000Z')
    expect(createdAtOf('f')).toBe('2026-12-24T00:00:00.000Z')
  })
})
