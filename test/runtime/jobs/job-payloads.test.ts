import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyMigrations, readMigrations } from '../../../engine/migrate/index.ts'
import { createServer, loadHandlers } from '../../../engine/runtime/index.ts'
import { loadModel } from '../../../engine/runtime/model.ts'
import { openDatabase, type SqliteDatabase } from '../../../engine/shared/sqlite.ts'
import { SERVICE_KEY, tableApis } from '../../helpers/app.ts'
import { fixturesDir } from '../../helpers/paths.ts'
import { createClient, KoyaClientError, type JobPayloads } from '../../fixtures/queue/generated/sdk/index.ts'

/**
 * A job declared with a zod `payload` (test/fixtures/queue, job `typed`): its generated SDK call
 * and OpenAPI operation are typed from the schema, and a payload the schema refuses is a coded
 * error wherever it is enqueued, over a real listening server.
 */
const root = path.join(fixturesDir, 'queue')
const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-job-payloads-'))
let app: Awaited<ReturnType<typeof createServer>>
let db: SqliteDatabase
let origin: string

beforeAll(async () => {
  db = openDatabase(path.join(dir, 'app.db'))
  applyMigrations(db, readMigrations(root).migrations)
  const model = loadModel(root)
  const handlers = await loadHandlers(root, { model })
  app = await createServer({ model, db, tables: tableApis(model), auth: { serviceKey: SERVICE_KEY }, logger: false, jobs: { handlers, scheduler: false }, env: { KOYA_JOBS_POLL: '20ms' } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}, 60_000)
afterAll(async () => {
  await app?.close()
  db?.close()
  rmSync(dir, { recursive: true, force: true })
})

const koya = () => createClient({ url: origin, token: SERVICE_KEY })

async function settled(id: number): Promise<{ status: string; result: unknown; lastError: string | null }> {
  const end = Date.now() + 10_000
  for (;;) {
    const run = await koya().admin.jobRun(id)
    if (['done', 'dead', 'cancelled'].includes(run.status)) return run
    if (Date.now() > end) throw new Error(`run ${id} still ${run.status}`)
    await new Promise((resolve) => setTimeout(resolve, 30))
  }
}

const marks = (prefix: string) => (db.prepare(`SELECT "key" FROM "marks" WHERE "job" = 'typed' AND "key" LIKE ? ORDER BY "key"`).all(`${prefix}%`) as { key: string }[]).map((r) => r.key)

describe('a job with a payload schema', () => {
  it('runs through the typed SDK call with the payload the schema parsed (its default applied)', async () => {
    const payload: JobPayloads['typed'] = { key: 'sdk' }
    const run = await koya().admin.runJob('typed', payload)
    expect(run).toMatchObject({ kind: 'job:typed', status: 'pending', payload: { key: 'sdk' } })
    expect(await settled(run.id)).toMatchObject({ status: 'done', result: { copies: 1 } })
    expect(marks('sdk')).toEqual(['sdk-0'])
  })

  it('refuses a payload of the wrong shape with 400 KL_API_VALIDATION, and enqueues nothing', async () => {
    const before = (await koya().admin.jobRuns({ name: 'typed' })).length
    // @ts-expect-error copies is a number in the job's schema: the SDK refuses it at compile time too
    const wrongType = koya().admin.runJob('typed', { key: 'x', copies: 'two' })
    await expect(wrongType).rejects.toMatchObject({ status: 400, code: 'KL_API_VALIDATION' })
    const missing = await fetch(`${origin}/admin/jobs/typed/run`, { method: 'POST', headers: { authorization: `Bearer ${SERVICE_KEY}`, 'content-type': 'application/json' }, body: '{}' })
    expect(missing.status).toBe(400)
    expect(((await missing.json()) as { code: string }).code).toBe('KL_API_VALIDATION')
    expect((await koya().admin.jobRuns({ name: 'typed' })).length).toBe(before)
  })

  it('refuses what only the zod schema can say (a refine) with the field named', async () => {
    const error = await koya().admin.runJob('typed', { key: 'forbidden' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KoyaClientError)
    expect(error).toMatchObject({ status: 400, code: 'KL_API_VALIDATION' })
    expect((error as KoyaClientError).message).toContain('key may not be "forbidden"')
  })

  it('keeps the untyped jobs on /admin/jobs/:name/run, taking any JSON payload', async () => {
    const run = await koya().admin.runJob('record', { key: 'untyped' })
    expect(await settled(run.id)).toMatchObject({ status: 'done' })
  })

  it('never runs a bad payload that reached the queue by another path (dead at once, not retried)', async () => {
    // Enqueued under the job's kind directly (as an older process or a hand-made row would): dead at once, not retried.
    const id = Number((db.prepare(`INSERT INTO "_koya_jobs" ("kind", "payload", "runAt", "createdAt") VALUES ('job:typed', '{"key":""}', 0, 0) RETURNING "id"`).all() as { id: number }[])[0]!.id)
    const run = await settled(id)
    expect(run.status).toBe('dead')
    expect(run.lastError).toContain('KL_JOB_PAYLOAD_INVALID')
    expect((await koya().admin.jobRun(id)).attempts).toBe(1)
  })

  it('types the operation in OpenAPI from the schema', () => {
    const openapi = JSON.parse(readFileSync(path.join(root, 'generated/openapi.json'), 'utf8'))
    const body = openapi.paths['/admin/jobs/typed/run'].post.requestBody.content['application/json'].schema
    expect(body.required).toEqual(['payload'])
    expect(body.properties.payload).toMatchObject({ type: 'object', properties: { key: { type: 'string', minLength: 1 }, copies: { type: 'integer' } }, required: ['key'] })
    const generic = openapi.paths['/admin/jobs/{name}/run'].post.parameters.find((p: { name: string }) => p.name === 'name')
    expect(generic.schema.enum).not.toContain('typed')
  })
})
