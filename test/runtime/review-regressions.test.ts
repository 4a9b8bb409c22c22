import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ProjectIR } from '../../engine/ir/project-ir.ts'
import { normalizeInstant } from '../../engine/runtime/data/column-values.ts'
import { MAX_ROWS_PER_WRITE } from '../../engine/runtime/data/write-targets.ts'
import { authApp, call, signedInUser, SERVICE_KEY, type AuthTestApp } from '../helpers/auth-app.ts'

/**
 * What the end-of-session review found in the new data layer, each as it was reproduced:
 * an upsert merging onto a row its caller cannot read, a foreign-key message that said more than
 * the failure itself, a CHECK's SQL in a response, an audit entry mislabelling a mixed upsert,
 * and instants of years 0–99 or with impossible offsets.
 */
let t: AuthTestApp
const service = (method: 'GET' | 'POST', url: string, body?: unknown, headers: Record<string, string> = {}) =>
  call(t, method, url, { token: SERVICE_KEY, ...(body === undefined ? {} : { body }), headers })
async function seed(table: string, row: Record<string, unknown>): Promise<string> {
  const response = await service('POST', `/api/${table}?select=id`, row, { prefer: 'return=representation' })
  expect(response.status, response.raw).toBe(201)
  return response.body[0].id
}

beforeAll(async () => {
  // workspaces: read narrowed to the support role; update (the owner) as the reference app has it.
  t = await authApp({
    model: (model: ProjectIR) => ({ ...model, policies: model.policies.map((p) => (p.table !== 'workspaces' ? p : { ...p, read: { ...p.read!, expr: { kind: 'hasRole', role: 'support' } } })) }),
  })
})
afterAll(async () => {
  await t?.close()
})

describe('review regressions', () => {
  it('an upsert never merges onto a row its caller cannot read: it is the conflict a plain insert meets', async () => {
    const u = await signedInUser(t, 'u')
    const id = await seed('workspaces', { name: 'Secret', slug: 'hidden-slug', ownerId: u.id })
    expect((await call(t, 'PATCH', `/api/workspaces/${id}`, { token: u.token, body: { name: 'via patch' } })).status).toBe(404)
    const upsert = await call(t, 'POST', '/api/workspaces?on_conflict=slug', { token: u.token, body: { name: 'via upsert', slug: 'hidden-slug', ownerId: u.id }, headers: { prefer: 'resolution=merge-duplicates' } })
    expect(upsert.status).toBe(409)
    expect(upsert.body.code).toBe('KL_API_CONFLICT')
    expect((await service('GET', `/api/workspaces/${id}?select=name`)).body.name).toBe('Secret')
  })

  it('a foreign-key failure under policies says the row is not readable, never that it does not exist', async () => {
    const v = await signedInUser(t, 'v')
    const w = await seed('workspaces', { name: 'W', slug: 'w-slug', ownerId: v.id })
    await seed('members', { workspaceId: w, userId: v.id, role: 'owner' })
    const p = await seed('projects', { workspaceId: w, name: 'P' })
    const missing = await call(t, 'POST', '/api/tasks', { token: v.token, body: { projectId: p, title: 'x', createdBy: v.id, assigneeId: '0190f0f0-0000-7000-8000-000000000000' } })
    expect(missing.status).toBe(422)
    expect(missing.body.message).toBe('"assigneeId" of "tasks" names no "users" row you can read.')
    expect(missing.raw).not.toContain('does not exist')
  })

  it('a CHECK failure names the column, never its SQL', async () => {
    const response = await service('POST', '/api/users', { email: 'nul@example.com', displayName: '\u0000' })
    expect(response.status).toBe(422)
    expect(response.body.message).toBe('A value of "displayName" is outside what the column allows.')
    expect(response.raw).not.toMatch(/length|BETWEEN/)
  })

  it('an impersonated upsert that creates one row and merges another is audited as both', async () => {
    const admin = await signedInUser(t, 'adm')
    await service('POST', `/admin/users/${admin.id}/roles`, { role: 'admin' })
    const target = await signedInUser(t, 'tgt')
    await service('POST', `/admin/users/${target.id}/roles`, { role: 'support' }) // may read workspaces here
    await seed('workspaces', { name: 'Old', slug: 'tgt-old', ownerId: target.id })
    const started = await call(t, 'POST', '/auth/impersonate', { token: admin.token, body: { userId: target.id, reason: 'ticket 9' } })
    expect(started.status, started.raw).toBe(201)
    const token = started.body.session.token as string
    const upsert = await call(t, 'POST', '/api/workspaces?on_conflict=slug', {
      token,
      body: [{ name: 'New', slug: 'tgt-new', ownerId: target.id }, { name: 'Merged', slug: 'tgt-old', ownerId: target.id }],
      headers: { prefer: 'resolution=merge-duplicates' },
    })
    expect(upsert.status, upsert.raw).toBe(201)
    const entries = (t.db.prepare(`SELECT "detail" FROM "_koya_audit_log" WHERE "action" = 'impersonation.write' AND "subjectId" = ?`).all(target.id) as { detail: string }[]).map((r) => JSON.parse(r.detail) as { operation: string; rows: number })
    expect(entries.map((e) => [e.operation, e.rows]).sort()).toEqual([
      ['create', 1],
      ['update', 1],
    ])
  })
})

describe('writes by filter', () => {
  it(`a filter matching more than ${MAX_ROWS_PER_WRITE} rows is refused whole with a coded 400, not a 500 from SQLite's parameter limit`, async () => {
    const owner = await signedInUser(t, 'bulk')
    const w = await seed('workspaces', { name: 'Bulk', slug: 'bulk', ownerId: owner.id })
    const p = await seed('projects', { workspaceId: w, name: 'Bulk' })
    const insert = t.db.prepare('INSERT INTO "tasks" ("projectId", "title", "createdBy", "priority") VALUES (?, ?, ?, 2)')
    t.db.transaction(() => {
      for (let i = 0; i <= MAX_ROWS_PER_WRITE; i++) insert.run(p, `t${i}`, owner.id)
    })()
    const patch = await call(t, 'PATCH', `/api/tasks?projectId=eq.${p}`, { token: SERVICE_KEY, body: { priority: 3 } })
    expect(patch.status).toBe(400)
    expect(patch.body.code).toBe('KL_API_LIMIT_EXCEEDED')
    const unchanged = t.db.prepare('SELECT count(*) AS n FROM "tasks" WHERE "projectId" = ? AND "priority" = 2').get(p) as { n: number }
    expect(unchanged.n).toBe(MAX_ROWS_PER_WRITE + 1)
    // Narrowed under the limit, the same write goes through.
    const narrowed = await call(t, 'PATCH', `/api/tasks?projectId=eq.${p}&title=in.(t1,t2)`, { token: SERVICE_KEY, body: { priority: 3 } })
    expect(narrowed.status).toBe(204)
  })
})

describe('instants', () => {
  it('years 0–99 are years 0–99 (not 1900–1999)', () => {
    expect(normalizeInstant('0050-06-01T00:00:00Z')).toBe('0050-06-01T00:00:00.000Z')
    expect(normalizeInstant('0000-01-01T00:00:00.000Z')).toBe('0000-01-01T00:00:00.000Z')
  })
  it('an offset past 23:59 is no offset', () => {
    expect(normalizeInstant('2026-12-24T01:00:00+05:99')).toBeUndefined()
    expect(normalizeInstant('2026-12-24T01:00:00+99:00')).toBeUndefined()
    expect(normalizeInstant('2026-12-24T01:00:00-23:59')).toBe('2026-12-25T00:59:00.000Z')
  })
})
