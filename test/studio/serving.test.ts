import { execFileSync } from 'node:child_process'
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SERVICE_KEY } from '../helpers/app.ts'
import { SETUP_TOKEN, studioApp, type StudioTestApp } from '../helpers/studio-app.ts'

const admin = { authorization: `Bearer ${SERVICE_KEY}` }

let t: StudioTestApp
beforeAll(async () => {
  t = await studioApp()
})
afterAll(async () => t?.close())

describe('Studio at /_/', () => {
  it('serves index.html with a locking CSP, never cached, and the SPA fallback for client routes', async () => {
    for (const url of ['/_/', '/_/data/tasks', '/_/erd']) {
      const res = await t.app.inject({ url })
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-type']).toMatch(/^text\/html/)
      expect(res.headers['cache-control']).toBe('no-cache')
      const csp = String(res.headers['content-security-policy'])
      expect(csp).toContain("default-src 'none'")
      expect(csp).toContain("script-src 'self'")
      expect(csp).not.toContain('unsafe-inline')
      expect(res.body).toContain('<div id="root">')
      // No inline script: every script names its file.
      expect(res.body).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/)
    }
    expect((await t.app.inject({ url: '/_' })).headers.location).toBe('/_/')
  })

  it('serves hashed assets as immutable, and 404s an unknown one', async () => {
    const index = (await t.app.inject({ url: '/_/' })).body
    const script = /src="(\/_\/assets\/studio-[A-Z0-9]+\.js)"/.exec(index)?.[1]
    expect(script).toBeDefined()
    const res = await t.app.inject({ url: script! })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/javascript/)
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect((await t.app.inject({ url: '/_/assets/studio-NOPE.js' })).statusCode).toBe(404)
  })

  it('keeps the first load (entry, preloaded chunks, stylesheet) under 300 KB gzipped, served gzipped; other pages are chunks of their own', async () => {
    const index = (await t.app.inject({ url: '/_/' })).body
    const firstLoad = [...index.matchAll(/(?:src|href)="(\/_\/assets\/[^"]+)"/g)].map((m) => m[1]!)
    expect(firstLoad.some((url) => url.endsWith('.css'))).toBe(true)
    expect(index).toContain('rel="modulepreload"')
    let bytes = 0
    for (const url of firstLoad) {
      const res = await t.app.inject({ url, headers: { 'accept-encoding': 'gzip, deflate, br' } })
      expect(res.statusCode).toBe(200)
      expect(res.headers['content-encoding']).toBe('gzip')
      expect(res.headers.vary).toBe('accept-encoding')
      const plain = await t.app.inject({ url })
      expect(plain.headers['content-encoding']).toBeUndefined()
      expect(gunzipSync(res.rawPayload).equals(plain.rawPayload)).toBe(true)
      bytes += res.rawPayload.length
    }
    expect(bytes).toBeLessThan(300 * 1024)
    // The ERD, charts and SQL console are not in the first load: their code is in other chunks.
    const firstCode = (await Promise.all(firstLoad.filter((u) => u.endsWith('.js')).map(async (url) => (await t.app.inject({ url })).body))).join('\n')
    expect(firstCode).not.toContain('Export SVG')
    expect(firstCode).not.toContain('Write mode')
  })

  it('creates the first admin once, with the one-time token', async () => {
    expect((await t.app.inject({ url: '/admin/studio/setup' })).json()).toEqual({ needed: true, fields: ['displayName'] })
    const body = { email: 'root@example.com', password: 'correct horse battery staple', profile: { displayName: 'Root' } }
    const wrong = await t.app.inject({ method: 'POST', url: '/admin/studio/setup', payload: { ...body, token: 'guess' } })
    expect(wrong.statusCode).toBe(403)
    expect(wrong.json().code).toBe('KL_AUTH_SETUP_REFUSED')
    const created = await t.app.inject({ method: 'POST', url: '/admin/studio/setup', payload: { ...body, token: SETUP_TOKEN } })
    expect(created.statusCode).toBe(201)
    const again = await t.app.inject({ method: 'POST', url: '/admin/studio/setup', payload: { ...body, email: 'other@example.com', token: SETUP_TOKEN } })
    expect(again.json().code).toBe('KL_AUTH_SETUP_REFUSED')
    expect((await t.app.inject({ url: '/admin/studio/setup' })).json().needed).toBe(false)
    const login = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { email: body.email, password: body.password } })
    expect(login.statusCode).toBe(200)
    const session = await t.app.inject({ url: '/auth/session', headers: { authorization: `Bearer ${login.json().session.token}` } })
    expect(session.json().roles).toEqual(['admin'])
    const audit = await t.app.inject({ url: '/admin/audit?action=studio.setup', headers: admin })
    expect(audit.json()).toHaveLength(1)
  })

  it('estimates row counts without a scan, for admins only', async () => {
    expect((await t.app.inject({ url: '/admin/studio/counts' })).statusCode).toBe(401)
    const counts = (await t.app.inject({ url: '/admin/studio/counts', headers: admin })).json()
    expect(counts.users).toBe(1)
    expect(counts.tasks).toBe(0)
  })
})

describe('the SQL console (POST /admin/sql)', () => {
  const sql = (body: object) => t.app.inject({ method: 'POST', url: '/admin/sql', headers: admin, payload: body })

  it('reads on its own read-only connection, with a row limit', async () => {
    const res = await sql({ sql: 'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500) SELECT i FROM n' })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.columns).toEqual(['i'])
    expect(body.rows).toHaveLength(1000)
    expect(body.truncated).toBe(true)
    expect((await sql({ sql: 'SELECT email FROM users' })).json().rows).toEqual([['root@example.com']])
  })

  it('refuses writes outside dev, even confirmed, and reports SQLite\'s errors', async () => {
    const write = await sql({ sql: 'DELETE FROM users' })
    expect(write.statusCode).toBe(403)
    expect(write.json().code).toBe('KL_API_SQL_WRITE_REFUSED')
    expect((await sql({ sql: 'DELETE FROM users', write: true, confirm: true })).json().code).toBe('KL_API_SQL_WRITE_REFUSED')
    const broken = await sql({ sql: 'SELEC 1' })
    expect(broken.statusCode).toBe(400)
    expect(broken.json().code).toBe('KL_API_SQL_ERROR')
    expect((await sql({ sql: 'SELECT count(*) FROM users' })).json().rows).toEqual([[1]])
  })

  it('stops a statement past the time limit', async () => {
    const started = Date.now()
    const res = await sql({ sql: 'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i FROM n WHERE i < 0' })
    expect(res.statusCode).toBe(408)
    expect(res.json().code).toBe('KL_API_SQL_TIMEOUT')
    expect(Date.now() - started).toBeLessThan(9000)
    // The statement's process was killed, not left running SQLite's loop.
    await new Promise((resolve) => setTimeout(resolve, 300))
    let children = ''
    try {
      children = execFileSync('ps', ['-o', 'args=', '--ppid', String(process.pid)], { encoding: 'utf8' })
    } catch {
      // ps exits 1 when the process has no children at all
    }
    expect(children).not.toContain('sql-worker')
  }, 15_000)
})

describe('the SQL console under koyalite dev', () => {
  it('writes when confirmed, and audits it', async () => {
    const dev = await studioApp({ dev: true })
    try {
      const refused = await dev.app.inject({ method: 'POST', url: '/admin/sql', headers: admin, payload: { sql: 'UPDATE users SET displayName = displayName', write: true } })
      expect(refused.json().code).toBe('KL_API_SQL_WRITE_REFUSED')
      const res = await dev.app.inject({ method: 'POST', url: '/admin/sql', headers: admin, payload: { sql: 'CREATE TABLE scratch (x)', write: true, confirm: true } })
      expect(res.statusCode).toBe(200)
      expect(res.json().changes).toBe(0)
      const audit = await dev.app.inject({ url: '/admin/audit?action=studio.sql.write', headers: admin })
      expect(audit.json()[0].detail.sql).toBe('CREATE TABLE scratch (x)')
    } finally {
      await dev.close()
    }
  })
})
