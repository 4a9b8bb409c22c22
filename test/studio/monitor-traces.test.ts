import { createServer as createHttpServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { applyMigrations, readMigrations } from '../../engine/migrate/index.ts'
import { createServer } from '../../engine/runtime/index.ts'
import { loadModel } from '../../engine/runtime/model.ts'
import { openDatabase, type SqliteDatabase } from '../../engine/shared/sqlite.ts'
import { SERVICE_KEY, tableApis } from '../helpers/app.ts'
import { repoRoot } from '../helpers/paths.ts'

// The Monitor page with tracing on: each recent request links to its trace in the viewer
// KOYA_TRACE_URL names, and the trace id is the one the OTLP stand-in received.
const CHROMIUM = '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
const PASSWORD = 'correct horse battery staple'

let collector: Server
let bodies: string[]
let dir: string
let db: SqliteDatabase
let app: FastifyInstance
let closed = false
/** Closing flushes the span batch to the stand-in; afterAll closes it if the test did not. */
async function closeApp(): Promise<void> {
  if (closed) return
  closed = true
  await app.close()
}
async function call(method: 'GET' | 'POST', url: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await app.inject({ method, url, headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...(options.body ? { 'content-type': 'application/json' } : {}), ...options.headers }, ...(options.body ? { payload: JSON.stringify(options.body) } : {}) })
  return { status: res.statusCode, body: res.body === '' ? undefined : res.json() }
}
let browser: Browser | undefined

beforeAll(async () => {
  bodies = []
  collector = createHttpServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      if (req.url === '/v1/traces') bodies.push(Buffer.concat(chunks).toString('utf8'))
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve))
  const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`
  dir = mkdtempSync(path.join(os.tmpdir(), 'koya-monitor-traces-'))
  db = openDatabase(path.join(dir, 'app.db'))
  applyMigrations(db, readMigrations(repoRoot).migrations)
  const model = loadModel(repoRoot)
  app = await createServer({ model, db, tables: tableApis(model), auth: { serviceKey: SERVICE_KEY }, logger: false, env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, KOYA_TRACE_URL: 'https://traces.example.com/trace/{traceId}' } })
}, 60_000)
afterAll(async () => {
  await browser?.close()
  await closeApp()
  db?.close()
  rmSync(dir, { recursive: true, force: true })
  await new Promise<void>((resolve) => collector.close(() => resolve()))
})

describe('the Monitor page with tracing on', () => {
  it('links each recent request to its trace in KOYA_TRACE_URL\'s viewer', async () => {
    expect((await call('POST', '/auth/signup', { body: { email: 'tracer@example.com', password: PASSWORD, displayName: 'T' } })).status).toBe(202)
    const id = (await call('GET', '/admin/users?q=tracer@example.com', { token: SERVICE_KEY })).body.users[0].id as string
    expect((await call('POST', `/admin/users/${id}/verify-email`, { token: SERVICE_KEY })).status).toBe(200)
    expect((await call('POST', `/admin/users/${id}/roles`, { token: SERVICE_KEY, body: { role: 'admin' } })).status).toBe(200)
    const marked = await call('GET', '/api/workspaces?limit=1', { token: SERVICE_KEY, headers: { 'x-request-id': 'traced-by-the-test' } })
    expect(marked.status).toBe(200)
    const url = await app.listen({ port: 0, host: '127.0.0.1' })

    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 30_000 })
    const page = await browser.newPage()
    page.setDefaultTimeout(15_000)
    const outside: string[] = []
    page.on('request', (request) => { if (!request.url().startsWith(url)) outside.push(request.url()) })
    await page.goto(`${url}/_/monitor`)
    await page.getByRole('heading', { name: 'Sign in to Studio' }).waitFor()
    await page.getByLabel('Email').fill('tracer@example.com')
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    const row = page.locator('[data-testid="recent"] tbody tr').filter({ hasText: '/api/workspaces?limit=1' }).first()
    await row.waitFor()
    const href = (await row.getByTestId('trace').locator('a').getAttribute('href'))!
    expect(href).toMatch(/^https:\/\/traces\.example\.com\/trace\/[0-9a-f]{32}$/)
    const traceId = href.slice(-32)
    const requestId = (await row.locator('td').nth(4).textContent())!

    await closeApp()
    const spans = bodies.flatMap((body) => (JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: { traceId: string; kind: number; attributes: { key: string; value: { stringValue?: string } }[] }[] }[] }[] }).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)))
    const server = spans.find((s) => s.kind === 2 && s.attributes.some((a) => a.key === 'koya.request_id' && a.value.stringValue === requestId))!
    expect(server.traceId).toBe(traceId)
    expect(outside).toEqual([])
  }, 90_000)
})
