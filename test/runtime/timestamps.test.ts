import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { normalizeInstant } from '../../engine/runtime/data/column-values.ts'
import { referenceApp, SERVICE_KEY, type TestApp } from '../helpers/app.ts'

/**
 * Issue 9: timestamps were stored as sent, so `2026-12-24T01:00:00+05:00` sorted after
 * `2026-12-24T00:00:00Z` though it is five hours earlier, and escaped `lt` filters. Every instant
 * is now UTC `YYYY-MM-DDTHH:mm:ss.sssZ` on write and in filter values, on every path.
 */

let t: TestApp
let project = ''
let ada = ''

async function api(method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await t.app.inject({ method, url, headers: { authorization: `Bearer ${SERVICE_KEY}`, ...headers }, ...(body === undefined ? {} : { payload: body as object }) })
  return { status: response.statusCode, body: response.body ? (JSON.parse(response.body) as any) : undefined } // eslint-disable-line @typescript-eslint/no-explicit-any
}
const representation = { prefer: 'return=representation' }

beforeAll(async () => {
  t = await referenceApp()
  ada = (await api('POST', '/api/users', { email: 'ada@example.com', displayName: 'Ada' }, representation)).body[0].id
  const ws = (await api('POST', '/api/workspaces', { name: 'Acme', slug: 'acme', ownerId: ada }, representation)).body[0].id
  project = (await api('POST', '/api/projects', { workspaceId: ws, name: 'Launch' }, representation)).body[0].id
})
afterAll(() => t.close())

describe('instants are stored and compared in UTC', () => {
  it('normalizes an offset on insert, bulk insert and update (an upsert\'s values take the same path)', async () => {
    const one = await api('POST', '/api/tasks', { projectId: project, title: 'A', createdBy: ada, dueAt: '2026-12-24T01:00:00+05:00' }, representation)
    expect(one.body[0].dueAt).toBe('2026-12-23T20:00:00.000Z')
    const bulk = await api('POST', '/api/tasks', [{ projectId: project, title: 'B', createdBy: ada, dueAt: '2026-12-24T00:00:00Z' }, { projectId: project, title: 'C', createdBy: ada, dueAt: '2026-12-24T00:30:00.5-01:00' }], representation)
    expect(bulk.body.map((r: { dueAt: string }) => r.dueAt)).toEqual(['2026-12-24T00:00:00.000Z', '2026-12-24T01:30:00.500Z'])
    const patched = await api('PATCH', `/api/tasks/${one.body[0].id}`, { dueAt: '2026-12-24T01:00:00+05:00' })
    expect(patched.body.dueAt).toBe('2026-12-23T20:00:00.000Z')
    expect(patched.body.updatedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
  })

  it('sorts and filters by the instant, whatever offset the filter value is written with', async () => {
    const order = await api('GET', '/api/tasks?select=title&order=dueAt.asc')
    expect(order.body.map((r: { title: string }) => r.title)).toEqual(['A', 'B', 'C'])
    // 2026-12-24T01:00:00+01:00 is 00:00Z: A (20:00Z the day before) is earlier, B is not.
    const before = await api('GET', `/api/tasks?select=title&dueAt=lt.${encodeURIComponent('2026-12-24T01:00:00+01:00')}&order=title`)
    expect(before.body).toEqual([{ title: 'A' }])
    const exactly = await api('GET', `/api/tasks?select=title&dueAt=eq.${encodeURIComponent('2026-12-23T23:00:00-01:00')}`)
    expect(exactly.body).toEqual([{ title: 'B' }])
  })

  it('refuses what is not an instant with a coded 400, on write and in filters', async () => {
    for (const dueAt of ['2026-02-30T00:00:00Z', 'tomorrow', '2026-12-24T10:00:00']) {
      const reply = await api('POST', '/api/tasks', { projectId: project, title: 'Bad', createdBy: ada, dueAt })
      expect(reply.status, dueAt).toBe(400)
      expect(reply.body.code, dueAt).toMatch(/^KL_API_(VALIDATION|BAD_FILTER)$/)
    }
    const filter = await api('GET', '/api/tasks?dueAt=lt.soon')
    expect(filter).toMatchObject({ status: 400, body: { code: 'KL_API_BAD_FILTER' } })
  })

  it('reads a date alone as its midnight UTC, and keeps fractions to milliseconds', () => {
    expect(normalizeInstant('2026-12-24')).toBe('2026-12-24T00:00:00.000Z')
    expect(normalizeInstant('2026-12-24T01:02:03.456789+0530')).toBe('2026-12-23T19:32:03.456Z')
    expect(normalizeInstant('2026-13-01T00:00:00Z')).toBeUndefined()
    expect(normalizeInstant('2026-12-24T24:00:00Z')).toBeUndefined()
    expect(normalizeInstant('9999-12-31T23:00:00-05:00')).toBeUndefined()
  })
})
