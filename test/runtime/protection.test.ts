import { afterEach, describe, expect, it } from 'vitest'
import type { HttpIR } from '../../engine/ir/http-ir.ts'
import type { ProjectIR } from '../../engine/ir/project-ir.ts'
import { authApp, call, PUBLIC_URL, SERVICE_KEY, signedInUser, type AuthTestApp } from '../helpers/auth-app.ts'

const NO_LIMITS: HttpIR['rateLimit'] = { global: null, perRoute: [], perRole: [] }
const http = (value: Partial<HttpIR>) => (model: ProjectIR): ProjectIR => ({ ...model, http: { cors: { origins: [], credentials: true }, headers: {}, rateLimit: NO_LIMITS, ...value } })

let t: AuthTestApp | undefined
afterEach(async () => {
  await t?.close()
  t = undefined
})

const preflight = (app: AuthTestApp, origin: string) =>
  app.app.inject({ method: 'OPTIONS', url: '/api/tasks', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } })

describe('CORS: one origin check for CORS and the CSRF check', () => {
  it('under koyalite dev a Vite app on localhost:5173 may call the API and write with the cookie', async () => {
    t = await authApp({ dev: true })
    const answer = await preflight(t, 'http://localhost:5173')
    expect(answer.headers['access-control-allow-origin']).toBe('http://localhost:5173')
    expect(answer.headers['access-control-allow-credentials']).toBe('true')
    expect((await preflight(t, 'http://127.0.0.1:4321')).headers['access-control-allow-origin']).toBe('http://127.0.0.1:4321')
    // The CSRF check admits the same origin for a cookie write.
    const user = await signedInUser(t, 'vite')
    const write = await call(t, 'POST', '/auth/logout', { cookie: user.token, headers: { origin: 'http://localhost:5173' } })
    expect(write.status).toBe(204)
  })

  it('in production (no dev) a localhost page is refused, both by CORS and by the CSRF check', async () => {
    t = await authApp()
    const answer = await preflight(t, 'http://localhost:5173')
    expect(answer.headers['access-control-allow-origin']).toBeUndefined()
    const user = await signedInUser(t, 'prod')
    const write = await call(t, 'POST', '/auth/logout', { cookie: user.token, headers: { origin: 'http://localhost:5173' } })
    expect(write.status).toBe(403)
    expect(write.body.code).toBe('KL_AUTH_CSRF')
  })

  it('a look-alike of a local origin is not local', async () => {
    t = await authApp({ dev: true })
    for (const origin of ['http://localhost.evil.com', 'http://127.0.0.1.evil.com:80', 'https://evil.com/localhost']) {
      expect((await preflight(t, origin)).headers['access-control-allow-origin']).toBeUndefined()
    }
  })

  it('http.cors.origins are admitted in production, and credentials: false keeps cookies out of CORS', async () => {
    t = await authApp({ model: http({ cors: { origins: ['https://app.example.com'], credentials: false } }) })
    const answer = await preflight(t, 'https://app.example.com')
    expect(answer.headers['access-control-allow-origin']).toBe('https://app.example.com')
    expect(answer.headers['access-control-allow-credentials']).toBeUndefined()
    expect((await preflight(t, PUBLIC_URL)).headers['access-control-allow-origin']).toBe(PUBLIC_URL)
    expect((await preflight(t, 'https://other.example.com')).headers['access-control-allow-origin']).toBeUndefined()
  })

  it('environments.production replaces http when KOYA_ENV=production', async () => {
    const model = (m: ProjectIR): ProjectIR => ({
      ...http({ cors: { origins: ['https://staging.example.com'], credentials: true } })(m),
      environments: { production: { http: { cors: { origins: ['https://app.example.com'], credentials: true }, headers: {}, rateLimit: NO_LIMITS } } },
    })
    t = await authApp({ model, env: { KOYA_ENV: 'production' } })
    expect((await preflight(t, 'https://app.example.com')).headers['access-control-allow-origin']).toBe('https://app.example.com')
    expect((await preflight(t, 'https://staging.example.com')).headers['access-control-allow-origin']).toBeUndefined()
  })
})

describe('security headers', () => {
  it('every answer carries helmet\'s headers, 404s and errors included', async () => {
    t = await authApp()
    for (const url of ['/healthz', '/api/tasks', '/no-such-route']) {
      const answer = await call(t, 'GET', url, { headers: { authorization: 'Bearer wrong' } })
      expect(answer.headers['x-content-type-options'], url).toBe('nosniff')
      expect(answer.headers['x-frame-options'], url).toBe('SAMEORIGIN')
      expect(answer.headers['strict-transport-security'], url).toBe('max-age=31536000; includeSubDomains')
      expect(String(answer.headers['content-security-policy']), url).toContain("default-src 'self'")
    }
  })

  it('http.headers adds, replaces and removes headers', async () => {
    t = await authApp({ model: http({ headers: { 'permissions-policy': 'camera=()', 'x-frame-options': 'DENY', 'strict-transport-security': false } }) })
    const answer = await call(t, 'GET', '/healthz')
    expect(answer.headers['permissions-policy']).toBe('camera=()')
    expect(answer.headers['x-frame-options']).toBe('DENY')
    expect(answer.headers['strict-transport-security']).toBeUndefined()
  })

  it('the API reference page keeps its own CSP; under dev there is no HSTS', async () => {
    t = await authApp({ dev: true })
    const answer = await call(t, 'GET', '/healthz')
    expect(answer.headers['strict-transport-security']).toBeUndefined()
    expect(String(answer.headers['content-security-policy'])).not.toContain('upgrade-insecure-requests')
  })
})

describe('rate limits', () => {
  it('without a configured limit nothing is limited and no rate-limit header is sent', async () => {
    t = await authApp()
    for (let i = 0; i < 30; i++) expect((await call(t, 'GET', '/healthz')).status).toBe(200)
    expect((await call(t, 'GET', '/healthz')).headers['x-ratelimit-limit']).toBeUndefined()
  })

  it('over the global limit an address gets 429 KL_API_RATE_LIMITED with Retry-After; another address does not', async () => {
    t = await authApp({ model: http({ rateLimit: { global: { max: 3, windowMs: 60_000 }, perRoute: [], perRole: [] } }) })
    for (let i = 0; i < 3; i++) expect((await call(t, 'GET', '/healthz', { ip: '10.0.0.1' })).status).toBe(200)
    const refused = await call(t, 'GET', '/healthz', { ip: '10.0.0.1' })
    expect(refused.status).toBe(429)
    expect(refused.body.code).toBe('KL_API_RATE_LIMITED')
    expect(refused.body.hint).toMatch(/Retry-After/)
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60)
    expect((await call(t, 'GET', '/healthz', { ip: '10.0.0.2' })).status).toBe(200)
  })

  it('a signed-in user is keyed by user, whatever the address; the service key is not limited', async () => {
    t = await authApp({ model: http({ rateLimit: { global: { max: 4, windowMs: 60_000 }, perRoute: [], perRole: [] } }) })
    const user = await signedInUser(t, 'limited', 'correct horse battery')
    let last = 0
    for (let i = 0; i < 5; i++) last = (await call(t, 'GET', '/api/tasks', { token: user.token, ip: `10.1.0.${i}` })).status
    expect(last).toBe(429)
    // The addresses it used are not spent.
    expect((await call(t, 'GET', '/healthz', { ip: '10.1.0.9' })).status).toBe(200)
    for (let i = 0; i < 10; i++) expect((await call(t, 'GET', '/api/tasks', { token: SERVICE_KEY, ip: '10.2.0.1' })).status).toBe(200)
  })

  it('perRoute limits one route only; perRole raises the limit for a role', async () => {
    t = await authApp({
      model: http({ rateLimit: { global: { max: 8, windowMs: 60_000 }, perRoute: [{ route: 'GET /healthz', max: 100, windowMs: 60_000 }], perRole: [{ role: 'support', max: 50, windowMs: 60_000 }] } }),
    })
    for (let i = 0; i < 20; i++) expect((await call(t, 'GET', '/healthz', { ip: '10.3.0.1' })).status).toBe(200)
    // Signing up and in takes three requests each from the test's address: under the limit of 8.
    const support = await signedInUser(t, 'support')
    const grant = await call(t, 'POST', `/admin/users/${support.id}/roles`, { token: SERVICE_KEY, body: { role: 'support' } })
    expect(grant.status).toBe(200)
    const plain = await signedInUser(t, 'plain')
    for (let i = 0; i < 20; i++) expect((await call(t, 'GET', '/api/tasks', { token: support.token })).status).toBe(200)
    const statuses = []
    for (let i = 0; i < 9; i++) statuses.push((await call(t, 'GET', '/api/tasks', { token: plain.token })).status)
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 429])
  })
})
