import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { applySystemSchema, SYSTEM_MIGRATIONS } from '../../engine/runtime/system/system-schema.ts'
import { openDatabase, type SqliteDatabase } from '../../engine/shared/sqlite.ts'
import { runCli } from '../helpers/cli.ts'
import { repoRoot } from '../helpers/paths.ts'

let dir: string | undefined
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})
const tempDb = (): { db: SqliteDatabase; file: string } => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'koya-system-'))
  const file = path.join(dir, 'app.db')
  return { db: openDatabase(file), file }
}
const columns = (db: SqliteDatabase, table: string) =>
  (db.prepare(`SELECT "name", "type", "notnull", "pk" FROM pragma_table_info(?) ORDER BY "cid"`).all(table) as { name: string; type: string; notnull: number; pk: number }[]).map(
    (c) => `${c.name} ${c.type}${c.notnull ? ' NOT NULL' : ''}${c.pk ? ` PK${c.pk}` : ''}`,
  )

describe('system schema', () => {
  it('creates the _koya_* tables once, records each entry, and is idempotent', () => {
    const { db } = tempDb()
    const now = () => new Date('2026-11-26T00:00:00.000Z')
    expect(applySystemSchema(db, now)).toEqual(['system_auth'])
    expect(applySystemSchema(db, now)).toEqual([])
    expect(db.prepare('SELECT * FROM "_koya_system_schema"').all()).toEqual([{ version: 1, name: 'system_auth', appliedAt: '2026-11-26T00:00:00.000Z' }])
    const tables = (db.prepare(`SELECT "name" FROM sqlite_schema WHERE "type" = 'table' AND "name" LIKE '\\_koya\\_%' ESCAPE '\\' ORDER BY "name"`).all() as { name: string }[]).map((r) => r.name)
    expect(tables).toEqual(['_koya_audit_log', '_koya_credentials', '_koya_oauth_accounts', '_koya_outbox', '_koya_role_grants', '_koya_sessions', '_koya_system_schema', '_koya_tokens'])
    expect(SYSTEM_MIGRATIONS.map((m) => m.version)).toEqual(SYSTEM_MIGRATIONS.map((_, i) => i + 1))
    db.close()
  })

  it('gives the outbox and OAuth accounts the shapes the email and OAuth code rely on', () => {
    const { db } = tempDb()
    applySystemSchema(db)
    expect(columns(db, '_koya_outbox')).toEqual(['id TEXT PK1', 'kind TEXT NOT NULL', 'to TEXT NOT NULL', 'subject TEXT NOT NULL', 'html TEXT NOT NULL', 'text TEXT NOT NULL', 'createdAt TEXT NOT NULL', 'sentAt TEXT'])
    expect(columns(db, '_koya_oauth_accounts')).toEqual(['provider TEXT NOT NULL PK1', 'providerUserId TEXT NOT NULL PK2', 'userId TEXT NOT NULL', 'email TEXT', 'createdAt TEXT NOT NULL'])
    expect(db.prepare('SELECT "table", "to", "on_delete" FROM pragma_foreign_key_list(?)').all('_koya_oauth_accounts')).toEqual([{ table: 'users', to: 'id', on_delete: 'CASCADE' }])
    db.close()
  })

  it('`koyalite migrate up` applies it with the app\'s migrations; deleting a user deletes their sessions and grants', async () => {
    const { db, file } = tempDb()
    db.close()
    const up = await runCli(repoRoot, ['migrate', 'up', '--db', file])
    expect(up.code, up.err).toBe(0)
    expect(up.out).toContain('system_auth')
    expect((await runCli(repoRoot, ['migrate', 'up', '--db', file])).out).toContain('up to date')
    const again = openDatabase(file)
    again.exec(`INSERT INTO "users" ("id", "email", "displayName") VALUES ('u1', 'a@example.com', 'A');
      INSERT INTO "_koya_sessions" VALUES ('s1', 'u1', 't', 't', 't', NULL, NULL, NULL);
      INSERT INTO "_koya_role_grants" VALUES ('u1', 'admin', NULL, 't');`)
    again.exec(`DELETE FROM "users" WHERE "id" = 'u1'`)
    expect(again.prepare('SELECT (SELECT count(*) FROM "_koya_sessions") + (SELECT count(*) FROM "_koya_role_grants") AS n').all()).toEqual([{ n: 0 }])
    again.close()
  })
})
