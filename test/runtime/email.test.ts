import Database from 'better-sqlite3'
import { QUEUE_MIGRATIONS } from '../../engine/runtime/queue/index.ts'
import { applySystemSchema } from '../../engine/runtime/system/system-schema.ts'
import { describe, expect, it } from 'vitest'
import { enqueueEmail, renderEmail, scrubEmail } from '../../engine/runtime/email/index.ts'
import { isKoyaError } from '../../engine/shared/errors.ts'


const link = 'https://tasks.example.com/auth/verify-email?token=abc123'

describe('renderEmail', () => {
  for (const template of ['verify-email', 'reset-password'] as const) {
    it(`${template}: the HTML and the text carry the link and the app name`, async () => {
      const email = await renderEmail(template, { appName: 'Koya Tasks', link, email: 'ada@example.com' })
      expect(email.subject).toContain('Koya Tasks')
      expect(email.html).toContain(`href="${link}"`)
      expect(email.html).toContain('Koya Tasks')
      expect(email.html).toContain('ada@example.com')
      expect(email.text).toContain(link)
      expect(email.text).toContain('Koya Tasks')
      expect(email.text).not.toContain('<')
    })
  }

  it('the two templates say different things', async () => {
    const data = { appName: 'Koya Tasks', link, email: 'ada@example.com' }
    const [verify, reset] = await Promise.all([renderEmail('verify-email', data), renderEmail('reset-password', data)])
    expect(verify.subject).toBe('Verify your email for Koya Tasks')
    expect(reset.subject).toBe('Reset your Koya Tasks password')
    expect(reset.text).toMatch(/password/i)
    expect(verify.text).not.toMatch(/password/i)
  })

  it('escapes a malicious app name and email in the HTML', async () => {
    const email = await renderEmail('verify-email', {
      appName: '<script>alert(1)</script>',
      link,
      email: '"><img src=x onerror=alert(1)>@evil.test',
    })
    expect(email.html).not.toContain('<script>alert(1)</script>')
    expect(email.html).not.toContain('<img src=x')
    expect(email.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(email.html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;@evil.test')
  })

  it('escapes a link that tries to leave its attribute', async () => {
    const email = await renderEmail('reset-password', { appName: 'Koya', link: 'https://a.example/r?t="><script>x</script>', email: 'a@example.com' })
    expect(email.html).not.toContain('"><script>')
    expect(email.html).toContain('href="https://a.example/r?t=&quot;&gt;&lt;script&gt;x&lt;/script&gt;"')
  })

  it('keeps the subject on one line', async () => {
    const email = await renderEmail('reset-password', { appName: 'Koya\r\nBcc: everyone@example.com', link, email: 'a@example.com' })
    expect(email.subject).not.toMatch(/[\r\n]/)
    expect(email.subject).toBe('Reset your Koya Bcc: everyone@example.com password')
  })

  it('refuses a link that is not http(s)', async () => {
    const error = await renderEmail('verify-email', { appName: 'Koya', link: 'javascript:alert(1)', email: 'a@example.com' }).catch((e: unknown) => e)
    expect(isKoyaError(error)).toBe(true)
  })
})

describe('enqueueEmail', () => {
  it('inserts one pending email row into the queue', async () => {
    const db = new Database(':memory:')
    applySystemSchema(db, QUEUE_MIGRATIONS)
    const now = new Date('2026-05-01T10:00:00.000Z')
    const email = await renderEmail('verify-email', { appName: 'Koya Tasks', link, email: 'ada@example.com' })
    enqueueEmail(db, { kind: 'verify-email', to: 'ada@example.com', ...email, secrets: ['abc123'] }, now)
    enqueueEmail(db, { kind: 'verify-email', to: 'bob@example.com', ...email }, now)
    const rows = db.prepare('SELECT * FROM "_koya_jobs" ORDER BY "id"').all() as Record<string, unknown>[]
    expect(rows).toHaveLength(2)
    expect(rows[0]).toMatchObject({ kind: 'email', status: 'pending', runAt: now.getTime(), createdAt: now.getTime(), attempts: 0 })
    const payload = JSON.parse(rows[0]!['payload'] as string)
    expect(payload).toEqual({ to: ['ada@example.com'], subject: email.subject, html: email.html, text: email.text, tag: 'verify-email', idempotencyKey: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7/), secrets: ['abc123'] })
    expect(JSON.parse(rows[1]!['payload'] as string).to).toEqual(['bob@example.com'])
    db.close()
  })

  it('scrubbing blanks every secret from both bodies and drops the list', async () => {
    const email = await renderEmail('verify-email', { appName: 'Koya Tasks', link, email: 'ada@example.com' })
    const scrubbed = scrubEmail({ to: ['ada@example.com'], subject: email.subject, html: email.html, text: email.text, idempotencyKey: 'k', secrets: ['abc123'] })
    expect(scrubbed.html).not.toContain('abc123')
    expect(scrubbed.text).not.toContain('abc123')
    expect(scrubbed.text).toContain('token=[sent]')
    expect(scrubbed).not.toHaveProperty('secrets')
  })
})
