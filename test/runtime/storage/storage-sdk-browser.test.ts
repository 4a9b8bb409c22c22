import { createHash } from 'node:crypto'
import { stripTypeScriptTypes } from 'node:module'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { emitArtifacts } from '../../../engine/codegen/index.ts'
import { storageApp, type StorageTestApp } from './storage-app.ts'

// Debian's Chromium (`apt-get install chromium`, done by .ci/run), never a downloaded browser.
const CHROMIUM = '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

/** Uploads the same deterministic bytes both ways with the SDK and leaves the progress in window.__result. */
const PAGE = `<!doctype html><title>storage sdk</title><script type="module">
import { createClient } from '/sdk-test/sdk.js'
const token = new URL(location.href).searchParams.get('token')
try {
  const koya = createClient({ url: location.origin, token })
  const bytes = new Uint8Array(3 * 1024 * 1024)
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 251
  const file = new File([bytes], 'browser.bin', { type: 'application/octet-stream' })
  const plain = []
  const object = await koya.storage.open.upload(file, { onProgress: (sent, total) => plain.push([sent, total]) })
  const resumable = []
  const result = await koya.storage.open.uploadResumable(file, { chunkSize: 512 * 1024, onProgress: (sent, total) => resumable.push([sent, total]) })
  window.__result = { object: { id: object.id, name: object.name, size: object.size }, plain, resumable, resumableId: result.id }
} catch (error) {
  window.__result = { error: String(error) + ' ' + (error && error.code) }
}
</script>`

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')
function expectedBytes(): Uint8Array {
  const bytes = new Uint8Array(3 * 1024 * 1024)
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 251
  return bytes
}
function expectMonotoneToEnd(progress: readonly [number, number][], size: number): void {
  for (let i = 1; i < progress.length; i++) expect(progress[i]![0]).toBeGreaterThan(progress[i - 1]![0])
  for (const [, total] of progress) expect(total).toBe(size)
  expect(progress.at(-1)![0]).toBe(size)
}

let t: StorageTestApp
let browser: Browser
beforeAll(async () => {
  t = await storageApp()
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
})
afterAll(async () => {
  await browser?.close()
  await t?.close()
})

describe('koya.storage.<bucket> uploads in a browser (Chromium)', () => {
  it('plain and resumable uploads report monotone progress ending at the size (XMLHttpRequest)', async () => {
    const { token } = await t.user('browser@example.com')
    const sdk = stripTypeScriptTypes(emitArtifacts({ ir: t.model, source: 'koyalite.ts' }).find((f) => f.path === 'generated/sdk/index.ts')!.contents)
    const page = await browser.newPage({ bypassCSP: true })
    // The page and its SDK are served on the API's own origin by the browser harness.
    await page.route(`${t.url}/sdk-test/**`, (route) => {
      const isModule = route.request().url().includes('/sdk-test/sdk.js')
      return route.fulfill({ status: 200, contentType: isModule ? 'text/javascript' : 'text/html', body: isModule ? sdk : PAGE })
    })
    await page.goto(`${t.url}/sdk-test/?token=${encodeURIComponent(token)}`)
    await page.waitForFunction('window.__result !== undefined', undefined, { timeout: 30_000 })
    const result = (await page.evaluate('window.__result')) as { error?: string; object: { id: string; name: string; size: number }; plain: [number, number][]; resumable: [number, number][]; resumableId: string }
    await page.close()
    expect(result.error).toBeUndefined()
    const size = 3 * 1024 * 1024
    expect(result.object).toMatchObject({ name: 'browser.bin', size })
    expectMonotoneToEnd(result.plain, size)
    expectMonotoneToEnd(result.resumable, size)
    // Six chunks: at least one report each.
    expect(result.resumable.length).toBeGreaterThanOrEqual(6)
    const expected = sha(expectedBytes())
    for (const id of [result.object.id, result.resumableId]) {
      expect(sha(new Uint8Array(await (await fetch(`${t.url}/storage/open/${id}`)).arrayBuffer()))).toBe(expected)
    }
  })
})
