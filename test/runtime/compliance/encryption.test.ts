import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { KoyaError } from '../../../engine/shared/errors.ts'
import { openDatabase } from '../../../engine/shared/sqlite.ts'

const MARKER = 'PLAINTEXT-MARKER-ada@example.com'
const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})
const fileIn = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-enc-'))
  dirs.push(dir)
  return path.join(dir, 'app.db')
}

describe('encryption at rest (SQLCipher)', () => {
  it('writes a file and a WAL without the SQLite header or any plaintext, readable again with the key', () => {
    const file = fileIn()
    const db = openDatabase(file, { encryption: { key: 'correct key' } })
    db.exec('CREATE TABLE t (x TEXT)')
    db.prepare('INSERT INTO t VALUES (?)').run(MARKER)
    // The write is still in the WAL: both files are checked.
    const wal = readFileSync(`${file}-wal`)
    expect(wal.length).toBeGreaterThan(0)
    expect(wal.includes(MARKER)).toBe(false)
    db.pragma('wal_checkpoint(TRUNCATE)')
    const bytes = readFileSync(file)
    expect(bytes.subarray(0, 16).toString('latin1')).not.toBe('SQLite format 3\u0000')
    expect(bytes.includes(MARKER)).toBe(false)
    expect(bytes.includes('CREATE TABLE')).toBe(false)
    db.close()
    const again = openDatabase(file, { encryption: { key: 'correct key' } })
    expect(again.prepare('SELECT x FROM t').get()).toEqual({ x: MARKER })
    expect(again.pragma('journal_mode', { simple: true })).toBe('wal')
    again.close()
  })

  it('refuses a wrong key, a missing key and a key for a plain file with coded errors', () => {
    const file = fileIn()
    openDatabase(file, { encryption: { key: 'correct key' } }).close()
    const codeOf = (open: () => unknown) => {
      try {
        open()
      } catch (error) {
        expect(error).toBeInstanceOf(KoyaError)
        return (error as KoyaError).code
      }
      return 'opened'
    }
    expect(codeOf(() => openDatabase(file, { encryption: { key: 'wrong key' } }))).toBe('KL_COMPLIANCE_WRONG_KEY')
    expect(codeOf(() => openDatabase(file))).toBe('KL_COMPLIANCE_DB_ENCRYPTED')
    const plain = fileIn()
    openDatabase(plain).close()
    expect(codeOf(() => openDatabase(plain, { encryption: { key: 'any key' } }))).toBe('KL_COMPLIANCE_WRONG_KEY')
  })
})
