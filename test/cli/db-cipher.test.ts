import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { KoyaError } from '../../engine/shared/errors.ts'
import { openDatabase } from '../../engine/shared/sqlite.ts'
import { runCli } from '../helpers/cli.ts'
import { repoRoot } from '../helpers/paths.ts'

const MARKER = 'PLAINTEXT-MARKER-grace@example.com'
const work = mkdtempSync(path.join(os.tmpdir(), 'koya-db-cipher-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

let n = 0
/** A plain WAL database with 500 rows, one holding MARKER, closed. */
function plainDatabase(): string {
  const file = path.join(work, `app-${++n}.db`)
  const db = openDatabase(file)
  db.exec('CREATE TABLE "people" ("id" INTEGER PRIMARY KEY, "email" TEXT NOT NULL)')
  const insert = db.prepare('INSERT INTO "people" ("email") VALUES (?)')
  for (let i = 0; i < 499; i++) insert.run(`person${i}@example.com`)
  insert.run(MARKER)
  db.close()
  return file
}

const rowsOf = (file: string, key?: string) => {
  const db = openDatabase(file, key === undefined ? {} : { encryption: { key } })
  try {
    return db.prepare('SELECT count(*) AS n, sum("email" = ?) AS marked FROM "people"').get(MARKER)
  } finally {
    db.close()
  }
}
const codeOf = (open: () => unknown) => {
  try {
    open()
  } catch (error) {
    return (error as KoyaError).code
  }
  return 'opened'
}
const isPlain = (file: string) => readFileSync(file).subarray(0, 16).toString('latin1') === 'SQLite format 3\u0000'
/** Nothing but the database file itself is left beside it. */
const siblings = (file: string) => readdirSync(path.dirname(file)).filter((name) => name.startsWith(path.basename(file)))

describe('koyalite db encrypt | decrypt | rekey', () => {
  it('encrypts a plain database: no header, no plaintext, the same rows under the key', async () => {
    const file = plainDatabase()
    const before = rowsOf(file)
    const run = await runCli(work, ['db', 'encrypt', '--db', file], { KOYA_DB_KEY: 'first key' })
    expect(run.code, run.err).toBe(0)
    expect(run.out).toMatch(/encrypted .*1 tables, 500 rows, checked/)
    const bytes = readFileSync(file)
    expect(isPlain(file)).toBe(false)
    expect(bytes.includes(MARKER)).toBe(false)
    expect(rowsOf(file, 'first key')).toEqual(before)
    expect(codeOf(() => openDatabase(file))).toBe('KL_COMPLIANCE_DB_ENCRYPTED')
    expect(siblings(file)).toEqual([path.basename(file)])

    const again = await runCli(work, ['db', 'encrypt', '--db', file], { KOYA_DB_KEY: 'first key' })
    expect(again.code).not.toBe(0)
    expect(again.err).toContain('KL_COMPLIANCE_CIPHER_STATE')
  })

  it('re-keys: the old key stops opening it, the new one does', async () => {
    const file = plainDatabase()
    expect((await runCli(work, ['db', 'encrypt', '--db', file], { KOYA_DB_KEY: 'old key' })).code).toBe(0)
    const run = await runCli(work, ['db', 'rekey', '--db', file], { KOYA_DB_KEY: 'old key', KOYA_DB_NEW_KEY: 'new key' })
    expect(run.code, run.err).toBe(0)
    expect(codeOf(() => openDatabase(file, { encryption: { key: 'old key' } }))).toBe('KL_COMPLIANCE_WRONG_KEY')
    expect(rowsOf(file, 'new key')).toEqual({ n: 500, marked: 1 })
    expect(readFileSync(file).includes(MARKER)).toBe(false)
  })

  it('refuses a wrong key and leaves the file byte for byte as it was; decrypts with the right one', async () => {
    const file = plainDatabase()
    expect((await runCli(work, ['db', 'encrypt', '--db', file, '--key-env', 'MY_KEY'], { MY_KEY: 'right key' })).code).toBe(0)
    const encrypted = readFileSync(file)
    const wrong = await runCli(work, ['db', 'decrypt', '--db', file, '--key-env', 'MY_KEY'], { MY_KEY: 'wrong key' })
    expect(wrong.code).not.toBe(0)
    expect(wrong.err).toContain('KL_COMPLIANCE_WRONG_KEY')
    expect(readFileSync(file).equals(encrypted)).toBe(true)
    const missing = await runCli(work, ['db', 'decrypt', '--db', file], {})
    expect(missing.err).toContain('KOYA_DB_KEY is not set')

    const run = await runCli(work, ['db', 'decrypt', '--db', file, '--key-env', 'MY_KEY'], { MY_KEY: 'right key' })
    expect(run.code, run.err).toBe(0)
    expect(isPlain(file)).toBe(true)
    expect(rowsOf(file)).toEqual({ n: 500, marked: 1 })
    const reopened = openDatabase(file)
    expect(reopened.pragma('journal_mode', { simple: true })).toBe('wal')
    reopened.close()
    const plain = await runCli(work, ['db', 'rekey', '--db', file], { KOYA_DB_KEY: 'a', KOYA_DB_NEW_KEY: 'b' })
    expect(plain.err).toContain('KL_COMPLIANCE_CIPHER_STATE')
  })

  it('replaces a copy left by a run that crashed, and leaves nothing behind', async () => {
    const file = plainDatabase()
    writeFileSync(`${file}.koya-cipher`, 'half-written copy from a killed run')
    const run = await runCli(work, ['db', 'encrypt', '--db', file], { KOYA_DB_KEY: 'k' })
    expect(run.code, run.err).toBe(0)
    expect(rowsOf(file, 'k')).toEqual({ n: 500, marked: 1 })
    expect(siblings(file)).toEqual([path.basename(file)])
  })

  it('refuses while a connection in this process holds the database, and the file stays plain', async () => {
    const file = plainDatabase()
    const held = openDatabase(file)
    try {
      held.prepare('SELECT count(*) FROM "people"').get()
      const run = await runCli(work, ['db', 'encrypt', '--db', file], { KOYA_DB_KEY: 'k' })
      expect(run.code).not.toBe(0)
      expect(run.err).toContain('KL_COMPLIANCE_DB_IN_USE')
    } finally {
      held.close()
    }
    expect(isPlain(file)).toBe(true)
    expect(existsSync(`${file}.koya-cipher`)).toBe(false)
  })

  it('refuses while another process (a server) holds the database', async () => {
    const file = plainDatabase()
    const script = `
      const Database = require(${JSON.stringify(path.join(repoRoot, 'node_modules', 'better-sqlite3'))});
      const db = new Database(${JSON.stringify(file)}); db.pragma('journal_mode = WAL');
      db.prepare('SELECT 1').get(); process.stdout.write('ready\\n');
      setTimeout(() => process.exit(0), 20000);`
    const holder = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    try {
      await new Promise((resolve) => holder.stdout!.once('data', resolve))
      const run = await runCli(work, ['db', 'encrypt', '--db', file], { KOYA_DB_KEY: 'k' })
      expect(run.code).not.toBe(0)
      expect(run.err).toContain('KL_COMPLIANCE_DB_IN_USE')
      expect(run.err).toContain(`process ${holder.pid}`)
    } finally {
      const exited = new Promise((resolve) => holder.once('exit', resolve))
      holder.kill('SIGTERM')
      await exited
    }
    expect(isPlain(file)).toBe(true)
  })
})
