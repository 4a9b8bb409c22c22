import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compileDefinition } from '../../engine/compiler/index.ts'
import { defineConfig, env, t, table } from '../../engine/dsl/index.ts'
import { openDatabase } from '../../engine/shared/sqlite.ts'
import { runCli } from '../helpers/cli.ts'
import { startInfisicalStandIn, type InfisicalStandIn } from '../helpers/infisical-server.ts'

// Gaps 5 (issue 22) and 8 (issue 20): every command that opens the app's database reads its
// environment the way `start` does: .env files < the secrets provider < the process environment.

const KEY = 'a key that lives only in a file'
const MARKER = 'PLAINTEXT-MARKER-env-files'
const notes = table('notes', { id: t.id(), body: t.text() })

let infisical: InfisicalStandIn
const dirs: string[] = []
beforeAll(async () => {
  infisical = await startInfisicalStandIn()
  infisical.folders.set('prod:/', { secrets: { KOYA_DB_KEY: 'a key that lives only in Infisical' } })
  infisical.folders.set('dev:/', { secrets: { KOYA_DB_KEY: 'a key that lives only in Infisical' } })
})
afterAll(async () => {
  await infisical.close()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** A project directory with generated/model.json (all these commands read of it) and the given files. */
function project(withSecrets: boolean, files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'koya-project-env-'))
  dirs.push(root)
  mkdirSync(path.join(root, 'generated'))
  const config = defineConfig({
    name: 'vault',
    tables: { notes },
    database: { encryption: { key: env('KOYA_DB_KEY') } },
    ...(withSecrets ? { secrets: { provider: 'infisical' as const, siteUrl: env('INFISICAL_SITE_URL'), projectId: infisical.projectId, clientId: env('INFISICAL_CLIENT_ID'), clientSecret: env('INFISICAL_CLIENT_SECRET') } } : {}),
  })
  writeFileSync(path.join(root, 'generated', 'model.json'), JSON.stringify(compileDefinition(config)))
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, name)), { recursive: true })
    writeFileSync(path.join(root, name), text)
  }
  return root
}

function encryptedDatabase(file: string, key: string): void {
  const db = openDatabase(file, { encryption: { key } })
  db.exec('CREATE TABLE "notes" ("id" TEXT PRIMARY KEY NOT NULL, "body" TEXT NOT NULL) STRICT')
  db.prepare('INSERT INTO "notes" ("id", "body") VALUES (?, ?)').run('n1', MARKER)
  db.close()
}

const notesOf = (file: string, key?: string) => {
  const db = openDatabase(file, key === undefined ? {} : { encryption: { key } })
  try {
    return db.prepare('SELECT "body" FROM "notes" ORDER BY "id"').pluck().all()
  } finally {
    db.close()
  }
}

describe('the database key only in .env', () => {
  it('backup, restore, migrate and db decrypt find it there, as start does', async () => {
    const root = project(false, { '.env': `KOYA_DB_KEY=${KEY}\n` })
    const live = path.join(root, 'live.db')
    encryptedDatabase(live, KEY)
    // The process environment carries no key: only the file does.
    const backup = await runCli(root, ['backup', '--db', live, '--out', 'b.tar.gz'], {})
    expect(backup.code, backup.err).toBe(0)
    expect(backup.out).toContain('encrypted')
    const restored = path.join(root, 'restored.db')
    const restore = await runCli(root, ['restore', 'b.tar.gz', '--db', restored], {})
    expect(restore.code, restore.err).toBe(0)
    expect(notesOf(restored, KEY)).toEqual([MARKER])
    const migrate = await runCli(root, ['migrate', 'up', '--db', restored], {})
    expect(migrate.code, migrate.err).toBe(0)
    const decrypt = await runCli(root, ['db', 'decrypt', '--db', restored], {})
    expect(decrypt.code, decrypt.err).toBe(0)
    expect(readFileSync(restored).subarray(0, 15).toString('latin1')).toBe('SQLite format 3')
    expect(notesOf(restored)).toEqual([MARKER])
  })

  it('without the file the same backup is refused with the missing key named', async () => {
    const root = project(false, {})
    const live = path.join(root, 'live.db')
    encryptedDatabase(live, KEY)
    const backup = await runCli(root, ['backup', '--db', live, '--out', 'b.tar.gz'], {})
    expect(backup.code).toBe(1)
    expect(backup.err).toContain('KL_COMPLIANCE_WRONG_KEY')
    expect(backup.err).toContain('$KOYA_DB_KEY')
  })

  it('.env.<KOYA_ENV> wins over .env, and the process environment over both', async () => {
    const root = project(false, { '.env': 'KOYA_DB_KEY=wrong\n', '.env.staging': `KOYA_DB_KEY=${KEY}\n` })
    const live = path.join(root, 'live.db')
    encryptedDatabase(live, KEY)
    expect((await runCli(root, ['backup', '--db', live, '--out', 'a.tar.gz'], { KOYA_ENV: 'staging' })).code).toBe(0)
    const overridden = await runCli(root, ['backup', '--db', live, '--out', 'c.tar.gz'], { KOYA_ENV: 'staging', KOYA_DB_KEY: 'not the key' })
    expect(overridden.err).toContain('KL_COMPLIANCE_WRONG_KEY')
  })
})

describe('the database key only in Infisical (the configured secrets provider)', () => {
  const credentials = () => ({ INFISICAL_SITE_URL: infisical.url, INFISICAL_CLIENT_ID: infisical.clientId, INFISICAL_CLIENT_SECRET: infisical.clientSecret })

  it('backup and db rekey read it from the provider', async () => {
    const root = project(true, {})
    const live = path.join(root, 'live.db')
    encryptedDatabase(live, 'a key that lives only in Infisical')
    const backup = await runCli(root, ['backup', '--db', live, '--out', 'b.tar.gz'], { ...credentials(), KOYA_ENV: 'production' })
    expect(backup.code, backup.err).toBe(0)
    expect(backup.out).toContain('encrypted')
    const rekey = await runCli(root, ['db', 'rekey', '--db', live], { ...credentials(), KOYA_ENV: 'production', KOYA_DB_NEW_KEY: 'the next key' })
    expect(rekey.code, rekey.err).toBe(0)
    expect(notesOf(live, 'the next key')).toEqual([MARKER])
  })

  it('koyalite seed reads it from the provider too (the same code as start), and seeds the encrypted database', async () => {
    const seed = `export default { kind: 'seed', async run({ db }) { await db.upsert('notes', [{ body: 'seeded' }], { on: ['body'] }) } }\n`
    const root = project(true, { 'seed/notes.mjs': seed })
    const live = path.join(root, 'live.db')
    encryptedDatabase(live, 'a key that lives only in Infisical')
    const run = await runCli(root, ['seed', '--db', live], { ...credentials(), KOYA_ENV: 'development' })
    expect(run.code, run.err).toBe(0)
    expect(notesOf(live, 'a key that lives only in Infisical').sort()).toEqual([MARKER, 'seeded'])
    // Infisical unreachable: seed stops with the provider's code, as start does.
    const unreachable = await runCli(root, ['seed', '--db', live], { ...credentials(), INFISICAL_SITE_URL: 'http://127.0.0.1:1', KOYA_ENV: 'development' })
    expect(unreachable.code).toBe(1)
    expect(unreachable.err).toContain('KL_ENV_SECRETS_UNREACHABLE')
  })
})
