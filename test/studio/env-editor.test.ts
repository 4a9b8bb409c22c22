import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseEnv } from 'node:util'
import type { FastifyInstance } from 'fastify'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStudioDevEdits } from '../../engine/cli/studio-edits/dev-edits.ts'
import type { ProjectIR } from '../../engine/ir/project-ir.ts'
import { applyMigrations, readMigrations } from '../../engine/migrate/index.ts'
import { createServer } from '../../engine/runtime/index.ts'
import { loadModel } from '../../engine/runtime/model.ts'
import { openDatabase, type SqliteDatabase } from '../../engine/shared/sqlite.ts'
import { SERVICE_KEY, tableApis } from '../helpers/app.ts'
import { repoRoot } from '../helpers/paths.ts'

// The .env editor of `koyalite dev` (Studio's Config page): values checked with the app's env
// schema before the CLI's writer touches .env; never a value in an answer, the audit log or the page.
const CHROMIUM = '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
const service = { authorization: `Bearer ${SERVICE_KEY}`, 'content-type': 'application/json' }
const ORIGINAL = '# local settings\nPORT_X=0\nOTHER=keep me\n'
const SECRET = `it's a "quoted" secret`

let root: string
let db: SqliteDatabase
let dev: FastifyInstance
let reloads: Record<string, string | null>[]

function withEnv(model: ProjectIR): ProjectIR {
  return {
    ...model,
    env: [
      { name: 'API_SECRET', required: false, schema: { type: 'string', minLength: 12 }, usedBy: ['email.apiKey'] },
      { name: 'PORT_X', required: true, schema: { type: 'integer', minimum: 1, maximum: 65535 }, usedBy: ['env[0]'] },
    ],
  }
}

async function server(devMode: boolean): Promise<FastifyInstance> {
  const model = withEnv(loadModel(repoRoot))
  return createServer({
    model,
    db,
    tables: tableApis(model),
    auth: { serviceKey: SERVICE_KEY },
    studio: { devEdits: createStudioDevEdits(root, async () => { throw new Error('no generate in this test') }, (values) => reloads.push(values)) },
    logger: false,
    env: {},
    dev: devMode,
  })
}

const envFile = () => readFileSync(path.join(root, '.env'), 'utf8')
async function api(method: 'GET' | 'POST', url: string, body?: unknown) {
  const res = await dev.inject({ method, url, headers: service, ...(body ? { payload: JSON.stringify(body) } : {}) })
  return { status: res.statusCode, body: res.json(), raw: res.body }
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'koya-env-editor-'))
  writeFileSync(path.join(root, '.env'), ORIGINAL)
  db = openDatabase(path.join(root, 'app.db'))
  applyMigrations(db, readMigrations(repoRoot).migrations)
  reloads = []
  dev = await server(true)
})
afterAll(async () => {
  await dev?.close()
  db?.close()
  rmSync(root, { recursive: true, force: true })
})

describe('the .env editor (koyalite dev)', () => {
  it('lists the declared variables: set, in .env, their problem and schema, never a value', async () => {
    const { status, body, raw } = await api('GET', '/admin/studio/env')
    expect(status).toBe(200)
    expect(body.file).toBe('.env')
    expect(body.variables).toEqual([
      { name: 'API_SECRET', required: false, set: false, inFile: false, secret: true, problem: null, usedBy: ['email.apiKey'], schema: { type: 'string', minLength: 12 } },
      { name: 'PORT_X', required: true, set: false, inFile: true, secret: false, problem: 'is not set', usedBy: ['env[0]'], schema: { type: 'integer', minimum: 1, maximum: 65535 } },
    ])
    expect(raw).not.toContain('keep me')
  })

  it('refuses a value its schema refuses, or an undeclared name, and writes nothing', async () => {
    const bad = await api('POST', '/admin/studio/env', { values: { PORT_X: 'not-a-port', API_SECRET: 'short' } })
    expect(bad.status).toBe(400)
    expect(bad.body.code).toBe('KL_API_VALIDATION')
    expect(bad.body.message).toContain('PORT_X is not a number')
    expect(bad.body.message).toContain('API_SECRET is shorter than 12 characters')
    expect(bad.raw).not.toContain('not-a-port')
    expect(bad.raw).not.toContain('short"')
    const unknown = await api('POST', '/admin/studio/env', { values: { NOT_DECLARED: 'x' } })
    expect(unknown.status).toBe(400)
    expect(unknown.body.message).toContain('NOT_DECLARED is not declared in koyalite.ts')
    expect(envFile()).toBe(ORIGINAL)
    expect(reloads).toEqual([])
  })

  it('writes accepted values in place (comments and other lines kept), reads back exactly, audits names only and reloads', async () => {
    const ok = await api('POST', '/admin/studio/env', { values: { PORT_X: '8080', API_SECRET: SECRET } })
    expect(ok.status).toBe(200)
    expect(ok.body.variables.map((v: { name: string; inFile: boolean }) => [v.name, v.inFile])).toEqual([['API_SECRET', true], ['PORT_X', true]])
    const text = envFile()
    expect(text.split('\n').slice(0, 3)).toEqual(['# local settings', "PORT_X='8080'", 'OTHER=keep me'])
    expect(parseEnv(text)).toEqual({ PORT_X: '8080', OTHER: 'keep me', API_SECRET: SECRET })
    expect(reloads).toEqual([{ PORT_X: '8080', API_SECRET: SECRET }])
    const audit = (await api('GET', '/admin/audit?action=studio.env.edit')).body as { detail: unknown }[]
    expect(audit).toHaveLength(1)
    expect(audit[0]!.detail).toEqual({ set: ['PORT_X', 'API_SECRET'], removed: [] })
    expect(JSON.stringify(audit)).not.toContain('quoted')

    expect((await api('POST', '/admin/studio/env', { values: { API_SECRET: null } })).status).toBe(200)
    expect(parseEnv(envFile())).toEqual({ PORT_X: '8080', OTHER: 'keep me' })
  })

  it('does not exist outside koyalite dev', async () => {
    const started = await server(false)
    try {
      expect((await started.inject({ url: '/admin/studio/env', headers: service })).statusCode).toBe(404)
      expect((await started.inject({ method: 'POST', url: '/admin/studio/env', headers: service, payload: JSON.stringify({ values: { PORT_X: '1' } }) })).statusCode).toBe(404)
    } finally {
      await started.close()
    }
  })

  it('in Chromium: the Config page\'s editor shows the refusal, then saves a valid value', async () => {
    const url = await dev.listen({ port: 0, host: '127.0.0.1' })
    let browser: Browser | undefined
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 30_000 })
      // An admin signs in to Studio (verified and granted through the admin API).
      const password = 'correct horse battery staple'
      expect((await api('POST', '/auth/signup', { email: 'dev@example.com', password, displayName: 'dev' })).status).toBe(202)
      const id = (await api('GET', '/admin/users?q=dev@example.com')).body.users[0].id as string
      expect((await api('POST', `/admin/users/${id}/verify-email`)).status).toBe(200)
      expect((await api('POST', `/admin/users/${id}/roles`, { role: 'admin' })).status).toBe(200)
      const page = await browser.newPage()
      page.setDefaultTimeout(15_000)
      await page.goto(`${url}/_/config`)
      await page.getByRole('heading', { name: 'Sign in to Studio' }).waitFor()
      await page.getByLabel('Email').fill('dev@example.com')
      await page.getByLabel('Password').fill(password)
      await page.getByRole('button', { name: 'Sign in' }).click()
      const editor = page.getByTestId('env-editor')
      await editor.waitFor()
      await page.getByLabel('New value of PORT_X').fill('99999')
      await page.getByRole('button', { name: 'Save to .env' }).click()
      await page.getByRole('alert').filter({ hasText: 'PORT_X is above 65535' }).waitFor()
      expect(parseEnv(envFile()).PORT_X).toBe('8080')
      await page.getByLabel('New value of PORT_X').fill('3001')
      await page.getByRole('button', { name: 'Save to .env' }).click()
      await page.getByRole('status').filter({ hasText: 'Saved PORT_X' }).waitFor()
      expect(parseEnv(envFile()).PORT_X).toBe('3001')
      expect(await page.getByLabel('New value of API_SECRET').getAttribute('type')).toBe('password')
    } finally {
      await browser?.close()
    }
  }, 60_000)
})
