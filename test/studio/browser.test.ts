import { mkdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SERVICE_KEY } from '../helpers/app.ts'
import { repoRoot } from '../helpers/paths.ts'
import { SETUP_TOKEN, studioApp, type StudioTestApp } from '../helpers/studio-app.ts'
import { referenceIr, writeSdk } from '../sdk/sdk-files.ts'

// Debian's Chromium (`apt-get install chromium`, done by .ci/run), never a downloaded browser.
const CHROMIUM = '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
/** Screenshots of each step (gitignored): what a person would have seen. */
const SHOTS = path.join(repoRoot, 'test', '.tmp', 'studio-screenshots')
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

const service = { authorization: `Bearer ${SERVICE_KEY}`, 'content-type': 'application/json' }
const ADMIN = { email: 'root@example.com', password: 'correct horse battery staple' }

let t: StudioTestApp
let url: string
let browser: Browser
let page: Page
const cspViolations: string[] = []
const outsideRequests: string[] = []

async function api(method: string, pathname: string, body?: unknown): Promise<{ id: string }> {
  const res = await t.app.inject({ method: method as 'POST', url: pathname, headers: { ...service, prefer: 'return=representation' }, ...(body ? { payload: JSON.stringify(body) } : {}) })
  if (res.statusCode >= 300) throw new Error(`${method} ${pathname}: ${res.statusCode} ${res.body}`)
  const parsed = res.json() as { id: string } | { id: string }[]
  return Array.isArray(parsed) ? parsed[0]! : parsed
}

const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) })

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true })
  t = await studioApp()
  url = await t.app.listen({ port: 0, host: '127.0.0.1' })
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 30_000 })
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  page.setDefaultTimeout(15_000)
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text())
  })
  page.on('request', (request) => {
    if (!request.url().startsWith(url) && !request.url().startsWith('blob:') && !request.url().startsWith('data:')) outsideRequests.push(request.url())
  })
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await t?.close()
})

describe('Studio in Chromium', () => {
  it('creates the first admin from the setup link and signs in', async () => {
    await page.goto(`${url}/_/setup#token=${SETUP_TOKEN}`)
    await page.getByRole('heading', { name: 'Create the first admin' }).waitFor()
    await page.getByLabel('Email').fill(ADMIN.email)
    await page.getByLabel('Password').fill(ADMIN.password)
    await page.getByLabel('displayName').fill('Root')
    await shot('01-setup')
    await page.getByRole('button', { name: 'Create admin and sign in' }).click()
    await page.getByRole('navigation', { name: 'Studio' }).waitFor()
    expect(await page.getByText(ADMIN.email).count()).toBeGreaterThan(0)
  })

  it('signs in again after signing out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.getByRole('heading', { name: 'Sign in to Studio' }).waitFor()
    await page.getByLabel('Email').fill(ADMIN.email)
    await page.getByLabel('Password').fill(ADMIN.password)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('navigation', { name: 'Studio' }).waitFor()
  })

  it('browses, filters, edits a cell and shows a validation error on the cell', async () => {
    const admin = (await t.app.inject({ url: `/api/users?email=eq.${ADMIN.email}`, headers: service })).json()[0] as { id: string }
    const bob = await api('POST', '/api/users', { email: 'bob@example.com', displayName: 'Bob' })
    await api('POST', '/api/workspaces', { name: 'Acme', slug: 'acme', ownerId: admin.id })
    await api('POST', '/api/workspaces', { name: 'Bobs', slug: 'bobs', ownerId: bob.id })
    for (let i = 0; i < 3; i++) await api('POST', '/api/workspaces', { name: `Team ${i}`, slug: `team-${i}`, ownerId: admin.id })

    await page.goto(`${url}/_/data/workspaces`)
    const grid = page.getByRole('table', { name: 'Rows of workspaces' })
    await grid.getByText('Acme', { exact: true }).waitFor()
    expect(await grid.locator('tbody tr').count()).toBe(5)
    await shot('02-browse')

    // A filter built from the columns: slug eq acme.
    await page.getByRole('button', { name: '+ Filter' }).click()
    await page.getByLabel('Filter 1 column').selectOption('slug')
    await page.getByLabel('Filter 1 value').fill('acme')
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await expect.poll(() => grid.locator('tbody tr').count()).toBe(1)
    await shot('03-filtered')

    // Edit the name in place: saved through PATCH /api, read back from the server.
    const nameCell = grid.locator('tbody tr').first().locator('td').nth(2)
    await nameCell.dblclick()
    await page.getByLabel('Edit name').fill('Acme Corp')
    await page.getByLabel('Edit name').press('Enter')
    await grid.getByText('Acme Corp', { exact: true }).waitFor()
    const stored = (await t.app.inject({ url: '/api/workspaces?slug=eq.acme&select=name', headers: service })).json()
    expect(stored).toEqual([{ name: 'Acme Corp' }])

    // A slug of one letter breaks the column's min length: the error shows on that cell.
    const slugCell = grid.locator('tbody tr').first().locator('td').nth(3)
    await slugCell.dblclick()
    await page.getByLabel('Edit slug').fill('a')
    await page.getByLabel('Edit slug').press('Enter')
    await slugCell.locator('.cell-error').waitFor()
    expect(await slugCell.getAttribute('aria-invalid')).toBe('true')
    expect(await slugCell.locator('.cell-error').textContent()).toContain('KL_API_VALIDATION')
    await shot('04-validation-error')
  })

  it('keyset-paginates and sorts', async () => {
    // The first screen's requests start with the script, each once: the preloaded answers are the
    // ones the shell and the grid use.
    const asked: string[] = []
    const track = (request: { url(): string }) => void asked.push(new URL(request.url()).pathname + new URL(request.url()).search)
    page.on('request', track)
    await page.goto(`${url}/_/data/workspaces`)
    const grid = page.getByRole('table', { name: 'Rows of workspaces' })
    await grid.getByText('Bobs', { exact: true }).waitFor()
    page.off('request', track)
    for (const wanted of ['/auth/session', '/admin/meta', '/admin/studio/counts', '/api/workspaces?order=id.asc&limit=51']) expect(asked.filter((u) => u === wanted)).toEqual([wanted])
    await grid.getByRole('button', { name: /^name/ }).click()
    await expect.poll(async () => (await grid.locator('tbody tr td:nth-child(3)').allTextContents())).toEqual(['Acme Corp', 'Bobs', 'Team 0', 'Team 1', 'Team 2'])
    await grid.getByRole('button', { name: /^name/ }).click()
    await expect.poll(async () => (await grid.locator('tbody tr td:nth-child(3)').allTextContents())[0]).toBe('Team 2')
  })

  it('is driven from the keyboard: arrows move between cells, Enter edits, Escape cancels, g <key> opens a page', async () => {
    await page.goto(`${url}/_/data/workspaces`)
    const grid = page.getByRole('table', { name: 'Rows of workspaces' })
    await grid.getByText('Bobs', { exact: true }).waitFor()
    const focused = () => page.evaluate(`(() => { const cell = document.activeElement; return (cell.dataset.row ?? '-') + ',' + (cell.dataset.col ?? '-') })()`)
    await grid.locator('td[data-row="0"][data-col="0"]').focus()
    await page.keyboard.press('ArrowRight')
    await page.keyboard.press('ArrowDown')
    expect(await focused()).toBe('1,1')
    await page.keyboard.press('Enter')
    const editor = grid.getByLabel('Edit name')
    await editor.waitFor()
    await page.keyboard.press('Escape')
    await editor.waitFor({ state: 'detached' })
    await page.locator('h2').first().click()
    for (const [key, path] of [['q', '/_/query'], ['n', '/_/monitor'], ['m', '/_/schema'], ['d', '/_/data']] as const) {
      await page.keyboard.press('g')
      await page.keyboard.press(key)
      await expect.poll(() => new URL(page.url()).pathname).toBe(path)
    }
  })

  it('views as another user: their policies hide the rows they may not read, and nothing is editable', async () => {
    await page.goto(`${url}/_/data/workspaces`)
    const grid = page.getByRole('table', { name: 'Rows of workspaces' })
    await grid.getByText('Acme Corp', { exact: true }).waitFor()
    await page.getByRole('button', { name: 'View as user…' }).click()
    await page.getByLabel('User', { exact: true }).selectOption({ label: 'bob@example.com' })
    await page.getByLabel('Reason (audited)').fill('ticket 42')
    await page.getByRole('button', { name: 'View', exact: true }).click()
    await page.getByText(/^Viewing as bob@example.com:/).waitFor()
    await expect.poll(async () => grid.locator('tbody tr td:nth-child(3)').allTextContents()).toEqual(['Bobs'])
    expect(await grid.locator('tbody input[type=checkbox]').first().isDisabled()).toBe(true)
    await shot('05-view-as-user')
    const audit = (await t.app.inject({ url: '/admin/audit?action=impersonation.start', headers: service })).json() as { reason: string }[]
    expect(audit.map((e) => e.reason)).toEqual(['ticket 42'])
    // Bob's realtime subscription, opened with his token: a change of his workspace arrives, one of
    // a workspace he may not read never does.
    await page.getByRole('region', { name: 'Their realtime subscription' }).getByText('subscribed').waitFor()
    const bobs = await api('GET', '/api/workspaces?slug=eq.bobs&select=id')
    const team = await api('GET', '/api/workspaces?slug=eq.team-0&select=id')
    await api('PATCH', `/api/workspaces?id=eq.${team.id}`, { name: 'Team 0' })
    await api('PATCH', `/api/workspaces?id=eq.${bobs.id}`, { name: 'Bobs' })
    const received = page.getByTestId('realtime-received')
    await expect.poll(async () => ((await received.count()) > 0 ? received.textContent() : ''), { timeout: 15_000 }).toContain(`update ${bobs.id}`)
    expect(await received.textContent()).not.toContain(team.id)
    await page.getByRole('button', { name: 'Stop viewing as bob@example.com' }).click()
    await expect.poll(() => grid.locator('tbody tr').count()).toBe(5)
  })

  it('imports CSV row by row with a report of refused rows, exports the view, and bulk-deletes with confirmation', async () => {
    const admin = (await t.app.inject({ url: `/api/users?email=eq.${ADMIN.email}`, headers: service })).json()[0] as { id: string }
    await page.goto(`${url}/_/data/workspaces`)
    const grid = page.getByRole('table', { name: 'Rows of workspaces' })
    await grid.getByText('Acme Corp', { exact: true }).waitFor()
    const csv = `name,slug,ownerId\n"Imported, Inc",imported,${admin.id}\nBad,x,${admin.id}\n`
    await page.getByLabel('Import CSV').setInputFiles({ name: 'w.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) })
    const report = page.getByRole('status').filter({ hasText: 'Imported' })
    await expect.poll(() => report.textContent()).toContain('Imported 1 of 2 rows.')
    expect(await report.textContent()).toMatch(/row 3: .*slug/)
    await grid.getByText('Imported, Inc', { exact: true }).waitFor()

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()])
    const exported = readFileSync((await download.path())!, 'utf8')
    expect(exported.split('\n')[0]).toBe('id,name,slug,ownerId,createdAt,updatedAt')
    expect(exported).toContain('"Imported, Inc",imported,')

    // The export is the whole view (filters and order), not the page shown: 1100 rows, fetched by
    // keyset in chunks, with the grid showing 50.
    const insert = t.db.prepare('INSERT INTO "workspaces" ("id", "name", "slug", "ownerId", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?)')
    const now = new Date().toISOString()
    t.db.transaction(() => { for (let i = 0; i < 1100; i++) insert.run(`bulk-${String(i).padStart(4, '0')}`, 'Bulk', `bulk-${i}`, admin.id, now, now) })()
    try {
      await page.goto(`${url}/_/data/workspaces?name=eq.Bulk`)
      await grid.getByText('bulk-0000', { exact: true }).waitFor()
      expect(await grid.locator('tbody tr').count()).toBe(50)
      const [csvFile] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()])
      const lines = readFileSync((await csvFile.path())!, 'utf8').trimEnd().split('\n')
      expect(lines).toHaveLength(1101)
      expect(new Set(lines.slice(1).map((line) => line.split(',')[0])).size).toBe(1100)
      const [jsonFile] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()])
      const rows = JSON.parse(readFileSync((await jsonFile.path())!, 'utf8')) as { id: string; name: string }[]
      expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 1100 }, (_, i) => `bulk-${String(i).padStart(4, '0')}`))
    } finally {
      t.db.prepare('DELETE FROM "workspaces" WHERE "name" = \'Bulk\'').run()
    }
    await page.goto(`${url}/_/data/workspaces`)
    await grid.getByText('Imported, Inc', { exact: true }).waitFor()

    const row = grid.locator('tbody tr').filter({ hasText: 'Imported, Inc' })
    await row.getByRole('checkbox').check()
    await page.getByRole('button', { name: 'Delete 1' }).click()
    await page.getByRole('alertdialog', { name: 'Confirm delete' }).getByRole('button', { name: 'Delete' }).click()
    await expect.poll(() => grid.locator('tbody tr').count()).toBe(5)
    expect((await t.app.inject({ url: '/api/workspaces?slug=eq.imported', headers: service })).json()).toEqual([])
  })

  it('creates a whole row from the row form, its refusal shown on the field', async () => {
    const admin = (await t.app.inject({ url: `/api/users?email=eq.${ADMIN.email}`, headers: service })).json()[0] as { id: string }
    await page.goto(`${url}/_/data/workspaces`)
    const grid = page.getByRole('table', { name: 'Rows of workspaces' })
    await grid.getByText('Acme Corp', { exact: true }).waitFor()
    await page.getByRole('button', { name: 'New row' }).click()
    const form = page.getByRole('form', { name: 'New workspaces row' })
    await form.getByLabel('name').fill('Form Co')
    await form.getByLabel('slug').fill('f')
    await form.getByLabel('ownerId').fill(admin.id)
    await form.getByRole('button', { name: 'Create' }).click()
    await expect.poll(() => form.getByLabel('slug').getAttribute('aria-invalid')).toBe('true')
    await shot('06-row-form-error')
    await form.getByLabel('slug').fill('form-co')
    await form.getByRole('button', { name: 'Create' }).click()
    await grid.getByText('Form Co', { exact: true }).waitFor()
    const created = (await t.app.inject({ url: '/api/workspaces?slug=eq.form-co&select=id,name', headers: service })).json() as { id: string }[]
    expect(created).toHaveLength(1)
    await t.app.inject({ method: 'DELETE', url: `/api/workspaces/${created[0]!.id}`, headers: service })
  })

  it('builds a query whose REST URL runs unchanged with fetch', async () => {
    await page.goto(`${url}/_/query`)
    await page.getByLabel('Table').selectOption('workspaces')
    await page.getByRole('checkbox', { name: 'name', exact: true }).check()
    await page.getByRole('checkbox', { name: 'slug', exact: true }).check()
    await page.getByRole('checkbox', { name: 'owner (belongsTo users)' }).check()
    await page.getByRole('button', { name: '+ Filter' }).click()
    await page.getByLabel('Filter 1 column').selectOption('slug')
    await page.getByLabel('Filter 1 operator').selectOption('in')
    await page.getByLabel('Filter 1 value').fill('acme,bobs')
    await page.getByRole('button', { name: 'Apply filters' }).click()
    await page.getByLabel('Order by').selectOption('slug')
    await page.getByRole('button', { name: 'Run' }).click()
    await page.getByTestId('query-result').waitFor()
    const restUrl = (await page.getByTestId('rest-url').textContent())!
    const shown = JSON.parse((await page.getByTestId('query-result').textContent())!) as unknown
    const fetched = await page.evaluate(async (u) => (await fetch(u)).json(), restUrl)
    expect(fetched).toEqual(shown)
    expect(shown).toMatchObject([{ name: 'Acme Corp', slug: 'acme', owner: { email: ADMIN.email } }, { name: 'Bobs', slug: 'bobs', owner: { email: 'bob@example.com' } }])
    expect(await page.getByTestId('sdk-call').textContent()).toBe(`await koya.workspaces.list({ select: ["name", "slug"], where: { slug: { in: ["acme", "bobs"] } }, orderBy: { slug: 'asc' }, limit: 20, include: { owner: true } })`)
    expect(await page.getByTestId('graphql-query').textContent()).toContain('workspaces(where: { slug: { in: ["acme", "bobs"] } }, orderBy: [{ slug: ASC }], limit: 20)')
    // The SDK call runs as printed, with the app's emitted SDK: the same rows.
    const sdkCall = (await page.getByTestId('sdk-call').textContent())!
    const files = writeSdk(referenceIr(), 'studio-query')
    try {
      const sdk = (await import(files.index)) as { createClient(options: { url: string; token: string }): unknown }
      const koya = sdk.createClient({ url, token: SERVICE_KEY })
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      const listed = (await new Function('koya', `return (async () => ${sdkCall})()`)(koya)) as { name: string; slug: string; owner: { email: string } }[]
      expect(listed.map((w) => [w.name, w.slug, w.owner.email])).toEqual((shown as typeof listed).map((w) => [w.name, w.slug, w.owner.email]))
    } finally {
      files.remove()
    }
    // The GraphQL copy runs too, as the same admin: the same rows.
    const graphql = (await page.getByTestId('graphql-query').textContent())!
    const answered = await page.evaluate(async (query) => (await fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) })).json(), graphql) as { data?: { workspaces: { name: string; slug: string; owner: { email: string } }[] }; errors?: unknown }
    expect(answered.errors).toBeUndefined()
    expect(answered.data!.workspaces.map((w) => [w.name, w.slug, w.owner.email])).toEqual((shown as { name: string; slug: string; owner: { email: string } }[]).map((w) => [w.name, w.slug, w.owner.email]))
    await shot('06-query-builder')
  })

  it('runs read-only SQL and refuses a write outside dev', async () => {
    await page.goto(`${url}/_/sql`)
    await page.getByRole('textbox', { name: 'SQL' }).fill('SELECT slug FROM workspaces ORDER BY slug')
    await page.getByRole('button', { name: 'Run' }).click()
    await page.getByTestId('sql-result').getByText('team-2', { exact: true }).waitFor()
    page.once('dialog', (dialog) => void dialog.accept())
    await page.getByRole('textbox', { name: 'SQL' }).fill('DELETE FROM workspaces')
    await page.getByRole('checkbox', { name: /Write mode/ }).check()
    await page.getByRole('button', { name: 'Run' }).click()
    await expect.poll(() => page.getByTestId('sql-error').textContent()).toContain('KL_API_SQL_WRITE_REFUSED')
    expect((await t.app.inject({ url: '/api/workspaces?select=id', headers: service })).json()).toHaveLength(5)
    await shot('07-sql-refused')
    // History: kept across a reload; picking a statement puts it back in the editor.
    await page.reload()
    const past = page.getByLabel('History')
    await expect.poll(async () => past.locator('option').allTextContents()).toContain('SELECT slug FROM workspaces ORDER BY slug')
    await past.selectOption('SELECT slug FROM workspaces ORDER BY slug')
    expect(await page.getByRole('textbox', { name: 'SQL' }).inputValue()).toBe('SELECT slug FROM workspaces ORDER BY slug')
  })

  it('draws every table in the ERD', async () => {
    await page.goto(`${url}/_/erd`)
    const diagram = page.getByRole('img', { name: /Diagram of/ })
    await diagram.waitFor()
    const tables = (await t.app.inject({ url: '/admin/meta', headers: service })).json().tables as { name: string }[]
    const drawn = await diagram.locator('g[data-table]').evaluateAll((nodes) => nodes.map((n) => (n as unknown as { getAttribute(name: string): string | null }).getAttribute('data-table')))
    expect(drawn.sort()).toEqual(tables.map((x) => x.name).sort())
    // Personal columns carry their annotation (docs/compliance.md): the users table's email is personal.
    const email = diagram.locator('g[data-table="users"] g[data-privacy]').filter({ hasText: 'email' })
    expect(await email.getAttribute('data-privacy')).toBe('personal')
    expect(await email.textContent()).toContain('text unique personal')
    await page.getByRole('button', { name: 'Zoom in' }).click()
    expect(await diagram.locator('g').first().getAttribute('transform')).toContain('scale(1.2)')
    await shot('08-erd')
    // Export SVG: a standalone SVG file drawing every table.
    const [svgFile] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export SVG' }).click()])
    const svg = readFileSync((await svgFile.path())!, 'utf8')
    expect(svg).toMatch(/^(<\?xml[^>]*>\s*)?<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
    for (const table of tables) expect(svg).toContain(`data-table="${table.name}"`)
  })

  it('charts a count over time', async () => {
    await page.goto(`${url}/_/charts`)
    await page.getByLabel('Table').selectOption('workspaces')
    await expect.poll(() => page.getByRole('img', { name: /count chart of workspaces, 1 points/ }).count()).toBe(1)
    await shot('09-charts')
    // Live: with polling set to an hour, a new row reaches the chart through realtime.
    await page.getByLabel(/Poll every/).fill('3600')
    const status = page.getByRole('status').filter({ hasText: 'point(s) from' })
    await expect.poll(() => status.textContent()).toMatch(/from 5 row\(s\).*live \(realtime\)/)
    const admin = (await t.app.inject({ url: `/api/users?email=eq.${ADMIN.email}`, headers: service })).json()[0] as { id: string }
    const added = await api('POST', '/api/workspaces', { name: 'Live', slug: 'live-chart', ownerId: admin.id })
    await expect.poll(() => status.textContent(), { timeout: 15_000 }).toContain('from 6 row(s)')
    await api('DELETE', `/api/workspaces?id=eq.${added.id}`)
    await expect.poll(() => status.textContent(), { timeout: 15_000 }).toContain('from 5 row(s)')
  })

  it('simulates policies: which rows a user may read, with the compiled SQL', async () => {
    await page.goto(`${url}/_/policies?table=workspaces`)
    await page.getByRole('heading', { name: 'Policy simulator' }).waitFor()
    await page.getByLabel('As user').selectOption({ label: 'bob@example.com' })
    await page.getByRole('button', { name: 'Simulate' }).click()
    const grid = page.getByRole('table', { name: 'Verdicts on workspaces' })
    await grid.locator('tbody tr').first().waitFor()
    const verdicts = async () => Object.fromEntries((await grid.locator('tbody tr').all()).length === 0 ? [] : await Promise.all((await grid.locator('tbody tr').all()).map(async (tr) => [await tr.locator('td').nth(1).textContent(), await tr.locator('td strong').textContent()])))
    // Bob owns "Bobs" and belongs to nothing else: the same rows view-as-user showed him.
    expect(await verdicts()).toEqual({ 'Acme Corp': 'deny', Bobs: 'allow', 'Team 0': 'deny', 'Team 1': 'deny', 'Team 2': 'deny' })
    expect(await page.getByLabel('SQL of read').textContent()).toContain('"ownerId"')
    expect(await page.getByTestId('simulation-summary').textContent()).toContain('1 of 5 row(s) on this page allowed to bob@example.com (roles: none)')
    // What Bob's realtime subscription would receive: without a filter, the read verdict.
    const realtime = async () => Object.fromEntries(await Promise.all((await grid.locator('tbody tr').all()).map(async (tr) => [await tr.locator('td').nth(1).textContent(), await tr.locator('td').last().textContent()])))
    expect(await realtime()).toEqual({ 'Acme Corp': '—', Bobs: 'receives', 'Team 0': '—', 'Team 1': '—', 'Team 2': '—' })
    // With a filter that leaves his row out, his subscription receives nothing.
    await page.getByLabel('Subscription filter').fill('slug=neq.bobs')
    await page.getByRole('button', { name: 'Simulate' }).click()
    await expect.poll(() => page.getByTestId('realtime-note').textContent()).toContain('filtered by slug=neq.bobs')
    expect(Object.values(await realtime())).toEqual(['—', '—', '—', '—', '—'])
    await page.getByLabel('Subscription filter').fill('')
    await shot('09b-policy-simulator')
    // The same user with the admin role: the rule's `auth.roles.includes('admin')` admits every row.
    await page.getByLabel('their granted roles').uncheck()
    await page.getByRole('group', { name: 'Roles' }).getByLabel('admin').check()
    await page.getByRole('button', { name: 'Simulate' }).click()
    await expect.poll(async () => Object.values(await verdicts())).toEqual(['allow', 'allow', 'allow', 'allow', 'allow'])
  })

  it('shows the schema and policies read-only outside dev, each rule with its file and line', async () => {
    await page.goto(`${url}/_/schema`)
    await page.getByText(/^Read-only: the schema and policies are code/).waitFor()
    await page.getByLabel('Table', { exact: true }).selectOption('workspaces')
    await expect.poll(() => page.getByTestId('policy-location').textContent()).toMatch(/^policies\/workspaces\.ts:\d+:\d+$/)
    expect(await page.getByLabel('Policy source').inputValue()).toContain('ownerId')
    expect(await page.getByLabel('Policy source').getAttribute('readonly')).not.toBeNull()
    expect(await page.getByRole('button', { name: 'Save policy' }).count()).toBe(0)
  })

  it('switches to the dark theme and has no serious accessibility violation on each page', async () => {
    await page.goto(`${url}/_/data/workspaces`)
    await page.getByRole('table', { name: 'Rows of workspaces' }).getByText('Acme Corp', { exact: true }).waitFor()
    await page.getByRole('button', { name: 'Switch to dark theme' }).click()
    expect(await page.evaluate('document.documentElement.dataset.theme')).toBe('dark')
    await shot('10-dark')
    for (const [route, ready] of [['data/workspaces', 'Acme Corp'], ['query', 'REST URL'], ['sql', 'SQL console'], ['erd', 'ERD'], ['charts', 'Charts'], ['policies', 'Policy simulator'], ['schema', 'Read-only']] as const) {
      for (const theme of ['dark', 'light']) {
        await page.goto(`${url}/_/${route}`)
        await page.evaluate(`document.documentElement.dataset.theme = '${theme}'`)
        await page.getByText(ready).first().waitFor()
        // Evaluated through the DevTools protocol: the page's CSP (no inline script) stays on.
        await page.evaluate(AXE)
        const violations = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) })))`)) as { id: string; impact: string }[]
        expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'), `${route} (${theme})`).toEqual([])
      }
    }
  }, 120_000)

  it('made no request to another origin and broke no CSP rule', () => {
    expect(outsideRequests).toEqual([])
    expect(cspViolations).toEqual([])
  })
})

describe('Studio\'s budget', () => {
  it('loads under 300 KB of gzipped JavaScript', async () => {
    const { gzipSync } = await import('node:zlib')
    const index = (await t.app.inject({ url: '/_/' })).body
    const scripts = [...index.matchAll(/src="(\/_\/assets\/[^"]+\.js)"/g)].map((m) => m[1]!)
    expect(scripts.length).toBeGreaterThan(0)
    let total = 0
    for (const script of scripts) total += gzipSync((await t.app.inject({ url: script })).rawPayload).length
    expect(total).toBeLessThan(300 * 1024)
  })
})
