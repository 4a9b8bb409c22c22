// "View as user" shows the files they may read (issue 17: "rows, files and … subscriptions"), in
// Chromium against the storage test app: each bucket listed as that user sees it.
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PDF, PNG, SERVICE_KEY, bearer, storageApp, type StorageTestApp } from '../runtime/storage/storage-app.ts'

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

let t: StorageTestApp
let browser: Browser
beforeAll(async () => {
  t = await storageApp()
  await t.user('root@example.com', ['admin'])
  const ada = await t.user('ada@example.com')
  const bob = await t.user('bob@example.com')
  const upload = async (bucket: string, name: string, body: Buffer, token: string) => {
    const answer = await fetch(`${t.url}/storage/${bucket}?name=${name}`, { method: 'POST', headers: { ...bearer(token), 'content-type': 'application/octet-stream' }, body })
    expect(answer.status).toBe(201)
  }
  await upload('docs', 'ada.png', PNG, ada.token)
  await upload('docs', 'bob.pdf', PDF, bob.token)
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: FLAGS, timeout: 30_000 })
}, 60_000)
afterAll(async () => {
  await browser?.close()
  await t?.close()
})

describe('view as user: files', () => {
  it('pages a bucket\'s listing with limit and offset (query values are strings)', async () => {
    const page = async (query: string) => {
      const answer = await fetch(`${t.url}/storage/docs?${query}`, { headers: bearer(SERVICE_KEY) })
      expect(answer.status).toBe(200)
      return ((await answer.json()) as { name: string }[]).map((o) => o.name)
    }
    expect(await page('limit=1')).toEqual(['ada.png'])
    expect(await page('limit=1&offset=1')).toEqual(['bob.pdf'])
    expect((await fetch(`${t.url}/storage/docs?limit=1001`, { headers: bearer(SERVICE_KEY) })).status).toBe(400)
  })

  it('lists, for each bucket, the files the impersonated user may read, asked as them', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const login = await context.request.post(`${t.url}/auth/login`, { data: { email: 'root@example.com', password: 'correct-horse-battery-staple-1' }, headers: { origin: t.url } })
    expect(login.ok()).toBe(true)
    const page = await context.newPage()
    page.setDefaultTimeout(15_000)
    await page.goto(`${t.url}/_/data/workspaces`)
    await page.getByRole('button', { name: 'View as user…' }).click()
    await page.getByLabel('User', { exact: true }).selectOption({ label: 'ada@example.com' })
    await page.getByLabel('Reason (audited)').fill('ticket 7')
    await page.getByRole('button', { name: 'View', exact: true }).click()
    const files = page.getByRole('region', { name: 'Their files' })
    await files.getByTestId('files-docs').waitFor()
    expect(await files.getByTestId('files-docs').locator('li code').allTextContents()).toEqual(['ada.png'])
    // Buckets where she has nothing: said so, not an error.
    expect(await files.getByRole('alert').count()).toBe(0)
    expect(await files.locator('.error').count()).toBe(0)
    await context.close()
  }, 60_000)
})
