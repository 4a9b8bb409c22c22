import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { applyMigrations, readMigrations } from '../../engine/migrate/index.ts'
import { createServer, type CreateServerOptions } from '../../engine/runtime/index.ts'
import { loadModel } from '../../engine/runtime/model.ts'
import { openDatabase } from '../../engine/shared/sqlite.ts'
import { tableApis } from '../helpers/app.ts'
import { repoRoot } from '../helpers/paths.ts'

/** The options are grouped per module (`auth: { serviceKey }`); the settings given at the top level before modules still work. */
async function answerWith(options: Partial<CreateServerOptions>): Promise<number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-options-'))
  const db = openDatabase(path.join(dir, 'app.db'))
  applyMigrations(db, readMigrations(repoRoot).migrations)
  const model = loadModel(repoRoot)
  const app = await createServer({ model, db, tables: tableApis(model), logger: false, ...options })
  try {
    return (await app.inject({ method: 'GET', url: '/api/tasks', headers: { authorization: 'Bearer a-key-of-32-characters-or-so-123' } })).statusCode
  } finally {
    await app.close()
    db.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('createServer options', () => {
  it('auth: { serviceKey } makes the key the system role', async () => {
    expect(await answerWith({ auth: { serviceKey: 'a-key-of-32-characters-or-so-123' } })).toBe(200)
  })
  it('a top-level serviceKey (the shape before feature modules) still does', async () => {
    expect(await answerWith({ serviceKey: 'a-key-of-32-characters-or-so-123' })).toBe(200)
  })
  it('without a key the same bearer is refused', async () => {
    expect(await answerWith({})).toBe(401)
  })
})
