import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { referenceApp, SERVICE_KEY, type TestApp } from '../helpers/app.ts'

/** A small seeded PRNG (mulberry32): the same inputs on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const pieces = [
  'select=', 'id', 'title', ',', '(', ')', '*', 'project', 'tasks', 'workspace', '!inner', ':', 'x', '.', 'eq', 'neq', 'in', 'is', 'null',
  'not', 'or=', 'and=', '&', '=', 'order=', 'desc', 'nullslast', 'limit=', 'offset=', '-1', '0', '99999999999999999999', '%', '%00', '%ZZ',
  '"', '\\', "'", 'priority=gt.', 'status=eq.', 'dueAt=lt.', 'archived=is.', 'true', 'meta', 'on_conflict=', 'columns=', '..', ';', ' ', '\u00e9',
]

let t: TestApp
beforeAll(async () => {
  t = await referenceApp()
})
afterAll(() => t.close())

describe('HTTP fuzz: a malformed request never yields a 5xx', () => {
  it('answers 2000 generated requests with a 2xx or a 4xx carrying a KL_ code', async () => {
    const next = random(20261125)
    const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!
    const statuses = new Set<number>()
    for (let i = 0; i < 2000; i++) {
      const query = Array.from({ length: 1 + Math.floor(next() * 8) }, () => pick(pieces)).join('')
      const table = pick(['tasks', 'projects', 'comments', 'users', 'nope'])
      const method = pick(['GET', 'GET', 'POST', 'PATCH', 'DELETE'] as const)
      const path = next() < 0.2 ? `/api/${table}/${pick(['x', '01900000-0000-7000-8000-000000000000', '%2e%2e', ''])}` : `/api/${table}`
      const body =
        method === 'GET' || method === 'DELETE'
          ? undefined
          : pick([{ title: pick(pieces) }, [{ title: 1 }], { priority: '3' }, 'not json', { __proto__: { x: 1 } }, {}, [], null, { meta: { deep: [1, { a: null }] } }])
      const response = await t.app.inject({
        method,
        url: `${path}?${query}`,
        headers: { authorization: `Bearer ${SERVICE_KEY}`, 'content-type': 'application/json', ...(next() < 0.1 ? { prefer: pick(['return=representation', 'count=exact', 'resolution=merge-duplicates', 'garbage']) } : {}) },
        ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
      })
      statuses.add(response.statusCode)
      expect(response.statusCode, `${method} ${path}?${query} → ${response.body}`).toBeLessThan(500)
      if (response.statusCode >= 400) expect(JSON.parse(response.body).code, `${method} ${path}?${query}`).toMatch(/^KL_[A-Z]+_[A-Z0-9_]+$/)
    }
    // Not vacuous: both accepted and refused requests occurred.
    expect([...statuses].some((s) => s < 300)).toBe(true)
    expect([...statuses].some((s) => s >= 400)).toBe(true)
  })
})
