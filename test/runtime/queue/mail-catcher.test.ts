import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { referenceApp, SERVICE_KEY, type TestApp } from '../../helpers/app.ts'

/**
 * Without an email API key, the reference app's emails are kept by the mail catcher: listed at
 * GET /admin/emails with their links whole, while the queue's own row has the token blanked.
 */
async function until<T>(what: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const value = await what()
    if (value !== undefined) return value
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 25))
  }
}

describe('the mail catcher', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await referenceApp(undefined, { dev: true })
  })
  afterAll(() => t.close())

  const admin = (url: string) => t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${SERVICE_KEY}` } })

  it('keeps the verification email of a sign-up, lists it to admins only, and blanks the token in the queue', async () => {
    const signup = await t.app.inject({ method: 'POST', url: '/auth/signup', payload: { email: 'erin@example.com', password: 'correct horse battery', displayName: 'Erin' } })
    expect(signup.statusCode).toBe(202)
    const caught = await until(async () => (await admin('/admin/emails?to=erin@example.com')).json()[0])
    expect(caught).toMatchObject({ tag: 'verify-email', to: ['erin@example.com'], subject: 'Verify your email for koya-tasks', from: 'koya-tasks <noreply@localhost>' })
    const token = /token=([a-z2-7]+)/.exec(caught.text)?.[1]
    expect(token).toBeDefined()
    const run = await until(async () => (await admin('/admin/jobs/runs?name=email&status=done')).json().find((r: { id: number }) => r.id === caught.jobId))
    expect(run.result).toEqual({ caught: true })
    expect(JSON.stringify(run.payload)).not.toContain(token)
    expect((await t.app.inject({ method: 'GET', url: '/admin/emails' })).statusCode).toBe(401)
    expect((await admin('/admin/emails?to=nobody@example.com')).json()).toEqual([])
  })

  it('previews the templates at /_/emails in dev', async () => {
    const index = await t.app.inject({ method: 'GET', url: '/_/emails' })
    expect(index.statusCode).toBe(200)
    expect(index.body).toContain('/_/emails/reset-password')
    const reset = await t.app.inject({ method: 'GET', url: '/_/emails/reset-password' })
    expect(reset.headers['content-type']).toContain('text/html')
    expect(reset.body).toContain('Reset your password')
    expect((await t.app.inject({ method: 'GET', url: '/_/emails/nope' })).statusCode).toBe(404)
  })

  it('serves no preview outside dev', async () => {
    const production = await referenceApp()
    try {
      // /_/ is Studio's: outside dev the path is one of its client routes, never the preview.
      const page = await production.app.inject({ method: 'GET', url: '/_/emails' })
      expect(page.body).not.toContain('/_/emails/reset-password')
      expect((await production.app.inject({ method: 'GET', url: '/_/emails/reset-password' })).body).not.toContain('Reset your password')
    } finally {
      await production.close()
    }
  })
})
