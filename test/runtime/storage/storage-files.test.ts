import { existsSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ColumnIR, ProjectIR } from '../../../engine/ir/project-ir.ts'
import { column } from '../../codegen/projects.ts'
import { PDF, PNG, SERVICE_KEY, bearer, storageApp, type StorageTestApp } from './storage-app.ts'

const fileColumn = (name: string, many: boolean): ColumnIR =>
  column(name, many ? 'json' : 'text', { nullable: true, jsonSchema: many ? { type: 'array', items: { type: 'string' }, maxItems: 3 } : null, file: { bucket: 'docs', many, max: many ? 3 : null } })

/** The reference app's tasks with `coverId: t.file('docs')` and `attachments: t.files('docs', { max: 3 })`. */
const withFiles = (model: ProjectIR): ProjectIR => ({
  ...model,
  tables: model.tables.map((table) => (table.name === 'tasks' ? { ...table, columns: [...table.columns, fileColumn('coverId', false), fileColumn('attachments', true)] } : table)),
})

// Files on rows: a task's files follow the task's read policy (members of its workspace), while
// the docs bucket's own rule admits only the uploader. Ada owns workspace W1, Bob is a viewer in
// it; Cid owns W2.
describe('files on rows', () => {
  let t: StorageTestApp
  let ada: { id: string; token: string }
  let bob: { id: string; token: string }
  let cid: { id: string; token: string }
  let p1: string
  let p2: string
  beforeAll(async () => {
    t = await storageApp({ extend: withFiles, prepare: (db) => db.exec('ALTER TABLE "tasks" ADD COLUMN "coverId" TEXT; ALTER TABLE "tasks" ADD COLUMN "attachments" TEXT') })
    ada = await t.user('ada@example.com')
    bob = await t.user('bob@example.com')
    cid = await t.user('cid@example.com')
    const made = async (path: string, body: object) => ((await (await call('POST', path, SERVICE_KEY, body, { prefer: 'return=representation' })).json()) as { id: string }[])[0]!.id
    const w1 = await made('/api/workspaces', { name: 'One', slug: 'one', ownerId: ada.id })
    const w2 = await made('/api/workspaces', { name: 'Two', slug: 'two', ownerId: cid.id })
    await call('POST', '/api/members', SERVICE_KEY, [{ workspaceId: w1, userId: ada.id, role: 'owner' }, { workspaceId: w1, userId: bob.id, role: 'viewer' }, { workspaceId: w2, userId: cid.id, role: 'owner' }])
    p1 = await made('/api/projects', { workspaceId: w1, name: 'P1' })
    p2 = await made('/api/projects', { workspaceId: w2, name: 'P2' })
  })
  afterAll(() => t?.close())

  const call = (method: string, path: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${t.url}${path}`, { method, headers: { ...bearer(token), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
  const upload = async (token: string, bytes: Buffer = PNG) => ((await (await fetch(`${t.url}/storage/docs`, { method: 'POST', headers: { ...bearer(token), 'content-type': 'application/octet-stream' }, body: bytes })).json()) as { id: string }).id
  const task = async (token: string, projectId: string, createdBy: string, extra: object) => {
    const answer = await call('POST', '/api/tasks', token, { projectId, title: 'With files', createdBy, ...extra }, { prefer: 'return=representation' })
    return { status: answer.status, body: (await answer.json()) as { id: string }[] & { code?: string } }
  }
  const status = async (path: string, token: string | undefined) => (await call('GET', path, token)).status
  const objectExists = (id: string) => t.db.prepare('SELECT COUNT(*) FROM "_koya_objects" WHERE "id" = ?').pluck().all(id)[0] === 1
  const settle = () => new Promise((resolve) => setTimeout(resolve, 50))

  it('a member who may read the task downloads its files; others do not; the bucket rule alone would refuse the member', async () => {
    const a = await upload(ada.token)
    const b = await upload(ada.token, PDF)
    expect(await status(`/storage/docs/${a}`, bob.token)).toBe(404)
    const made = await task(ada.token, p1, ada.id, { coverId: a, attachments: [b] })
    expect(made.status).toBe(201)
    for (const id of [a, b]) {
      expect(await status(`/storage/docs/${id}`, bob.token)).toBe(200)
      expect(await status(`/storage/docs/${id}`, cid.token)).toBe(404)
      expect(await status(`/storage/docs/${id}`, undefined)).toBe(404)
    }
    // Signing follows the same decision.
    expect((await call('POST', `/storage/docs/${a}/sign`, bob.token, { expiresIn: 60 })).status).toBe(200)
    expect((await call('POST', `/storage/docs/${a}/sign`, cid.token, { expiresIn: 60 })).status).toBe(404)
  })

  it('writing a file column checks the objects: missing, of another bucket, or neither uploaded by nor readable to the writer is a coded 400 and nothing is written', async () => {
    const adas = await upload(ada.token)
    const cids = await upload(cid.token)
    const other = ((await (await fetch(`${t.url}/storage/open`, { method: 'POST', headers: { ...bearer(cid.token), 'content-type': 'application/octet-stream' }, body: PNG })).json()) as { id: string }).id
    for (const extra of [{ coverId: adas }, { attachments: [cids, adas] }, { coverId: '0193aaaa-0000-7000-8000-000000000000' }, { coverId: other }]) {
      const refused = await task(cid.token, p2, cid.id, extra)
      expect(refused.status, JSON.stringify(extra)).toBe(400)
      expect(refused.body.code).toBe('KL_STORAGE_BAD_FILE')
    }
    expect(t.db.prepare(`SELECT COUNT(*) FROM "tasks" WHERE "projectId" = ?`).pluck().all(p2)[0]).toBe(0)
    expect((await task(cid.token, p2, cid.id, { coverId: cids })).status).toBe(201)
  })

  it('clearing a column or deleting the row deletes the objects no other row holds, after the commit', async () => {
    const shared = await upload(ada.token)
    const only = await upload(ada.token)
    const cover = await upload(ada.token)
    const first = (await task(ada.token, p1, ada.id, { attachments: [shared, only], coverId: cover })).body[0]!.id
    const second = (await task(ada.token, p1, ada.id, { attachments: [shared] })).body[0]!.id
    expect((await call('PATCH', `/api/tasks/${first}`, ada.token, { attachments: [] })).status).toBeLessThan(300)
    await settle()
    expect(objectExists(only)).toBe(false)
    expect(objectExists(shared)).toBe(true)
    expect(await status(`/storage/docs/${only}`, ada.token)).toBe(404)
    expect((await call('DELETE', `/api/tasks/${first}`, ada.token)).status).toBeLessThan(300)
    await settle()
    expect(objectExists(cover)).toBe(false)
    expect((await call('DELETE', `/api/tasks/${second}`, ada.token)).status).toBeLessThan(300)
    await settle()
    expect(objectExists(shared)).toBe(false)
  })

  it('rows removed by ON DELETE CASCADE release their objects too (a project delete takes its tasks and their files)', async () => {
    const doomed = (await (await call('POST', '/api/projects', SERVICE_KEY, { workspaceId: (await (await call('GET', `/api/projects/${p1}`, SERVICE_KEY)).json() as { workspaceId: string }).workspaceId, name: 'Doomed' }, { prefer: 'return=representation' })).json()) as { id: string }[]
    const project = doomed[0]!.id
    const cover = await upload(ada.token)
    const listed = await upload(ada.token, PDF)
    const kept = await upload(ada.token)
    expect((await task(ada.token, project, ada.id, { coverId: cover, attachments: [listed, kept] })).status).toBe(201)
    expect((await task(ada.token, p1, ada.id, { attachments: [kept] })).status).toBe(201)
    const keyOf = (id: string) => t.db.prepare('SELECT "key" FROM "_koya_objects" WHERE "id" = ?').pluck().all(id)[0] as string
    const coverFile = path.join(t.root, keyOf(cover))
    expect(existsSync(coverFile)).toBe(true)
    expect((await call('DELETE', `/api/projects/${project}`, SERVICE_KEY)).status).toBeLessThan(300)
    await settle()
    expect(t.db.prepare('SELECT COUNT(*) FROM "tasks" WHERE "projectId" = ?').pluck().all(project)[0]).toBe(0)
    expect(objectExists(cover)).toBe(false)
    expect(objectExists(listed)).toBe(false)
    expect(objectExists(kept)).toBe(true)
    expect(existsSync(coverFile)).toBe(false)
    expect(t.db.prepare('SELECT COUNT(*) FROM "_koya_released_objects"').pluck().all()[0]).toBe(0)
  })

  it('more files than the column\'s max are refused by its schema', async () => {
    const ids = [await upload(ada.token), await upload(ada.token), await upload(ada.token), await upload(ada.token)]
    const refused = await task(ada.token, p1, ada.id, { attachments: ids })
    expect(refused.status).toBe(400)
  })
})
