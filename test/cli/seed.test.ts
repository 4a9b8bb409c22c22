import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../engine/shared/sqlite.ts'
import { createTestApp } from '../../engine/testing/index.ts'
import demo from '../../seed/demo.ts'
import { runCli } from '../helpers/cli.ts'
import { repoRoot } from '../helpers/paths.ts'

const work = mkdtempSync(path.join(os.tmpdir(), 'koya-seed-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

const TABLES = ['users', 'workspaces', 'members', 'projects', 'tasks', 'comments'] as const

function counts(file: string): Record<string, number> {
  const db = openDatabase(file, { readonly: true })
  try {
    return Object.fromEntries(TABLES.map((t) => [t, db.prepare(`SELECT count(*) FROM "${t}"`).pluck().get() as number]))
  } finally {
    db.close()
  }
}

describe('koyalite seed and db reset (the reference app\'s seed/demo.ts)', () => {
  it('seeds through the data layer, and a second run changes nothing new', async () => {
    const file = path.join(work, 'dev.db')
    expect((await runCli(repoRoot, ['migrate', 'up', '--db', file])).code).toBe(0)
    const first = await runCli(repoRoot, ['seed', '--db', file], { KOYA_ENV: 'development' })
    expect(first.code, first.err).toBe(0)
    expect(first.out).toContain('seed/demo.ts')
    const after = counts(file)
    expect(after).toEqual({ users: 3, workspaces: 1, members: 3, projects: 2, tasks: 4, comments: 1 })
    const db = openDatabase(file)
    db.prepare(`UPDATE "tasks" SET "status" = 'todo' WHERE "title" = 'Book the launch pad'`).run()
    db.close()
    const second = await runCli(repoRoot, ['seed', '--db', file], { KOYA_ENV: 'development' })
    expect(second.code, second.err).toBe(0)
    expect(counts(file)).toEqual(after)
    const check = openDatabase(file, { readonly: true })
    // Upserts merge: the seeded value is back.
    expect(check.prepare(`SELECT "status" FROM "tasks" WHERE "title" = 'Book the launch pad'`).pluck().get()).toBe('done')
    check.close()
  })

  it('is refused in production unless --force', async () => {
    const file = path.join(work, 'prod.db')
    expect((await runCli(repoRoot, ['migrate', 'up', '--db', file])).code).toBe(0)
    const refused = await runCli(repoRoot, ['seed', '--db', file, '--env', 'production'])
    expect(refused.code).toBe(1)
    expect(refused.err).toContain('KL_SEED_REFUSED')
    expect(counts(file).users).toBe(0)
    const forced = await runCli(repoRoot, ['seed', '--db', file, '--env', 'production', '--force'])
    expect(forced.code, forced.err).toBe(0)
    expect(counts(file).users).toBe(3)
  })

  it('db reset drops, migrates and seeds in development, and is refused elsewhere', async () => {
    const file = path.join(work, 'reset.db')
    expect((await runCli(repoRoot, ['migrate', 'up', '--db', file])).code).toBe(0)
    const db = openDatabase(file)
    db.prepare(`INSERT INTO "users" ("id", "email", "displayName") VALUES ('01900000-0000-7000-8000-00000000ffff', 'stray@example.com', 'Stray')`).run()
    db.close()
    const refused = await runCli(repoRoot, ['db', 'reset', '--db', file], { KOYA_ENV: 'staging' })
    expect(refused.code).toBe(1)
    expect(refused.err).toContain('KL_SEED_REFUSED')
    expect(counts(file).users).toBe(1)
    const reset = await runCli(repoRoot, ['db', 'reset', '--db', file], { KOYA_ENV: 'development' })
    expect(reset.code, reset.err).toBe(0)
    expect(counts(file)).toEqual({ users: 3, workspaces: 1, members: 3, projects: 2, tasks: 4, comments: 1 })
  })

  it('createTestApp({ seed }) starts from the seed, and a seeded user signs in over HTTP', async () => {
    const app = await createTestApp({ root: repoRoot, seed: demo })
    try {
      const login = await app.asAnonymous().post('/auth/login', { email: 'grace@example.com', password: 'correct horse battery staple' })
      expect(login.status).toBe(200)
      const grace = await app.asUser('grace@example.com', { password: 'correct horse battery staple' })
      const tasks = await grace.get('/api/tasks?select=title&order=title')
      expect(tasks.status).toBe(200)
      expect((tasks.body as { title: string }[]).map((t) => t.title)).toContain('Write the press release')
    } finally {
      await app.close()
    }
  })
})
