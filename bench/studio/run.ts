// Studio's first meaningful paint (issue 17): the data browser opening a table of 100k rows, in
// Debian's Chromium, measured with the page's own performance timeline (navigation start → the
// first rows of the grid painted; first-contentful-paint alongside). Target: under 1 s. Runs the
// built runtime (`npm run build` first) on the reference app, once per round, each on a cold page.
// Usage: node bench/studio/run.ts [--rows 100000] [--rounds 3]
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { chromium } from 'playwright-core'
import { applyMigrations, readMigrations } from '../../dist/engine/migrate/index.js'
import { createServer, loadGeneratedDocs, loadModel, loadTableApis } from '../../dist/engine/runtime/index.js'
import { openDatabase } from '../../dist/engine/shared/sqlite.js'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '3' } } })
const ROWS = Number(args.rows)
const TOKEN = 'bench-setup-token'
const ADMIN = { email: 'admin@bench.test', password: 'correct horse battery staple' }

const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-bench-studio-'))
const db = openDatabase(path.join(dir, 'app.db'))
applyMigrations(db, readMigrations(repo).migrations)
const model = loadModel(repo)
const app = await createServer({ model, db, tables: await loadTableApis(repo, model), docs: loadGeneratedDocs(repo), studio: { setupToken: TOKEN }, logger: false, env: {} })
const url = await app.listen({ port: 0, host: '127.0.0.1' })
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] })
try {
  const setup = await app.inject({ method: 'POST', url: '/admin/studio/setup', payload: { token: TOKEN, ...ADMIN, profile: { displayName: 'Admin' } } })
  const adminId = (setup.json() as { userId: string }).userId
  // 100k workspaces, written straight into SQLite (the bench measures reading, not writing).
  const started = Date.now()
  const insert = db.prepare('INSERT INTO "workspaces" ("id", "name", "slug", "ownerId", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?)')
  const now = new Date().toISOString()
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++) insert.run(crypto.randomUUID(), `Workspace ${i}`, `ws-${i}`, adminId, now, now)
  })()
  console.log(`seeded ${ROWS} workspaces in ${Date.now() - started} ms`)

  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  const login = await context.request.post(`${url}/auth/login`, { data: ADMIN, headers: { origin: url } })
  if (!login.ok()) throw new Error(`login failed: ${login.status()}`)
  const results: { paint: number; fcp: number }[] = []
  for (let round = 0; round < Number(args.rounds); round++) {
    const page = await context.newPage()
    await page.goto(`${url}/_/data/workspaces`)
    // The first grid row is on screen: the time of the next animation frame after it appears.
    const paint = (await page.evaluate(`new Promise((resolve) => {
      const check = () => document.querySelector('table.grid tbody tr') ? requestAnimationFrame(() => resolve(performance.now())) : requestAnimationFrame(check)
      check()
    })`)) as number
    const fcp = (await page.evaluate(`performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1`)) as number
    results.push({ paint, fcp })
    console.log(`round ${round + 1}: first rows painted at ${paint.toFixed(0)} ms (first contentful paint ${fcp.toFixed(0)} ms)`)
    await page.close()
  }
  const median = results.map((r) => r.paint).sort((a, b) => a - b)[Math.floor(results.length / 2)]!
  console.log(`median first meaningful paint: ${median.toFixed(0)} ms (target < 1000 ms) ${median < 1000 ? 'PASS' : 'MISS'}; ratio to the target ${(median / 1000).toFixed(2)}`)
} finally {
  await browser.close()
  await app.close()
  db.close()
  rmSync(dir, { recursive: true, force: true })
}
