import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newSecret, startReceiver, webhookApp, type Receiver, type WebhookApp } from '../runtime/webhooks/webhook-fixtures.ts'

// The dashboard's Webhooks pane, listed for an app that declares a webhook: real deliveries to a
// local receiver (one failed, then delivered), shown and replayed from Chromium.
const CHROMIUM = '/usr/bin/chromium'
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
const PASSWORD = 'correct horse battery staple'

let app: WebhookApp
let receiver: Receiver
let browser: Browser | undefined

beforeAll(async () => {
  const secret = newSecret()
  receiver = await startReceiver([secret])
  receiver.answer = ({ count }) => (count === 1 ? { status: 500, body: 'boom' } : { status: 204 })
  app = await webhookApp({ HOOK_URL: receiver.url, HOOK_SECRET: secret, KOYA_WEBHOOK_ALLOW_HOSTS: '127.0.0.1' })
}, 60_000)
afterAll(async () => {
  await browser?.close()
  await app?.close()
  await receiver?.close()
})

describe('the Webhooks pane in Chromium', () => {
  it('lists the delivery attempts with their outcome, and a replay sends the event again', async () => {
    expect((await app.createWorkspace('Hooked')).status).toBe(201)
    await receiver.waitFor((r) => r.some((x) => x.status === 204))
    const url = await app.app.listen({ port: 0, host: '127.0.0.1' })
    expect((await app.request('POST', '/auth/signup', { email: 'hooks-admin@example.com', password: PASSWORD, displayName: 'Admin' })).status).toBe(202)
    const id = (await app.request('GET', '/admin/users?q=hooks-admin@example.com')).body.users[0].id as string
    expect((await app.request('POST', `/admin/users/${id}/verify-email`)).status).toBe(200)
    expect((await app.request('POST', `/admin/users/${id}/roles`, { role: 'admin' })).status).toBe(200)

    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 30_000 })
    const page = await browser.newPage()
    page.setDefaultTimeout(15_000)
    await page.goto(`${url}/_/webhooks`)
    await page.getByRole('heading', { name: 'Sign in to Studio' }).waitFor()
    await page.getByLabel('Email').fill('hooks-admin@example.com')
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('navigation', { name: 'Studio' }).getByRole('link', { name: 'Webhooks' }).waitFor()
    await page.locator('tr[data-ok="yes"]').first().waitFor()
    expect(await page.locator('tr[data-ok="no"]').first().textContent()).toContain('500')
    expect(await page.locator('tr[data-ok="yes"]').first().textContent()).toContain('workspaces.create')

    const before = receiver.received.length
    await page.locator('tr[data-ok="yes"]').first().getByRole('button', { name: 'Replay' }).click()
    await page.getByRole('status').filter({ hasText: /^Replaying delivery/ }).waitFor()
    await receiver.waitFor((r) => r.length > before)
    expect(receiver.received.at(-1)!.body).toMatchObject({ type: 'workspaces.create' })
  }, 90_000)
})
