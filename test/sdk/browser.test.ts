import { readFileSync } from 'node:fs'
import { stripTypeScriptTypes } from 'node:module'
import path from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { referenceApp, SERVICE_KEY, type TestApp } from '../helpers/app.ts'
import { repoRoot } from '../helpers/paths.ts'

// Debian's Chromium (`apt-get install chromium`, done by .ci/run), never a downloaded browser.
const CHROMIUM = '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

/** The page runs the SDK as a browser module and leaves its findings in window.__result. */
const PAGE = `<!doctype html><title>sdk</title><script type="module">
import { createClient, KoyaClientError } from '/sdk-test/sdk.js'
const token = new URL(location.href).searchParams.get('token')
try {
  const koya = createClient({ url: location.origin, token })
  const owner = await koya.users.create({ email: 'browser@example.com', displayName: 'Browser' })
  const workspace = await koya.workspaces.create({ name: 'Web', slug: 'web', ownerId: owner.id })
  const listed = await koya.workspaces.list({ where: { slug: 'web' }, select: ['slug'], include: { owner: { select: ['displayName'] } } })
  let refused = ''
  try {
    await createClient({ url: location.origin }).users.create({ email: 'anonymous@example.com', displayName: 'Anonymous' })
  } catch (error) {
    refused = error instanceof KoyaClientError ? error.status + ' ' + error.code : String(error)
  }
  window.__result = { workspaceId: workspace.id, listed, refused }
} catch (error) {
  window.__result = { error: String(error) }
}
</script>`

let t: TestApp
let url: string
let browser: Browser
beforeAll(async () => {
  t = await referenceApp()
  // A page on the API's own origin that loads the generated SDK, its types stripped by Node.
  const sdk = stripTypeScriptTypes(readFileSync(path.join(repoRoot, 'generated', 'sdk', 'index.ts'), 'utf8'))
  t.app.get('/sdk-test/sdk.js', async (_request, reply) => reply.type('text/javascript').send(sdk))
  t.app.get('/sdk-test/', async (_request, reply) => reply.type('text/html').send(PAGE))
  url = await t.app.listen({ port: 0, host: '127.0.0.1' })
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
})
afterAll(async () => {
  await browser?.close()
  await t.close()
})

describe('the generated SDK in a browser (Chromium)', () => {
  it('creates, lists with include and reports errors, as a browser module', async () => {
    // The server's security headers forbid eval; the harness's waitForFunction needs it.
    const page = await browser.newPage({ bypassCSP: true })
    await page.goto(`${url}/sdk-test/?token=${encodeURIComponent(SERVICE_KEY)}`)
    await page.waitForFunction('window.__result !== undefined', undefined, { timeout: 20_000 })
    const result = (await page.evaluate('window.__result')) as { workspaceId: string; listed: unknown; refused: string; error?: string }
    expect(result.error).toBeUndefined()
    expect(result.workspaceId).toMatch(/^[0-9a-f-]{36}$/)
    expect(result.listed).toEqual([{ slug: 'web', owner: { displayName: 'Browser' } }])
    expect(result.refused).toBe('401 KL_API_UNAUTHORIZED')
    await page.close()
  })
})
