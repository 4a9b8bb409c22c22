import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PDF, PNG, SERVICE_KEY, bearer, storageApp, type StorageTestApp } from '../runtime/storage/storage-app.ts'

// The policy simulator on a storage bucket's objects: the same verdicts /storage gives (the
// bucket's access rules, compiled into the objects table's policies), per user, over real HTTP.
interface Simulation { table: string; actor: { userId: string | null }; policies: { role: string; source: string | null; sql: string | null }[]; rows: { id: string; allowed: boolean; row: { bucket: string; name: string } }[] }

let t: StorageTestApp
let ada: { id: string; token: string }
let bob: { id: string; token: string }
const objects: Record<string, string> = {}

const simulate = (body: object) =>
  fetch(`${t.url}/admin/studio/simulate`, { method: 'POST', headers: { ...bearer(SERVICE_KEY), 'content-type': 'application/json' }, body: JSON.stringify(body) })
const verdicts = async (body: object): Promise<Record<string, boolean>> => {
  const answer = await simulate(body)
  expect(answer.status).toBe(200)
  const simulation = (await answer.json()) as Simulation
  expect(simulation.table).toBe('_koya_objects')
  return Object.fromEntries(simulation.rows.map((r) => [`${r.row.bucket}/${r.row.name}`, r.allowed]))
}

beforeAll(async () => {
  t = await storageApp()
  ada = await t.user('ada@example.com')
  bob = await t.user('bob@example.com')
  const upload = async (bucket: string, name: string, body: Buffer, token: string) => {
    const answer = await fetch(`${t.url}/storage/${bucket}?name=${name}`, { method: 'POST', headers: { ...bearer(token), 'content-type': 'application/octet-stream' }, body })
    expect(answer.status).toBe(201)
    objects[`${bucket}/${name}`] = ((await answer.json()) as { id: string }).id
  }
  await upload('docs', 'ada.png', PNG, ada.token)
  await upload('docs', 'bob.pdf', PDF, bob.token)
  await upload('open', 'ada.pdf', PDF, ada.token)
})
afterAll(() => t?.close())

describe('the policy simulator on storage buckets', () => {
  it('judges a bucket\'s objects by its read rule, per user, with the compiled predicate', async () => {
    expect(await verdicts({ bucket: 'docs', operation: 'read', userId: ada.id })).toEqual({ 'docs/ada.png': true, 'docs/bob.pdf': false })
    expect(await verdicts({ bucket: 'docs', operation: 'read', userId: bob.id })).toEqual({ 'docs/ada.png': false, 'docs/bob.pdf': true })
    expect(await verdicts({ bucket: 'docs', operation: 'read', userId: null })).toEqual({ 'docs/ada.png': false, 'docs/bob.pdf': false })
    expect(await verdicts({ bucket: 'open', operation: 'read', userId: null })).toEqual({ 'open/ada.pdf': true })
    const body = (await (await simulate({ bucket: 'docs', operation: 'read', userId: bob.id })).json()) as Simulation
    expect(body.policies[0]?.sql).toContain('"ownerId"')
  })

  it('agrees with what /storage answers each of them', async () => {
    for (const [user, token] of [[ada.id, ada.token], [bob.id, bob.token]] as const) {
      const judged = await verdicts({ bucket: 'docs', operation: 'read', userId: user })
      for (const [key, allowed] of Object.entries(judged)) {
        const answer = await fetch(`${t.url}/storage/docs/${objects[key]}`, { headers: bearer(token) })
        expect(answer.status).toBe(allowed ? 200 : 404)
      }
    }
  })

  it('judges delete as /storage does: the object must be readable and the delete rule admit it', async () => {
    expect(await verdicts({ bucket: 'open', operation: 'delete', userId: bob.id })).toEqual({ 'open/ada.pdf': false })
    expect(await verdicts({ bucket: 'open', operation: 'delete', userId: ada.id })).toEqual({ 'open/ada.pdf': true })
  })

  it('lists the buckets in /admin/meta, and refuses an unknown bucket or a body naming both a table and a bucket', async () => {
    const meta = (await (await fetch(`${t.url}/admin/meta`, { headers: bearer(SERVICE_KEY) })).json()) as { buckets: string[] }
    expect(meta.buckets).toEqual(['docs', 'open', 'tiny', 'vault'])
    const unknown = await simulate({ bucket: 'nope', operation: 'read', userId: null })
    expect(unknown.status).toBe(404)
    expect(((await unknown.json()) as { code: string }).code).toBe('KL_API_NOT_FOUND')
    for (const body of [{ bucket: 'docs', table: 'x', operation: 'read', userId: null }, { operation: 'read', userId: null }]) {
      const refused = await simulate(body)
      expect(refused.status).toBe(400)
      expect(((await refused.json()) as { code: string }).code).toBe('KL_API_VALIDATION')
    }
  })
})
