import { existsSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ColumnIR, ProjectIR } from '../../../engine/ir/project-ir.ts'
import { column } from '../../codegen/projects.ts'
import { PDF, PNG, SERVICE_KEY, bearer, storageApp, type StorageTestApp } from '../storage/storage-app.ts'

/**
 * The reference app with `tasks.coverId: t.file('docs')` and `tasks.attachments: t.files('docs')`,
 * and tasks deleted (not anonymised) when their creator is erased.
 */
const fileColumn = (name: string, many: boolean): ColumnIR =>
  column(name, many ? 'json' : 'text', { nullable: true, jsonSchema: many ? { type: 'array', items: { type: 'string' }, maxItems: 3 } : null, file: { bucket: 'docs', many, max: many ? 3 : null } })
const withFiles = (model: ProjectIR): ProjectIR => ({
  ...model,
  tables: model.tables.map((table) =>
    table.name === 'tasks' ? { ...table, columns: [...table.columns, fileColumn('coverId', false), fileColumn('attachments', true)], privacy: { ...table.privacy!, onErase: 'delete' as const } } : table,
  ),
})

describe('erasure removes the user\'s files', () => {
  let t: StorageTestApp
  beforeAll(async () => {
    t = await storageApp({ extend: withFiles, prepare: (db) => db.exec('ALTER TABLE "tasks" ADD COLUMN "coverId" TEXT; ALTER TABLE "tasks" ADD COLUMN "attachments" TEXT') })
  })
  afterAll(() => t?.close())

  const call = async (method: string, pathname: string, token: string, body?: unknown) => {
    const response = await fetch(`${t.url}${pathname}`, { method, headers: { ...bearer(token), prefer: 'return=representation', ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
    const text = await response.text()
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) }
  }
  const upload = async (token: string, bytes: Buffer) => {
    const response = await fetch(`${t.url}/storage/docs`, { method: 'POST', headers: { ...bearer(token), 'content-type': 'application/octet-stream' }, body: bytes })
    expect(response.status).toBe(201)
    return ((await response.json()) as { id: string }).id
  }
  const objectOf = (id: string) => t.db.prepare('SELECT "key", "ownerId" FROM "_koya_objects" WHERE "id" = ?').get(id) as { key: string; ownerId: string | null } | undefined
  const onDisk = (key: string) => existsSync(path.join(t.root, key))

  it('deletes (rows and bytes) what the user uploaded and what only their erased rows held; keeps, disowned, an upload a kept row holds', async () => {
    const ada = await t.user('ada-erase-files@example.com')
    const bob = await t.user('bob-erase-files@example.com')
    const [workspace] = (await call('POST', '/api/workspaces', SERVICE_KEY, { name: 'Team', slug: 'team-erase-files', ownerId: bob.id })).body
    await call('POST', '/api/members', SERVICE_KEY, [{ workspaceId: workspace.id, userId: ada.id, role: 'editor' }, { workspaceId: workspace.id, userId: bob.id, role: 'owner' }])
    const [project] = (await call('POST', '/api/projects', SERVICE_KEY, { workspaceId: workspace.id, name: 'P' })).body

    const loose = await upload(ada.token, PNG) // ada's, on no row
    const onHerTask = await upload(ada.token, PDF) // ada's, on her task
    const bobsOnHerTask = await upload(bob.token, PNG) // bob's, held only by ada's task
    const onBobsTask = await upload(ada.token, PDF) // ada's, on bob's task (kept)
    const bobsOwn = await upload(bob.token, PDF) // bob's, on nothing of ada's
    const herTask = await call('POST', '/api/tasks', SERVICE_KEY, { projectId: project.id, title: 'Hers', createdBy: ada.id, coverId: onHerTask, attachments: [bobsOnHerTask] })
    expect(herTask.status, JSON.stringify(herTask.body)).toBe(201)
    const bobsTask = await call('POST', '/api/tasks', SERVICE_KEY, { projectId: project.id, title: 'His', createdBy: bob.id, coverId: onBobsTask })
    expect(bobsTask.status, JSON.stringify(bobsTask.body)).toBe(201)
    const keys = Object.fromEntries([loose, onHerTask, bobsOnHerTask, onBobsTask, bobsOwn].map((id) => [id, objectOf(id)!.key]))
    for (const key of Object.values(keys)) expect(onDisk(key)).toBe(true)

    const erased = await call('DELETE', '/auth/me', ada.token, { password: 'correct-horse-battery-staple-1' })
    expect(erased.status, JSON.stringify(erased.body)).toBe(200)
    expect(erased.body.files).toEqual({ removed: 2, kept: 1 })
    expect(erased.body.tables).toContainEqual({ name: 'tasks', rule: 'delete', rows: 1 })

    for (const id of [loose, onHerTask, bobsOnHerTask]) {
      expect(objectOf(id), id).toBeUndefined()
      expect(onDisk(keys[id]!), id).toBe(false)
    }
    // Kept: held by bob's task, no longer ada's; bob's own upload untouched.
    expect(objectOf(onBobsTask)).toEqual({ key: keys[onBobsTask], ownerId: null })
    expect(onDisk(keys[onBobsTask]!)).toBe(true)
    expect(objectOf(bobsOwn)?.ownerId).toBe(bob.id)
    expect(onDisk(keys[bobsOwn]!)).toBe(true)
    expect((await fetch(`${t.url}/storage/docs/${onBobsTask}`, { headers: bearer(bob.token) })).status).toBe(200)
  })

  it('the admin erasure does the same', async () => {
    const cy = await t.user('cy-erase-files@example.com')
    const id = await upload(cy.token, PNG)
    const key = objectOf(id)!.key
    const erased = await call('DELETE', `/admin/users/${cy.id}`, SERVICE_KEY)
    expect(erased.status, JSON.stringify(erased.body)).toBe(200)
    expect(erased.body.files).toEqual({ removed: 1, kept: 0 })
    expect(objectOf(id)).toBeUndefined()
    expect(onDisk(key)).toBe(false)
  })
})
