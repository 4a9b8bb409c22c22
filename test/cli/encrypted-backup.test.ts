import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as tar from 'tar'
import { afterAll, describe, expect, it } from 'vitest'
import { openBackup } from '../../engine/runtime/backup/backup.ts'
import { KoyaError } from '../../engine/shared/errors.ts'
import { openDatabase } from '../../engine/shared/sqlite.ts'
import { runCli } from '../helpers/cli.ts'

const MARKER = 'PLAINTEXT-MARKER-backup@example.com'
const KEY = 'the database key'
// A project directory whose generated/model.json configures encryption (all the CLI reads of it).
const project = mkdtempSync(path.join(os.tmpdir(), 'koya-enc-backup-'))
mkdirSync(path.join(project, 'generated'))
writeFileSync(path.join(project, 'generated', 'model.json'), JSON.stringify({ name: 'vault', database: { encryption: { key: { env: 'KOYA_DB_KEY' } } } }))
afterAll(() => rmSync(project, { recursive: true, force: true }))

function encryptedDatabase(name: string, rows: number): string {
  const file = path.join(project, name)
  const db = openDatabase(file, { encryption: { key: KEY } })
  db.exec('CREATE TABLE "secrets" ("id" INTEGER PRIMARY KEY, "value" TEXT NOT NULL)')
  const insert = db.prepare('INSERT INTO "secrets" ("value") VALUES (?)')
  for (let i = 1; i < rows; i++) insert.run(`value ${i}`)
  insert.run(MARKER)
  db.close()
  return file
}

const codeOf = async (run: () => Promise<unknown>) => run().then(() => 'ok', (error: unknown) => (error as KoyaError).code)

describe('backups of an encrypted database', () => {
  it('backs up to an archive whose database is encrypted with the same key, and restores it', async () => {
    const live = encryptedDatabase('live.db', 300)
    const out = path.join(project, 'backup.tar.gz')
    const backup = await runCli(project, ['backup', '--db', live, '--out', out], { KOYA_DB_KEY: KEY })
    expect(backup.code, backup.err).toBe(0)
    expect(backup.out).toMatch(/300 rows, .*integrity ok, encrypted/)

    // The archive carries no plaintext: the snapshot inside is SQLCipher's.
    const inside = mkdtempSync(path.join(project, 'x-'))
    await tar.extract({ file: out, cwd: inside })
    const snapshot = readFileSync(path.join(inside, 'koya.db'))
    expect(snapshot.subarray(0, 16).toString('latin1')).not.toBe('SQLite format 3\u0000')
    expect(snapshot.includes(MARKER)).toBe(false)
    const manifest = JSON.parse(readFileSync(path.join(inside, 'manifest.json'), 'utf8'))
    expect(manifest).toMatchObject({ encrypted: true, tables: { secrets: 300 } })

    // Without the key, or with another, the backup does not open.
    expect(await codeOf(() => openBackup(out, mkdtempSync(path.join(project, 'y-'))))).toBe('KL_COMPLIANCE_DB_ENCRYPTED')
    expect(await codeOf(() => openBackup(out, mkdtempSync(path.join(project, 'z-')), { key: 'another key' }))).toBe('KL_COMPLIANCE_WRONG_KEY')

    const restored = path.join(project, 'restored.db')
    const restore = await runCli(project, ['restore', out, '--db', restored], { KOYA_DB_KEY: KEY })
    expect(restore.code, restore.err).toBe(0)
    const db = openDatabase(restored, { encryption: { key: KEY } })
    expect(db.prepare('SELECT count(*) AS n, sum("value" = ?) AS marked FROM "secrets"').get(MARKER)).toEqual({ n: 300, marked: 1 })
    db.close()
  })

  it('restores over an existing encrypted database with --force, keeping it beside', async () => {
    const live = encryptedDatabase('live2.db', 10)
    const out = path.join(project, 'backup2.tar.gz')
    expect((await runCli(project, ['backup', '--db', live, '--out', out], { KOYA_DB_KEY: KEY })).code).toBe(0)
    const target = encryptedDatabase('target.db', 3)
    const restore = await runCli(project, ['restore', out, '--db', target, '--force'], { KOYA_DB_KEY: KEY })
    expect(restore.code, restore.err).toBe(0)
    expect(restore.out).toMatch(/kept as/)
    const db = openDatabase(target, { encryption: { key: KEY } })
    expect(db.prepare('SELECT count(*) FROM "secrets"').pluck().get()).toBe(10)
    db.close()
  })
})
