import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SERVICE_KEY } from '../helpers/app.ts'
import { studioApp, type StudioTestApp } from '../helpers/studio-app.ts'

const service = { authorization: `Bearer ${SERVICE_KEY}`, prefer: 'return=representation' }

let t: StudioTestApp
let url: string
const ids: Record<string, string> = {}

async function post(path: string, body: object, headers: Record<string, string> = service): Promise<Response> {
  return fetch(`${url}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) })
}
async function create(table: string, body: object): Promise<string> {
  const res = await post(`/api/${table}`, body)
  if (res.status !== 201) throw new Error(`${table}: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { id: string }[])[0]!.id
}
interface Row { id: string; allowed: boolean; verdicts: Record<string, boolean>; row: { name: string } }
interface Simulation { actor: { userId: string | null; roles: string[] }; policies: { role: string; source: string | null; at: string | null; sql: string | null; parameters: unknown[] }[]; rows: Row[]; next: string | null }
const simulate = async (body: object) => post('/admin/studio/simulate', body)
const simulation = async (body: object) => (await (await simulate(body)).json()) as Simulation

beforeAll(async () => {
  t = await studioApp()
  url = await t.app.listen({ port: 0, host: '127.0.0.1' })
  ids.ada = await create('users', { email: 'ada@example.com', displayName: 'Ada' })
  ids.bob = await create('users', { email: 'bob@example.com', displayName: 'Bob' })
  ids.acme = await create('workspaces', { name: 'Acme', slug: 'acme', ownerId: ids.ada })
  ids.bobs = await create('workspaces', { name: 'Bobs', slug: 'bobs', ownerId: ids.bob })
  await create('members', { workspaceId: ids.acme, userId: ids.ada, role: 'owner' })
  await create('members', { workspaceId: ids.acme, userId: ids.bob, role: 'viewer' })
  await create('members', { workspaceId: ids.bobs, userId: ids.bob, role: 'owner' })
  ids.rockets = await create('projects', { workspaceId: ids.acme, name: 'Rockets' })
  ids.boats = await create('projects', { workspaceId: ids.bobs, name: 'Boats' })
})
afterAll(async () => t?.close())

describe('the policy simulator (POST /admin/studio/simulate)', () => {
  it('answers which rows a user may read, with the compiled predicate and its bound user id', async () => {
    const res = await simulate({ table: 'projects', operation: 'read', userId: ids.ada })
    expect(res.status).toBe(200)
    const body = (await res.json()) as Simulation
    expect(body.actor).toEqual({ userId: ids.ada, roles: [] })
    const verdicts = Object.fromEntries(body.rows.map((r: { row: { name: string }; allowed: boolean }) => [r.row.name, r.allowed]))
    expect(verdicts).toEqual({ Rockets: true, Boats: false })
    expect(body.policies).toHaveLength(1)
    const read = body.policies[0]!
    expect(read.role).toBe('read')
    expect(read.source).toContain('project.workspace.members.some')
    expect(read.at).toMatch(/^policies\/projects\.ts:\d+:\d+$/)
    expect(read.sql).toContain('"members"')
    expect(read.parameters).toContain(ids.ada)
  })

  it('judges update and delete as the API does: readable rows that the operation admits', async () => {
    const update = await simulation({ table: 'projects', operation: 'update', userId: ids.bob })
    const byName = (rows: Row[]): Record<string, Row> => Object.fromEntries(rows.map((r) => [r.row.name, r]))
    // Bob reads Rockets (a viewer of Acme) but may not change it; he owns Bobs.
    expect(byName(update.rows).Rockets).toMatchObject({ allowed: false, verdicts: { read: true, update: false } })
    expect(byName(update.rows).Boats).toMatchObject({ allowed: true, verdicts: { read: true, update: true } })
    expect(update.policies.map((p: { role: string }) => p.role)).toEqual(['read', 'update'])
    const remove = await simulation({ table: 'projects', operation: 'delete', userId: ids.ada })
    expect(byName(remove.rows).Rockets!.allowed).toBe(true)
    expect(byName(remove.rows).Boats!.verdicts).toEqual({ read: false, delete: false })
  })

  it('simulates an anonymous caller, a table without a rule (deny by default), and other roles', async () => {
    const anonymous = await simulation({ table: 'projects', operation: 'read', userId: null })
    expect(anonymous.rows.every((r: { allowed: boolean }) => !r.allowed)).toBe(true)
    // users has no delete rule: nobody but the system may delete, whatever the row.
    const noRule = await simulation({ table: 'users', operation: 'delete', userId: ids.ada })
    expect(noRule.policies.map((p: { role: string; sql: string | null }) => [p.role, p.sql === null])).toEqual([['read', false], ['delete', true]])
    expect(noRule.rows.map((r: { allowed: boolean }) => r.allowed)).toEqual([false, false])
    // Roles given replace the granted ones: as an admin, Bob reads every user.
    const own = await simulation({ table: 'users', operation: 'read', userId: ids.bob })
    expect(own.rows.filter((r: { allowed: boolean }) => r.allowed).map((r: { id: string }) => r.id)).toEqual([ids.bob])
    const asAdmin = await simulation({ table: 'users', operation: 'read', userId: ids.bob, roles: ['admin'] })
    expect(asAdmin.actor.roles).toEqual(['admin'])
    expect(asAdmin.rows.every((r: { allowed: boolean }) => r.allowed)).toBe(true)
    expect(asAdmin.policies[0]!.parameters).toContain('["admin"]')
  })

  it('pages by id', async () => {
    const first = await simulation({ table: 'projects', operation: 'read', userId: ids.ada, limit: 1 })
    expect(first.rows).toHaveLength(1)
    expect(first.next).toBe(first.rows[0]!.id)
    const second = await simulation({ table: 'projects', operation: 'read', userId: ids.ada, limit: 1, after: first.next })
    expect(second.rows).toHaveLength(1)
    expect(second.rows[0]!.id).not.toBe(first.rows[0]!.id)
    expect(second.next).toBeNull()
  })

  it('is for admins only, and refuses unknown tables and users', async () => {
    expect((await post('/admin/studio/simulate', { table: 'projects', operation: 'read', userId: null }, {})).status).toBe(401)
    const table = await simulate({ table: 'nope', operation: 'read', userId: null })
    expect(table.status).toBe(404)
    const user = await simulate({ table: 'projects', operation: 'read', userId: 'nobody' })
    expect(user.status).toBe(404)
    expect(((await user.json()) as { code: string }).code).toBe('KL_API_NOT_FOUND')
    expect((await simulate({ table: 'projects', operation: 'drop', userId: null })).status).toBe(400)
  })
})
