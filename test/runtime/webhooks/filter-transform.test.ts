import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyMigrations, readMigrations } from '../../../engine/migrate/index.ts'
import { createServer, loadHandlers } from '../../../engine/runtime/index.ts'
import { loadModel } from '../../../engine/runtime/model.ts'
import { openDatabase, type SqliteDatabase } from '../../../engine/shared/sqlite.ts'
import { SERVICE_KEY, tableApis } from '../../helpers/app.ts'
import { fixturesDir } from '../../helpers/paths.ts'
import { newSecret, startReceiver, type Receiver } from './webhook-fixtures.ts'

/**
 * The handlers fixture's webhooks with their bundled code (generated/handlers): `taskDone` sends
 * only tasks whose status is done, shaped by its transform; `audit` sends deletes as they are.
 */
const root = path.join(fixturesDir, 'handlers')
let receiver: Receiver
let app: Awaited<ReturnType<typeof createServer>>
let db: SqliteDatabase
const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-webhook-handlers-'))

beforeAll(async () => {
  const secret = newSecret()
  receiver = await startReceiver([secret])
  db = openDatabase(path.join(dir, 'app.db'))
  applyMigrations(db, readMigrations(root).migrations)
  const model = loadModel(root)
  const handlers = await loadHandlers(root, { model })
  app = await createServer({ model, db, tables: tableApis(model), auth: { serviceKey: SERVICE_KEY }, logger: false, webhooks: { handlers }, env: { TASK_WEBHOOK_URL: receiver.url, TASK_WEBHOOK_SECRET: secret, KOYA_WEBHOOK_ALLOW_HOSTS: '127.0.0.1', KOYA_JOBS_POLL: '20ms' } })
  await app.ready()
})
afterAll(async () => {
  await app.close()
  db.close()
  await receiver.close()
  rmSync(dir, { recursive: true, force: true })
})

const write = (method: 'POST' | 'PATCH', url: string, body: unknown) => app.inject({ method, url, headers: { authorization: `Bearer ${SERVICE_KEY}`, prefer: 'return=representation', 'content-type': 'application/json' }, payload: JSON.stringify(body) })

describe('a webhook with a filter and a transform', () => {
  it('sends only the events its filter admits, with the body its transform returns', async () => {
    const todo = JSON.parse((await write('POST', '/api/tasks', { title: 'Write', status: 'todo' })).body)
    const row = Array.isArray(todo) ? todo[0] : todo
    expect((await write('POST', '/api/tasks', { title: 'Ship', status: 'done' })).statusCode).toBe(201)
    expect((await write('PATCH', `/api/tasks/${row.id}`, { status: 'done' })).statusCode).toBe(200)
    await receiver.waitFor((r) => r.length >= 2)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(receiver.received).toHaveLength(2)
    expect(receiver.received.every((r) => r.verified)).toBe(true)
    expect(receiver.received.map((r) => r.body).sort((a, b) => a.title.localeCompare(b.title))).toEqual([
      { id: expect.any(String), title: 'Ship' },
      { id: row.id, title: 'Write' },
    ])
  })
})
