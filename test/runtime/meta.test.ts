import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyMigrations, readMigrations } from '../../engine/migrate/index.ts'
import { createServer, loadModel } from '../../engine/runtime/index.ts'
import { openDatabase } from '../../engine/shared/sqlite.ts'
import { createTestApp, type TestApp } from '../../engine/testing/index.ts'
import { tableApis } from '../helpers/app.ts'
import { runCli } from '../helpers/cli.ts'
import { repoRoot } from '../helpers/paths.ts'

describe('GET /admin/meta and maintenance mode', () => {
  let app: TestApp
  let ownerId: string
  beforeAll(async () => {
    app = await createTestApp({ root: repoRoot })
    ownerId = (await app.user('owner@example.com', { fields: { displayName: 'Owner' } })).id
  })
  afterAll(() => app.close())

  it('describes tables, policies (source, location and SQL), migrations and the project to an admin only', async () => {
    const meta = await app.asService().get('/admin/meta')
    expect(meta.status).toBe(200)
    const body = meta.body as { project: { name: string; maintenance: boolean }; tables: { name: string; columns: { name: string }[]; policies: { read: { source: string; at: { file: string }; sql: string } | null; delete: unknown } }[]; migrations: { id: string }[] }
    expect(body.project).toMatchObject({ name: 'koya-tasks', maintenance: false })
    const tasks = body.tables.find((t) => t.name === 'tasks')!
    expect(tasks.columns.map((c) => c.name)).toContain('projectId')
    expect(tasks.policies.read!.source).toContain('=>')
    expect(tasks.policies.read!.at.file).toMatch(/^policies\//)
    expect(tasks.policies.read!.sql).toMatch(/EXISTS|"row"\./)
    expect(body.migrations.map((m) => m.id)).toEqual(readMigrations(repoRoot).migrations.map((m) => m.id))

    const user = app.user('owner@example.com')
    expect((await (await user).client.get('/admin/meta')).status).toBe(403)
    expect((await app.asAnonymous().get('/admin/meta')).status).toBe(401)
  })

  it('refuses writes with 503 while maintenance is on, serves reads, audits the switch, and serves writes again after', async () => {
    const service = app.asService()
    const on = await service.post('/admin/maintenance', { on: true, reason: 'upgrading the schema' })
    expect(on.status).toBe(200)
    expect(on.body).toMatchObject({ maintenance: true, maintenanceReason: 'upgrading the schema' })
    const refused = await service.post('/api/workspaces', { name: 'W', slug: 'w-maintenance', ownerId })
    expect(refused.status).toBe(503)
    expect(refused.body).toMatchObject({ code: 'KL_API_MAINTENANCE' })
    expect((refused.body as { message: string }).message).toContain('upgrading the schema')
    expect(refused.headers.get('retry-after')).toBe('30')
    expect((await service.get('/api/workspaces')).status).toBe(200)
    expect(app.db.prepare(`SELECT count(*) FROM "workspaces" WHERE "slug" = 'w-maintenance'`).pluck().get()).toBe(0)
    const audit = await service.get('/admin/audit?action=maintenance.on')
    expect(audit.body).toEqual([expect.objectContaining({ action: 'maintenance.on', reason: 'upgrading the schema' })])

    expect((await service.post('/admin/maintenance', { on: false })).body).toMatchObject({ maintenance: false, maintenanceReason: null })
    expect((await service.post('/api/workspaces', { name: 'W', slug: 'w-maintenance', ownerId })).status).toBe(201)
  })
})

describe('koyalite maintenance and info against a running server on the same file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-meta-'))
  const file = path.join(dir, 'app.db')
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('a switch made by the CLI (another connection) reaches the server within a second', async () => {
    const db = openDatabase(file)
    applyMigrations(db, readMigrations(repoRoot).migrations)
    const model = loadModel(repoRoot)
    const server = await createServer({ model, db, tables: tableApis(model), logger: false, auth: { serviceKey: 'meta-test-service-key-0123456789' } })
    try {
      const create = (slug: string) =>
        server.inject({ method: 'POST', url: '/api/users', headers: { authorization: 'Bearer meta-test-service-key-0123456789' }, payload: { email: `${slug}@example.com`, displayName: slug } })
      expect((await create('before')).statusCode).toBe(201)
      const on = await runCli(repoRoot, ['maintenance', 'on', '--db', file, '--reason', 'restore drill'])
      expect(on.code, on.err).toBe(0)
      await new Promise((resolve) => setTimeout(resolve, 1100))
      const refused = await create('during')
      expect(refused.statusCode).toBe(503)
      expect(refused.json()).toMatchObject({ code: 'KL_API_MAINTENANCE' })
      expect((await runCli(repoRoot, ['maintenance', 'status', '--db', file])).out).toContain('on: restore drill')
      const info = await runCli(repoRoot, ['info', '--db', file])
      expect(info.code, info.err).toBe(0)
      expect(info.out).toContain('koya-tasks')
      expect(info.out).toMatch(/maintenance\s+on: restore drill/)
      expect(info.out).toMatch(/users\s+1\b/)
      expect(info.out).toMatch(/applied, none pending/)
      expect((await runCli(repoRoot, ['maintenance', 'off', '--db', file])).code).toBe(0)
      await new Promise((resolve) => setTimeout(resolve, 1100))
      expect((await create('after')).statusCode).toBe(201)
    } finally {
      await server.close()
      db.close()
    }
  }, 20_000)

  it('koyalite maintenance refuses a database path where there is none, rather than switch an empty new file', async () => {
    // Review: a wrong --db (or cwd) made a new empty database, said "✓ maintenance on", and the
    // real server went on taking writes during the operator's migration or restore.
    const missing = path.join(dir, 'typo', 'koya.db')
    const on = await runCli(repoRoot, ['maintenance', 'on', '--db', missing])
    expect(on.code).toBe(1)
    expect(on.err).toContain('KL_CLI_DATABASE')
    expect(existsSync(missing)).toBe(false)
    const status = await runCli(repoRoot, ['maintenance', 'status', '--db', missing])
    expect(status.code).toBe(1)
    expect(existsSync(missing)).toBe(false)
  })
})
