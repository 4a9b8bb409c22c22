import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { applyMigrations, readMigrations } from '../../../engine/migrate/index.ts'
import { createServer, loadHandlers } from '../../../engine/runtime/index.ts'
import { loadModel } from '../../../engine/runtime/model.ts'
import { openDatabase, type SqliteDatabase } from '../../../engine/shared/sqlite.ts'
import { SERVICE_KEY, tableApis } from '../../helpers/app.ts'
import { startFakeResend, type FakeResend } from '../../helpers/fake-resend.ts'
import { fixturesDir } from '../../helpers/paths.ts'

/**
 * The app's own React Email template (test/fixtures/queue/emails/welcome.tsx, declared in
 * email.templates): compiled by generate into generated/emails/index.js, rendered by the email
 * worker with the props a job sent, delivered through a local stand-in of Resend's API, and
 * previewed at /_/emails in dev.
 */
const root = path.join(fixturesDir, 'queue')
const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-app-templates-'))
let app: Awaited<ReturnType<typeof createServer>>
let db: SqliteDatabase
let resend: FakeResend
let origin: string
/** The environment object the server holds (a secrets refresh updates such an object in place). */
let serverEnv: Record<string, string | undefined>

beforeAll(async () => {
  resend = await startFakeResend()
  db = openDatabase(path.join(dir, 'app.db'))
  applyMigrations(db, readMigrations(root).migrations)
  const model = loadModel(root)
  const handlers = await loadHandlers(root, { model })
  serverEnv = { KOYA_JOBS_POLL: '20ms', FIXTURE_RESEND_KEY: 're_test_key', RESEND_BASE_URL: resend.url }
  app = await createServer({ model, db, tables: tableApis(model), auth: { serviceKey: SERVICE_KEY }, logger: false, dev: true, jobs: { handlers, scheduler: false }, email: { root }, env: serverEnv })
  await app.listen({ host: '127.0.0.1', port: 0 })
  origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}, 60_000)
afterAll(async () => {
  await app?.close()
  db?.close()
  await resend?.close()
  rmSync(dir, { recursive: true, force: true })
})

async function until<T>(what: () => T | undefined): Promise<T> {
  const end = Date.now() + 15_000
  for (;;) {
    const value = what()
    if (value !== undefined) return value
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 30))
  }
}

describe("the app's React Email templates", () => {
  it('are compiled by generate to plain JavaScript (JSX already compiled, no TypeScript) and typed in register.d.ts', () => {
    const bundle = readFileSync(path.join(root, 'generated/emails/index.js'), 'utf8')
    expect(bundle).toContain('from "react/jsx-runtime"')
    expect(bundle).not.toMatch(/<Html|interface WelcomeProps|: WelcomeProps/)
    expect(readFileSync(path.join(root, 'generated/register.d.ts'), 'utf8')).toContain('readonly "welcome": typeof import("../emails/welcome.tsx").default')
  })

  it('render with the props a job sent and go out through Resend, props escaped', async () => {
    const answer = await fetch(`${origin}/admin/jobs/welcomer/run`, { method: 'POST', headers: { authorization: `Bearer ${SERVICE_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ payload: { to: 'ada@example.com', name: 'Ada <b>Lovelace</b>' } }) })
    expect(answer.status).toBe(202)
    const sent = await until(() => resend.requests.find((r) => r.status === 200 && r.body.to?.[0] === 'ada@example.com'))
    expect(sent.body.subject).toBe('Welcome, Ada <b>Lovelace</b>')
    expect(sent.body.html).toContain('Welcome, <!-- -->Ada &lt;b&gt;Lovelace&lt;/b&gt;')
    expect(sent.body.html).not.toContain('<b>Lovelace</b>')
    expect(sent.body.html).toContain('href="https://tasks.example.com/start?from=&lt;email&gt;"')
    expect(sent.body.text).toContain('Your workspace is ready.')
    expect(sent.body.text).toContain('Open it')
    expect(sent.authorization).toBe('Bearer re_test_key')
  })

  it('go out with the API key in force at the send: a refreshed key applies to the next email, no restart', async () => {
    serverEnv.FIXTURE_RESEND_KEY = 're_rotated_key'
    try {
      const answer = await fetch(`${origin}/admin/jobs/welcomer/run`, { method: 'POST', headers: { authorization: `Bearer ${SERVICE_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ payload: { to: 'rotated@example.com', name: 'Rota' } }) })
      expect(answer.status).toBe(202)
      const sent = await until(() => resend.requests.find((r) => r.status === 200 && r.body.to?.[0] === 'rotated@example.com'))
      expect(sent.authorization).toBe('Bearer re_rotated_key')
    } finally {
      serverEnv.FIXTURE_RESEND_KEY = 're_test_key'
    }
  })

  it('are listed and previewed at /_/emails in dev with their PreviewProps, beside the built-in ones', async () => {
    const index = await (await fetch(`${origin}/_/emails`)).text()
    expect(index).toContain('href="/_/emails/welcome"')
    expect(index).toContain('href="/_/emails/verify-email"')
    const html = await fetch(`${origin}/_/emails/welcome`)
    expect(html.status).toBe(200)
    expect(await html.text()).toContain('Welcome, <!-- -->Ada')
    const text = await (await fetch(`${origin}/_/emails/welcome?format=text`)).text()
    expect(text).toContain('Your workspace is ready.')
    expect((await fetch(`${origin}/_/emails/nope`)).status).toBe(404)
  })
})
