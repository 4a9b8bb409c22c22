import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { referenceApp, type TestApp } from '../helpers/app.ts'
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
})
