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
let origin: string
beforeAll(async () => {
  t = await referenceApp()
  origin = await t.app.listen({ port: 0, host: '127.0.0.1' })
})
afterAll(() => t.close())

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`

/**
 * Every answer has the coded shape: an error is exactly `{ code, message, hint? }` with a KL_ code,
 * and a HEAD answer has no body.
 */
function expectCodedShape(method: string, status: number, body: string, what: string): void {
  expect(status, `${what} → ${body.slice(0, 300)}`).toBeLessThan(500)
  if (method === 'HEAD') {
    expect(body, what).toBe('')
    return
  }
  if (status < 400) return
  const parsed = JSON.parse(body) as Record<string, unknown>
  expect(parsed.code, what).toMatch(/^KL_[A-Z]+_[A-Z0-9_]+$/)
  expect(typeof parsed.message, what).toBe('string')
  expect(Object.keys(parsed).filter((key) => key !== 'code' && key !== 'message' && key !== 'hint'), what).toEqual([])
  if ('hint' in parsed) expect(typeof parsed.hint, what).toBe('string')
}

describe('HTTP fuzz: a malformed request never yields a 5xx, and every answer has the coded shape', () => {
  it('answers 10,000 generated requests (deep JSON, HEAD, anonymous and service callers) with a 2xx or a coded 4xx', async () => {
    const next = random(20261125)
    const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!
    const statuses = new Set<number>()
    for (let i = 0; i < 10_000; i++) {
      const query = Array.from({ length: 1 + Math.floor(next() * 8) }, () => pick(pieces)).join('')
      const table = pick(['tasks', 'projects', 'comments', 'users', 'nope'])
      const method = pick(['GET', 'GET', 'HEAD', 'POST', 'PATCH', 'DELETE'] as const)
      const path = next() < 0.2 ? `/api/${table}/${pick(['x', '01900000-0000-7000-8000-000000000000', '%2e%2e', ''])}` : `/api/${table}`
      const body =
        method === 'GET' || method === 'HEAD' || method === 'DELETE'
          ? undefined
          : pick([
              { title: pick(pieces) },
              [{ title: 1 }],
              { priority: '3' },
              'not json',
              '',
              { __proto__: { x: 1 } },
              {},
              [],
              null,
              { meta: { deep: [1, { a: null }] } },
              `{"title":"t","meta":${nested(1 + Math.floor(next() * 400))}}`,
              nested(20_000),
            ])
      const anonymous = next() < 0.3
      const response = await t.app.inject({
        method,
        url: `${path}?${query}`,
        headers: {
          ...(anonymous ? {} : { authorization: `Bearer ${SERVICE_KEY}` }),
          'content-type': 'application/json',
          ...(next() < 0.1 ? { prefer: pick(['return=representation', 'count=exact', 'resolution=merge-duplicates', 'garbage']) } : {}),
        },
        ...(body === undefined ? {} : { payload: typeof body === 'string' ? body : JSON.stringify(body) }),
      })
      statuses.add(response.statusCode)
      expectCodedShape(method, response.statusCode, response.body, `${method} ${path}?${query}`)
    }
    // Not vacuous: both accepted and refused requests occurred.
    expect([...statuses].some((s) => s < 300)).toBe(true)
    expect([...statuses].some((s) => s >= 400)).toBe(true)
  })

  it('answers over-long URLs and odd requests on a real socket in the coded shape', async () => {
    const next = random(20261202)
    const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!
    for (let i = 0; i < 200; i++) {
      const method = pick(['GET', 'HEAD', 'DELETE'] as const)
      const long = pick([10, 1_000, 8_000, 20_000, 70_000])
      const url = `${origin}/api/${pick(['tasks', 'nope'])}?${pick(['title=in.(', 'select=', 'x='])}${'a'.repeat(long)}`
      const response = await fetch(url, { method, headers: { authorization: `Bearer ${SERVICE_KEY}` } })
      expectCodedShape(method, response.status, await response.text(), `${method} ${url.slice(0, 80)}… (${url.length} chars)`)
    }
  })
})
