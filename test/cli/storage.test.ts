import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyMigrations, readMigrations } from '../../engine/migrate/index.ts'
import { loadModel } from '../../engine/runtime/model.ts'
import { openDatabase } from '../../engine/shared/sqlite.ts'
import { runCli } from '../helpers/cli.ts'
import { repoRoot } from '../helpers/paths.ts'
import { PDF, PNG, testBuckets } from '../runtime/storage/storage-app.ts'

// `koyalite storage ls|put|get|rm` on a project whose model has buckets, with the service role.
describe('koyalite storage', () => {
  let root: string
  const env = () => ({ KOYA_DB: path.join(root, 'data', 'koya.db') })
  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'koya-storage-cli-'))
    mkdirSync(path.join(root, 'generated'), { recursive: true })
    writeFileSync(path.join(root, 'generated', 'model.json'), JSON.stringify({ ...loadModel(repoRoot), buckets: testBuckets() }))
    const db = openDatabase(path.join(root, 'data', 'koya.db'))
    applyMigrations(db, readMigrations(repoRoot).migrations)
    db.close()
    writeFileSync(path.join(root, 'photo.png'), PNG)
    writeFileSync(path.join(root, 'notes.txt'), 'not an image')
  })
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('puts, lists, gets and removes an object; the bucket\'s types still apply', async () => {
    const put = await runCli(root, ['storage', 'put', 'docs', 'photo.png', '--name', 'pics/photo.png'], env())
    expect(put.code, put.err).toBe(0)
    const id = /✓ (\S+) \((\d+) bytes, image\/png\)/.exec(put.out)![1]!
    const refused = await runCli(root, ['storage', 'put', 'docs', 'notes.txt'], env())
    expect(refused.code).toBe(1)
    expect(refused.err).toContain('KL_STORAGE_TYPE_NOT_ALLOWED')
    expect((await runCli(root, ['storage', 'put', 'docs', 'photo.png'], env())).code).toBe(0)
    writeFileSync(path.join(root, 'doc.pdf'), PDF)
    expect((await runCli(root, ['storage', 'put', 'docs', 'doc.pdf', '--name', 'pics/doc.pdf'], env())).code).toBe(0)
    const listed = await runCli(root, ['storage', 'ls', 'docs', '--prefix', 'pics/'], env())
    expect(listed.out.split('\n').map((line) => line.trim().split(/\s+/).pop())).toEqual(['pics/doc.pdf', 'pics/photo.png'])
    const got = await runCli(root, ['storage', 'get', 'docs', id, '--out', 'copy.png'], env())
    expect(got.code, got.err).toBe(0)
    expect(readFileSync(path.join(root, 'copy.png'))).toEqual(PNG)
    const key = (openDatabase(env().KOYA_DB).prepare('SELECT "key" FROM "_koya_objects" WHERE "id" = ?').all(id)[0] as { key: string }).key
    expect(existsSync(path.join(root, 'data', 'storage', key))).toBe(true)
    expect((await runCli(root, ['storage', 'rm', 'docs', id], env())).code).toBe(0)
    expect(existsSync(path.join(root, 'data', 'storage', key))).toBe(false)
    const gone = await runCli(root, ['storage', 'get', 'docs', id], env())
    expect(gone.err).toContain('KL_STORAGE_NOT_FOUND')
    expect((await runCli(root, ['storage', 'ls', 'nope'], env())).err).toContain('KL_STORAGE_UNKNOWN_BUCKET')
  })
})
