import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { parseEnv } from 'node:util'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { repoRoot } from '../helpers/paths.ts'
import { referenceAppCopy, studioApp } from '../helpers/studio-app.ts'

// Studio's schema and policy edits against a real `koyalite dev` (its own process, a copy of the
// reference app), driven from Debian's Chromium.
const CHROMIUM = '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
const SHOTS = path.join(repoRoot, 'test', '.tmp', 'studio-screenshots')
const SERVICE_KEY = 'studio-dev-edits-service-key-0123456789'
const bin = path.join(repoRoot, 'bin', 'koyalite.js')

let root: string
let child: ChildProcessWithoutNullStreams | undefined
let output = ''
let url: string
let setupLink: string
let browser: Browser
let page: Page

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const until = Date.now() + ms
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}:\n${output}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true })
  root = referenceAppCopy('studio-dev')
  child = spawn('node', [bin, 'dev', '--port', '0', '--db', path.join(root, 'dev.db')], { cwd: root, env: { ...process.env, KOYA_SERVICE_KEY: SERVICE_KEY, LOG_LEVEL: 'warn', NO_COLOR: '1' } })
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  await waitFor(() => /create the first one at (http:\/\/127\.0\.0\.1:\d+)(\/_\/setup#token=[\w-]+)/.test(output), 'the dev server and its setup link')
  const match = /create the first one at (http:\/\/127\.0\.0\.1:\d+)(\/_\/setup#token=[\w-]+)/.exec(output)!
  url = match[1]!
  setupLink = url + match[2]!
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 30_000 })
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  page.setDefaultTimeout(30_000)
}, 120_000)

afterAll(async () => {
  await browser?.close()
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve))
    child.kill('SIGTERM')
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))])
    if (child.exitCode === null) child.kill('SIGKILL')
  }
  rmSync(root, { recursive: true, force: true })
})

describe('schema and policies as code in Studio under koyalite dev', () => {
  it('adds a column from Studio: it lands in schema/projects.ts, migrates, and the API serves it', async () => {
    await page.goto(setupLink)
    await page.getByLabel('Email').fill('root@example.com')
    await page.getByLabel('Password').fill('correct horse battery staple')
    await page.getByLabel('displayName').fill('Root')
    await page.getByRole('button', { name: 'Create admin and sign in' }).click()
    await page.getByRole('navigation', { name: 'Studio' }).waitFor()

    await page.goto(`${url}/_/schema`)
    await page.getByRole('heading', { name: 'Schema and policies' }).waitFor()
    await page.getByLabel('Table', { exact: true }).selectOption('projects')
    const form = page.getByRole('form', { name: 'Add a column' })
    await form.getByLabel('New column name').fill('budget')
    await form.getByLabel('New column type').selectOption('int')
    await form.getByRole('button', { name: 'Add column' }).click()
    const result = page.getByTestId('edit-result')
    await result.waitFor({ timeout: 90_000 })
    expect(await result.locator('pre.diff').first().textContent()).toContain('+  budget: t.int().optional(),')
    expect(await page.getByLabel('Migration SQL').textContent()).toMatch(/ALTER TABLE "projects" ADD COLUMN "budget" INTEGER/)
    await page.screenshot({ path: path.join(SHOTS, '20-schema-edit.png') })
    expect(readFileSync(path.join(root, 'schema', 'projects.ts'), 'utf8')).toContain('  budget: t.int().optional(),\n  createdAt: t.createdAt(),')

    // The dev loop migrated and reloaded: the new column is served.
    await waitFor(() => /reloaded/.test(output), 'the reload')
    const served = await fetch(`${url}/api/projects?select=id,budget`, { headers: { authorization: `Bearer ${SERVICE_KEY}` } })
    expect(served.status).toBe(200)
  }, 180_000)

  it('adds an index from Studio: it lands in the table\'s options and the migration creates it', async () => {
    await page.goto(`${url}/_/schema`)
    await page.getByLabel('Table', { exact: true }).selectOption('projects')
    const form = page.getByRole('form', { name: 'Add an index' })
    await form.getByLabel('Index columns').fill('archived, updatedAt')
    await form.getByRole('button', { name: 'Add index' }).click()
    const migration = page.getByLabel('Migration SQL')
    await expect.poll(async () => (await migration.count()) > 0 ? await migration.textContent() : '', { timeout: 90_000 }).toMatch(/CREATE INDEX "[^"]+" ON "projects" \("archived", "updatedAt"\)/)
    expect(readFileSync(path.join(root, 'schema', 'projects.ts'), 'utf8')).toContain("  indexes: [['workspaceId', 'name'], ['archived', 'updatedAt']],")
    await page.screenshot({ path: path.join(SHOTS, '20b-index-edit.png') })
  }, 180_000)

  it('renames (redefines) and drops an index from Studio: the file changes in place, the migration drops and creates it', async () => {
    const schemaFile = path.join(root, 'schema', 'projects.ts')
    // The dev loop reloaded with the index the previous test added: Studio lists it.
    const listed = page.getByRole('form', { name: 'Index projects_archived_updatedAt_idx' })
    await expect.poll(async () => {
      await page.goto(`${url}/_/schema`)
      await page.getByLabel('Table', { exact: true }).selectOption('projects')
      return listed.count()
    }, { timeout: 90_000 }).toBe(1)
    await listed.getByLabel('Columns of projects_archived_updatedAt_idx').fill('archived, createdAt')
    await listed.getByRole('button', { name: 'Save index' }).click()
    const migration = page.getByLabel('Migration SQL')
    await expect.poll(async () => (await migration.count()) > 0 ? await migration.textContent() : '', { timeout: 90_000 }).toMatch(/DROP INDEX "projects_archived_updatedAt_idx";[\s\S]*CREATE INDEX "projects_archived_createdAt_idx" ON "projects" \("archived", "createdAt"\)/)
    expect(readFileSync(schemaFile, 'utf8')).toContain("  indexes: [['workspaceId', 'name'], ['archived', 'createdAt']],")

    const renamed = page.getByRole('form', { name: 'Index projects_archived_createdAt_idx' })
    await expect.poll(async () => {
      await page.goto(`${url}/_/schema`)
      await page.getByLabel('Table', { exact: true }).selectOption('projects')
      return renamed.count()
    }, { timeout: 90_000 }).toBe(1)
    page.once('dialog', (dialog) => void dialog.accept())
    await renamed.getByRole('button', { name: 'Drop' }).click()
    await expect.poll(async () => (await migration.count()) > 0 ? await migration.textContent() : '', { timeout: 90_000 }).toContain('DROP INDEX "projects_archived_createdAt_idx"')
    expect(readFileSync(schemaFile, 'utf8')).toContain("  indexes: [['workspaceId', 'name']],")
    await page.screenshot({ path: path.join(SHOTS, '20c-index-drop.png') })
  }, 240_000)

  it('shows the compiler\'s error inline for a bad policy, and leaves the file as it was', async () => {
    const before = readFileSync(path.join(root, 'policies', 'projects.ts'), 'utf8')
    await page.goto(`${url}/_/schema`)
    await page.getByLabel('Table', { exact: true }).selectOption('projects')
    await page.getByLabel('Policy operation').selectOption('delete')
    await expect.poll(() => page.getByLabel('Policy source').inputValue()).toContain("m.role === 'owner'")
    await page.getByLabel('Policy source').fill('(project, auth) => project.nope === auth.userId')
    await page.getByRole('button', { name: 'Save policy' }).click()
    const alert = page.getByRole('alert')
    await alert.waitFor({ timeout: 90_000 })
    expect(await alert.textContent()).toMatch(/KL_API_STUDIO_EDIT_INVALID[\s\S]*policies\/projects\.ts:\d+:\d+/)
    await page.screenshot({ path: path.join(SHOTS, '21-policy-error.png') })
    expect(readFileSync(path.join(root, 'policies', 'projects.ts'), 'utf8')).toBe(before)
  }, 180_000)

  it('the .env editor writes .env, and the dev loop reloads the app with the new value (never printed)', async () => {
    const headers = { authorization: `Bearer ${SERVICE_KEY}`, 'content-type': 'application/json' }
    const variable = async () => ((await (await fetch(`${url}/admin/studio/env`, { headers })).json()) as { variables: { name: string; set: boolean; inFile: boolean }[] }).variables.find((v) => v.name === 'GITHUB_CLIENT_ID')!
    expect(await variable()).toMatchObject({ set: false, inFile: false })
    const written = await fetch(`${url}/admin/studio/env`, { method: 'POST', headers, body: JSON.stringify({ values: { GITHUB_CLIENT_ID: 'dev-client-id-4711' } }) })
    expect(written.status).toBe(200)
    expect(parseEnv(readFileSync(path.join(root, '.env'), 'utf8')).GITHUB_CLIENT_ID).toBe('dev-client-id-4711')
    await waitFor(async () => (await variable()).set, 'the reload with the new .env')
    const config = (await (await fetch(`${url}/admin/config`, { headers })).json()) as { env: { name: string; set: boolean }[] }
    expect(config.env.find((e) => e.name === 'GITHUB_CLIENT_ID')?.set).toBe(true)
    expect(output).not.toContain('dev-client-id-4711')
  }, 120_000)
})

describe('outside koyalite dev', () => {
  it('has no edit routes (a server without the CLI\'s edit code, even in dev mode)', async () => {
    const t = await studioApp({ dev: true })
    try {
      const res = await t.app.inject({ url: '/admin/studio/edit', headers: { authorization: 'Bearer test-service-key' } })
      expect(res.statusCode).toBe(404)
      const post = await t.app.inject({ method: 'POST', url: '/admin/studio/edit', payload: { kind: 'addTable', table: 'x', columns: [] } })
      expect(post.statusCode).toBe(404)
    } finally {
      await t.close()
    }
  })
})
