import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { referenceApp, SERVICE_KEY, type TestApp } from '../helpers/app.ts'
import { repoRoot } from '../helpers/paths.ts'

let t: TestApp
beforeAll(async () => {
  t = await referenceApp()
})
afterAll(() => t.close())

describe('the served API reference', () => {
  it('serves generated/openapi.json at /openapi.json without credentials', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/openapi.json' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toContain('application/json')
    expect(response.body).toBe(readFileSync(path.join(repoRoot, 'generated', 'openapi.json'), 'utf8'))
    expect(JSON.parse(response.body)).toMatchObject({ openapi: '3.1.0', paths: expect.objectContaining({ '/api/tasks': expect.any(Object) }) })
  })

  it('serves the offline docs page at /docs with a CSP that lets it load nothing', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/docs' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toContain('text/html')
    expect(response.headers['content-security-policy']).toContain("default-src 'none'")
    expect(response.body).toContain('/api/tasks')
  })

  it('names the same 401 codes the server answers with: /docs, /openapi.json and the responses agree', async () => {
    const doc = JSON.parse((await t.app.inject({ method: 'GET', url: '/openapi.json' })).body) as { components: { responses: Record<string, { description: string }> } }
    const page = (await t.app.inject({ method: 'GET', url: '/docs' })).body
    const documented = [...doc.components.responses.Unauthorized!.description.matchAll(/`(KL_[A-Z_]+)`/g)].map((m) => m[1]!)
    // A bearer token that is no session (an empty one too), and an anonymous write a policy refuses.
    const dead = await t.app.inject({ method: 'GET', url: '/api/tasks', headers: { authorization: 'Bearer ' } })
    // users has no delete policy: only the service key deletes, and an anonymous caller is told to bring credentials.
    const anonymous = await t.app.inject({ method: 'DELETE', url: '/api/users?email=eq.ada@example.com' })
    const answered = [dead, anonymous].map((answer) => {
      expect(answer.statusCode).toBe(401)
      return answer.json().code as string
    })
    expect([...new Set(answered)].sort()).toEqual([...documented].sort())
    for (const code of answered) expect(page).toContain(code)
    // The service key still reads.
    expect((await t.app.inject({ method: 'GET', url: '/api/tasks', headers: { authorization: `Bearer ${SERVICE_KEY}` } })).statusCode).toBe(200)
  })
})
