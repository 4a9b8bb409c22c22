import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { Writable } from 'node:stream'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SERVICE_KEY } from '../helpers/app.ts'
import { repoRoot } from '../helpers/paths.ts'
import { studioApp, type StudioTestApp } from '../helpers/studio-app.ts'

// The admin dashboard's pages in Studio (users, audit, logs, monitor, jobs) against a seeded
// server, in Debian's Chromium (as test/studio/browser.test.ts).
const CHROMIUM = '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
const SHOTS = path.join(repoRoot, 'test', '.tmp', 'dashboard-screenshots')
const service = { authorization: `Bearer ${SERVICE_KEY}`, 'content-type': 'application/json' }
const PASSWORD = 'correct horse battery staple'

let t: StudioTestApp
let url: string
let browser: Browser
let page: Page
let admin: { id: string; email: string }
let bob: { id: string; email: string; tokens: string[] }
const outsideRequests: string[] = []

async function api(method: 'GET' | 'POST' | 'DELETE', pathname: string, body?: unknown, headers: Record<string, string> = service): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await t.app.inject({ method, url: pathname, headers, ...(body ? { payload: JSON.stringify(body) } : {}) })
  return { status: res.statusCode, body: res.body === '' ? undefined : res.json() }
}

/** A verified user (the admin API's verify-email, not the link) with `sessions` sessions. */
async function user(email: string, sessions: number): Promise<{ id: string; email: string; tokens: string[] }> {
  expect((await api('POST', '/auth/signup', { email, password: PASSWORD, displayName: email.split('@')[0] })).status).toBe(202)
  const id = (await api('GET', `/admin/users?q=${email}`)).body.users[0].id as string
  expect((await api('POST', `/admin/users/${id}/verify-email`)).status).toBe(200)
  const tokens: string[] = []
  for (let i = 0; i < sessions; i++) tokens.push((await api('POST', '/auth/login', { email, password: PASSWORD }, { 'content-type': 'application/json' })).body.session.token)
  return { id, email, tokens }
}

const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) })

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true })
  t = await studioApp({ logger: { level: 'info', stream: new Writable({ write: (_chunk, _encoding, done) => done() }) } })
  url = await t.app.listen({ port: 0, host: '127.0.0.1' })
  admin = await user('root@example.com', 0)
  expect((await api('POST', `/admin/users/${admin.id}/roles`, { role: 'admin' })).status).toBe(200)
  bob = await user('bob@example.com', 2)
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 30_000 })
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  page.setDefaultTimeout(15_000)
  page.on('request', (request) => {
    if (!request.url().startsWith(url) && !request.url().startsWith('blob:') && !request.url().startsWith('data:')) outsideRequests.push(request.url())
  })
  await page.goto(`${url}/_/`)
  await page.getByRole('heading', { name: 'Sign in to Studio' }).waitFor()
  await page.getByLabel('Email').fill(admin.email)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('navigation', { name: 'Studio' }).waitFor()
}, 90_000)

afterAll(async () => {
  await browser?.close()
  await t?.close()
})

describe('the admin dashboard in Chromium', () => {
  it('users: finds a user with their sessions; a role grant and a session end take effect', async () => {
    await page.goto(`${url}/_/users`)
    await page.getByLabel('Search users').fill('bob')
    await page.getByRole('button', { name: 'Search' }).click()
    const row = page.locator('tr[data-user="bob@example.com"]')
    await row.waitFor()
    expect(await page.locator('[data-testid="users"] tbody tr').count()).toBe(1)
    expect(await row.getByRole('button', { name: /^End session/ }).count()).toBe(2)

    await row.getByLabel('Grant a role to bob@example.com').selectOption('support')
    await row.getByRole('button', { name: 'Revoke support from bob@example.com' }).waitFor()
    expect((await api('GET', '/auth/session', undefined, { authorization: `Bearer ${bob.tokens[0]}` })).body.roles).toEqual(['support'])

    const first = createHash('sha256').update(bob.tokens[0]!).digest('hex')
    await row.getByRole('button', { name: `End session ${first.slice(0, 8)}` }).click()
    await expect.poll(() => row.getByRole('button', { name: /^End session/ }).count(), { timeout: 15_000 }).toBe(1)
    expect((await api('GET', '/auth/session', undefined, { authorization: `Bearer ${bob.tokens[0]}` })).status).toBe(401)
    expect((await api('GET', '/auth/session', undefined, { authorization: `Bearer ${bob.tokens[1]}` })).status).toBe(200)
    await shot('01-users')
  })

  it('audit: the grant and the session end are listed and marked as security events', async () => {
    await page.goto(`${url}/_/audit`)
    const grant = page.locator('tr[data-action="role.grant"]').filter({ hasText: bob.id })
    await grant.waitFor()
    expect(await grant.getAttribute('data-security')).toBe('yes')
    expect(await grant.textContent()).toContain(admin.id)
    await page.locator('tr[data-action="session.revoke"]').waitFor()
    await page.getByLabel('Audit Action').fill('session.revoke')
    await page.getByRole('button', { name: 'Filter' }).click()
    await expect.poll(() => page.locator('[data-testid="audit"] tbody tr').count(), { timeout: 15_000 }).toBe(1)
    await shot('02-audit')
  })

  it('logs: the live tail shows a request made during the test', async () => {
    await page.goto(`${url}/_/logs`)
    await expect.poll(() => page.getByTestId('tail-state').textContent(), { timeout: 15_000 }).toBe('live')
    const marker = `/api/no-such-table-${Date.now()}`
    const res = await fetch(`${url}${marker}`)
    expect(res.status).toBe(404)
    await page.locator('[data-testid="logs"]').getByText(marker).waitFor()
    await shot('03-logs')
  })

  it('monitor: per-route figures and the recent requests, linked to their log lines', async () => {
    for (let i = 0; i < 3; i++) expect((await fetch(`${url}/api/workspaces`, { headers: { authorization: `Bearer ${SERVICE_KEY}` } })).status).toBe(200)
    await page.goto(`${url}/_/monitor`)
    const route = page.locator('tr[data-route="GET /api/workspaces"]')
    await route.waitFor()
    expect(Number(await route.locator('td').nth(1).textContent())).toBeGreaterThanOrEqual(3)
    await page.getByTestId('performance').waitFor()
    // The charts draw the readings taken while the page is open (one every 5 s).
    await expect.poll(() => page.locator('[data-chart="Event-loop lag"]').getAttribute('data-points'), { timeout: 15_000 }).toBe('2')
    expect(await page.locator('[data-testid="charts"] svg polyline').count()).toBe(4)
    expect(await page.getByTestId('sqlite-pages').textContent()).toMatch(/^\d+ pages of \d+ B, \d+ free; cache /)
    const link = page.locator('[data-testid="recent"] a').first()
    const requestId = (await link.textContent())!
    expect(await link.getAttribute('href')).toBe(`/_/logs?text=${requestId}`)
    await link.click()
    await page.waitForURL(`${url}/_/logs?text=${requestId}`)
    await page.getByLabel('Log text').waitFor()
    await expect.poll(() => page.getByLabel('Log text').inputValue(), { timeout: 15_000 }).toBe(requestId)
    await page.locator('[data-testid="logs"] tbody tr').first().waitFor()
    await shot('04-monitor')
  })

  it('jobs: the queue\'s runs (the sign-up emails) are listed', async () => {
    await page.goto(`${url}/_/jobs`)
    await page.locator('[data-testid="runs"] tbody tr').first().waitFor()
    const kinds = await page.locator('[data-testid="runs"] tbody tr td:nth-child(2)').allTextContents()
    expect(kinds).toContain('email')
    await shot('05-jobs')
  })

  it('users: an impersonation started from the dashboard, with its reason, opens the data browser as them and is audited', async () => {
    const reason = 'Ticket 4711: cannot see their project'
    await page.goto(`${url}/_/users`)
    await page.getByLabel('Search users').fill('bob')
    await page.getByRole('button', { name: 'Search' }).click()
    const row = page.locator('tr[data-user="bob@example.com"]')
    await row.getByRole('button', { name: 'Impersonate…' }).click()
    await row.getByLabel('Reason for impersonating bob@example.com').fill(reason)
    await row.getByRole('button', { name: 'Start' }).click()
    await page.waitForURL(`${url}/_/data`)
    await page.getByRole('button', { name: 'Stop viewing as bob@example.com' }).waitFor()
    await shot('06-impersonating')
    const started = (await api('GET', '/admin/audit?action=impersonation.start')).body as { actorId: string; subjectId: string; reason: string }[]
    expect(started).toContainEqual(expect.objectContaining({ actorId: admin.id, subjectId: bob.id, reason }))
    await page.getByRole('button', { name: 'Stop viewing as bob@example.com' }).click()
    await page.getByRole('button', { name: 'View as user…' }).waitFor()
    await page.goto(`${url}/_/audit`)
    const entry = page.locator('tr[data-action="impersonation.start"]').filter({ hasText: reason })
    await entry.waitFor()
    expect(await entry.getAttribute('data-security')).toBe('yes')
    await page.locator('tr[data-action="impersonation.stop"]').filter({ hasText: reason }).waitFor()
  })

  it('users: delete offers the export first; the export downloads, then the user is erased (both audited)', async () => {
    const carol = await user('carol@example.com', 1)
    await page.goto(`${url}/_/users`)
    await page.getByLabel('Search users').fill('carol')
    await page.getByRole('button', { name: 'Search' }).click()
    const row = page.locator('tr[data-user="carol@example.com"]')
    await row.getByRole('button', { name: 'Delete…' }).click()
    const confirmation = row.getByRole('group', { name: 'Delete carol@example.com' })
    await confirmation.getByRole('button', { name: 'Erase without export' }).waitFor()
    const [download] = await Promise.all([page.waitForEvent('download'), confirmation.getByRole('button', { name: 'Download export' }).click()])
    expect(download.suggestedFilename()).toBe(`export-${carol.id}.json`)
    await confirmation.getByRole('button', { name: 'Erase', exact: true }).click()
    await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(0)
    expect((await api('GET', '/admin/users?q=carol@example.com')).body.users).toEqual([])
    expect((await api('GET', '/auth/session', undefined, { authorization: `Bearer ${carol.tokens[0]}` })).status).toBe(401)
    const actions = ((await api('GET', `/admin/audit?subject=${carol.id}`)).body as { action: string }[]).map((e) => e.action)
    expect(actions).toContain('user.export')
    expect(actions).toContain('user.erase')
  })

  it('config: the env variables by name with set or unset (never a value), the roles and the access matrix', async () => {
    await page.goto(`${url}/_/config`)
    const serviceKey = page.locator('tr[data-env="KOYA_SERVICE_KEY"]')
    await serviceKey.waitFor()
    expect(await page.getByTestId('app').textContent()).toMatch(/roles: admin, support/)
    expect(await page.locator('[data-testid="env"] tbody tr').count()).toBeGreaterThan(3)
    expect(await page.locator('tr[data-table="tasks"] td').nth(1).textContent()).toMatch(/members/)
    expect(await page.getByTestId('config').textContent()).toContain('"name": "koya-tasks"')
    expect(await page.locator('section[aria-label="Configuration"]').textContent()).not.toContain(SERVICE_KEY)
    await shot('07-config')
  })

  it('CLI history: a koyalite command run against the project\'s database, its secret argument masked', async () => {
    try {
      execFileSync(process.execPath, [path.join(repoRoot, 'bin', 'koyalite.js'), 'migrate', 'status', '--db', t.db.name, '--password=hunter2-secret'], { stdio: 'pipe', timeout: 30_000 })
    } catch (error) {
      expect((error as { status: number }).status).toBe(1) // the unknown flag: still recorded, with its exit code
    }
    await page.goto(`${url}/_/cli-history`)
    const run = page.locator('tr[data-command="migrate"]').first()
    await run.waitFor()
    expect(await run.getAttribute('data-exit')).toBe('1')
    expect(await run.textContent()).toContain('--password=***')
    expect(await page.getByTestId('cli-history').textContent()).not.toContain('hunter2-secret')
    await shot('08-cli-history')
  })

  it('panes of loaded modules: emails and functions are listed, webhooks (none declared) is not', async () => {
    expect((await api('GET', '/admin/webhooks/deliveries?limit=1')).status).toBe(404)
    await page.goto(`${url}/_/emails`)
    const nav = page.getByRole('navigation', { name: 'Studio' })
    await nav.getByRole('link', { name: 'Functions' }).waitFor()
    expect(await nav.getByRole('link', { name: 'Emails' }).count()).toBe(1)
    expect(await nav.getByRole('link', { name: 'Webhooks' }).count()).toBe(0)
    const verify = page.locator('tr[data-email-to="bob@example.com"]').first()
    await verify.waitFor()
    expect(await verify.textContent()).toContain('verify-email')
    await shot('09-emails')
    await nav.getByRole('link', { name: 'Functions' }).click()
    await page.locator('tr[data-function="projectSummary"]').waitFor()
    expect(await page.locator('tr[data-function="projectSummary"]').textContent()).toContain('functions/project-summary.ts')
    await shot('10-functions')
  })

  it('made no request to another origin', () => {
    expect(outsideRequests).toEqual([])
  })
})
