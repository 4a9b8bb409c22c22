import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadModel } from '../../../engine/runtime/model.ts'
import { call, signedInUser } from '../../helpers/auth-app.ts'
import { repoRoot } from '../../helpers/paths.ts'
import { admin, functionsApp, killDenoUnder, type FunctionsTestApp } from './functions-fixture.ts'

// The reference app's own function (koyalite.ts, functions/project-summary.ts), run from the
// bundle `koyalite generate` committed.
describe('functions: the reference app', () => {
  let t: FunctionsTestApp
  beforeAll(async () => {
    const fn = loadModel(repoRoot).functions!.find((candidate) => candidate.name === 'projectSummary')!
    const bundle = path.join(repoRoot, fn.bundle)
    t = await functionsApp([{ ...fn, code: readFileSync(bundle, 'utf8'), sourceMap: readFileSync(`${bundle}.map`, 'utf8') }])
  }, 60_000)
  afterAll(async () => {
    await t?.close()
    if (t) killDenoUnder(t.workDir)
  })

  const create = async (table: string, row: Record<string, unknown>): Promise<string> => {
    const response = await call(t, 'POST', `/api/${table}`, { headers: { ...admin(), prefer: 'return=representation' }, body: row })
    if (response.status !== 201) throw new Error(`${table}: ${response.raw}`)
    return (Array.isArray(response.body) ? response.body[0] : response.body).id as string
  }

  it("counts a project's tasks as the caller sees them: a non-member sees none", async () => {
    const alice = await signedInUser(t, 'alice')
    const bob = await signedInUser(t, 'bob')
    const workspaceId = await create('workspaces', { name: 'Acme', slug: `acme-${Date.now()}`, ownerId: alice.id })
    await create('members', { workspaceId, userId: alice.id, role: 'owner' })
    const projectId = await create('projects', { workspaceId, name: 'Launch' })
    const past = new Date(Date.now() - 86_400_000).toISOString()
    for (const [title, status, dueAt] of [['a', 'todo', past], ['b', 'todo', null], ['c', 'doing', null], ['d', 'done', past]] as const) {
      await create('tasks', { projectId, title, status, createdBy: alice.id, ...(dueAt !== null ? { dueAt } : {}) })
    }
    const summary = async (token: string) => {
      const response = await fetch(`${t.url}/functions/projectSummary`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ projectId }) })
      return { status: response.status, body: await response.json() }
    }
    expect(await summary(alice.token)).toEqual({ status: 200, body: { total: 4, todo: 2, doing: 1, done: 1, overdue: 1 } })
    expect(await summary(bob.token)).toEqual({ status: 200, body: { total: 0, todo: 0, doing: 0, done: 0, overdue: 0 } })
    // The input schema is checked before any worker is asked.
    const invalid = await fetch(`${t.url}/functions/projectSummary`, { method: 'POST', headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' }, body: '{}' })
    expect(invalid.status).toBe(400)
  }, 60_000)
})
