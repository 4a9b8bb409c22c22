import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { FEATURE_MODULES, systemMigrations } from '../../engine/runtime/modules/index.ts'
import { applySystemSchema } from '../../engine/runtime/system/system-schema.ts'
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
    const all = ['system_auth', 'system_meta_project', 'system_queue_0001_jobs', 'system_queue_0002_rate_limits', 'system_email_0001_catcher_and_outbox', 'system_jobs_0001_cron', 'system_webhooks_0001_endpoints_deliveries', 'system_storage_objects', 'system_storage_0002_released_objects', 'system_functions_0001_versions_invocations', 'system_functions_0002_versions_in_storage', 'system_realtime', 'system_realtime_0002_rowid_log', 'system_realtime_0003_channels', 'system_compliance_0001_consents', 'system_observability_cli_history']
    expect(applySystemSchema(db, systemMigrations(), now)).toEqual(all)
    expect(applySystemSchema(db, systemMigrations(), now)).toEqual([])
    expect(db.prepare('SELECT * FROM "_koya_system_schema"').all()).toEqual(all.map((name, i) => ({ version: i + 1, name, appliedAt: '2026-11-26T00:00:00.000Z' })))
    const tables = (db.prepare(`SELECT "name" FROM sqlite_schema WHERE "type" = 'table' AND "name" LIKE '\\_koya\\_%' ESCAPE '\\' ORDER BY "name"`).all() as { name: string }[]).map((r) => r.name)
    // The outbox of earlier versions is gone: emails are rows of the one queue, _koya_jobs.
    expect(tables).toEqual(['_koya_audit_log', '_koya_cli_history', '_koya_consent_state', '_koya_consents', '_koya_credentials', '_koya_cron', '_koya_emails', '_koya_function_active', '_koya_function_invocations', '_koya_function_versions', '_koya_job_rates', '_koya_jobs', '_koya_oauth_accounts', '_koya_objects', '_koya_project', '_koya_realtime_auth_epoch', '_koya_realtime_channel_events', '_koya_realtime_events', '_koya_realtime_presence', '_koya_released_objects', '_koya_role_grants', '_koya_sessions', '_koya_system_schema', '_koya_tokens', '_koya_webhook_deliveries', '_koya_webhook_endpoints'])
    db.close()
  })

  it('names each module\'s migrations uniquely across modules, and lists them in module order', () => {
    const names = systemMigrations().map((m) => m.name)
    expect(new Set(names).size).toBe(names.length)
    expect(names).toEqual(Object.values(FEATURE_MODULES).flatMap((module) => module.systemMigrations.map((m) => m.name)))
  })

  it('applies only what a database has not recorded by name, a database of the one-list era included', () => {
    const { db } = tempDb()
    const first = [{ name: 'one', sql: 'CREATE TABLE "_koya_one" ("x" TEXT) STRICT;' }]
    expect(applySystemSchema(db, first)).toEqual(['system_one'])
    // A later server adds a module: only its entry runs, recorded after the first.
    const later = [...first, { name: 'two', sql: 'CREATE TABLE "_koya_two" ("x" TEXT) STRICT;' }]
    expect(applySystemSchema(db, later)).toEqual(['system_two'])
    expect(db.prepare('SELECT "version", "name" FROM "_koya_system_schema" ORDER BY "version"').all()).toEqual([
      { version: 1, name: 'system_one' },
      { version: 2, name: 'system_two' },
    ])
    db.close()
  })

  it('moves the outbox of a database made before the queue into _koya_jobs: unsent messages pending, sent ones done without their bodies', () => {
    const { db } = tempDb()
    const [auth, ...later] = systemMigrations()
    applySystemSchema(db, [auth!])
    const insert = db.prepare('INSERT INTO "_koya_outbox" ("id", "kind", "to", "subject", "html", "text", "createdAt", "sentAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    insert.run('a', 'verify-email', 'ada@example.com', 'Verify', '<p>token=abc</p>', 'token=abc', '2026-11-01T10:00:00.000Z', null)
    insert.run('b', 'reset-password', 'bob@example.com', 'Reset', '<p>token=def</p>', 'token=def', '2026-11-01T09:00:00.000Z', '2026-11-01T09:00:05.000Z')
    applySystemSchema(db, later)
    const rows = db.prepare('SELECT "kind", "status", "payload", "runAt" FROM "_koya_jobs" ORDER BY "id"').all() as { kind: string; status: string; payload: string; runAt: number }[]
    expect(rows.map((r) => ({ ...r, payload: JSON.parse(r.payload) }))).toEqual([
      { kind: 'email', status: 'pending', runAt: Date.parse('2026-11-01T10:00:00Z'), payload: { to: ['ada@example.com'], subject: 'Verify', html: '<p>token=abc</p>', text: 'token=abc', tag: 'verify-email', idempotencyKey: 'a' } },
      { kind: 'email', status: 'done', runAt: Date.parse('2026-11-01T09:00:00Z'), payload: { to: ['bob@example.com'], subject: 'Reset', tag: 'reset-password' } },
    ])
    db.close()
  })

  it('gives OAuth accounts the shape the OAuth code relies on', () => {
    const { db } = tempDb()
    applySystemSchema(db, systemMigrations())
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
