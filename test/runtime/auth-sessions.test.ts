import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authApp, call, lastEmail, ORIGIN, PUBLIC_URL, SERVICE_KEY, signedInUser, type AuthTestApp } from '../helpers/auth-app.ts'
import { EMAILS } from '../helpers/emails.ts'

let t: AuthTestApp
beforeAll(async () => {
  t = await authApp()
})
afterAll(() => t.close())

const MINUTE = 60 * 1000
const session = (token: string) => call(t, 'GET', '/auth/session', { token })

describe('auth: sign-up, verification, login, logout', () => {
  it('signs up with the users table\'s columns; with verification on, nobody is signed in and the address stays unverified until the link is used', async () => {
    const signup = await call(t, 'POST', '/auth/signup', { body: { email: ' Ada@Example.com ', password: 'correct horse battery', displayName: 'Ada' } })
    expect(signup).toMatchObject({ status: 202, body: { ok: true } })
    expect(signup.cookies).toEqual([])
    // Login works before the link is used; the address is not verified yet.
    const early = await call(t, 'POST', '/auth/login', { body: { email: 'ada@example.com', password: 'correct horse battery' } })
    expect(early.body.user).toMatchObject({ email: 'ada@example.com', displayName: 'Ada', emailVerified: false })
    expect(early.body.user).not.toHaveProperty('password')
    expect((await session(early.body.session.token)).body.user).toMatchObject({ email: 'ada@example.com', emailVerified: false })

    const email = lastEmail(t, 'verify-email', 'ada@example.com')!
    expect(email.text).toContain(`${PUBLIC_URL}/auth/verify-email?token=${email.token}`)
    const verified = await call(t, 'POST', '/auth/verify-email', { body: { token: email.token } })
    expect(verified.status).toBe(200)
    expect(verified.body.user).toMatchObject({ email: 'ada@example.com', emailVerified: true })
    // Single use.
    expect((await call(t, 'POST', '/auth/verify-email', { body: { token: email.token } })).body.code).toBe('KL_AUTH_INVALID_TOKEN')

    const login = await call(t, 'POST', '/auth/login', { body: { email: 'ADA@example.com', password: 'correct horse battery' } })
    expect(login.status).toBe(200)
    expect(login.body.user.email).toBe('ada@example.com')
    expect(login.body.session).toEqual({ token: expect.stringMatching(/^[a-z2-7]{32}$/), expiresAt: new Date(t.now().getTime() + 30 * MINUTE).toISOString() })
    const cookie = login.cookies.find((c) => c.name === 'koya_session')!
    // Secure: the public URL is https (NODE_ENV is not production, so no __Host- prefix).
    expect(cookie).toMatchObject({ value: login.body.session.token, httpOnly: true, sameSite: 'Lax', path: '/', secure: true })
  })

  it('refuses sign-up with a short password, an unknown column or emailVerified', async () => {
    const short = await call(t, 'POST', '/auth/signup', { body: { email: 'short@example.com', password: 'nine char', displayName: 'S' } })
    expect(short).toMatchObject({ status: 400, body: { code: 'KL_AUTH_WEAK_PASSWORD' } })
    const long = await call(t, 'POST', '/auth/signup', { body: { email: 'long@example.com', password: 'x'.repeat(128), displayName: 'L' } })
    expect(long.status).toBe(202)
    const tooLong = await call(t, 'POST', '/auth/signup', { body: { email: 'toolong@example.com', password: 'x'.repeat(257), displayName: 'L' } })
    expect(tooLong.body.code).toBe('KL_AUTH_WEAK_PASSWORD')
    const unknown = await call(t, 'POST', '/auth/signup', { body: { email: 'u@example.com', password: 'correct horse battery', displayName: 'U', role: 'admin' } })
    expect(unknown).toMatchObject({ status: 400, body: { code: 'KL_API_VALIDATION' } })
    const verifiedByHand = await call(t, 'POST', '/auth/signup', { body: { email: 'v@example.com', password: 'correct horse battery', displayName: 'V', emailVerified: true } })
    expect(verifiedByHand.body.code).toBe('KL_API_VALIDATION')
    const missing = await call(t, 'POST', '/auth/signup', { body: { email: 'm@example.com', password: 'correct horse battery' } })
    expect(missing.body.code).toBe('KL_API_VALIDATION')
  })

  it('with verification on, sign-up answers a taken address exactly like a new one, and emails its owner instead', async () => {
    const owner = await signedInUser(t, 'owner')
    const outbox = () => t.db.prepare(`SELECT "kind", "to" FROM ${EMAILS} ORDER BY "id"`).all() as { kind: string; to: string }[]
    const before = outbox().length
    const fresh = await call(t, 'POST', '/auth/signup', { body: { email: 'fresh-address@example.com', password: 'correct horse battery', displayName: 'F' } })
    const taken = await call(t, 'POST', '/auth/signup', { body: { email: owner.email.toUpperCase(), password: 'an attacker guess', displayName: 'T' } })
    for (const answer of [fresh, taken]) {
      expect(answer.status).toBe(202)
      expect(answer.raw).toBe('{"ok":true}')
      expect(answer.cookies).toEqual([])
      expect(Object.keys(answer.headers).sort()).toEqual(Object.keys(fresh.headers).sort())
    }
    // One email each: a verification link to the new address, a notice to the owner.
    expect(outbox().slice(before)).toEqual([
      { kind: 'verify-email', to: 'fresh-address@example.com' },
      { kind: 'signup-attempt', to: owner.email },
    ])
    const notice = t.db.prepare(`SELECT "subject", "text" FROM ${EMAILS} WHERE "kind" = 'signup-attempt'`).all()[0] as { subject: string; text: string }
    expect(notice.subject).toBe('Someone tried to sign up for koya-tasks with your address')
    expect(notice.text).toContain(PUBLIC_URL)
    expect(notice.text).not.toMatch(/token=/)
    // The owner's account is untouched: their password still works, the attacker's does not.
    expect((await call(t, 'POST', '/auth/login', { body: { email: owner.email, password: owner.password } })).status).toBe(200)
    expect((await call(t, 'POST', '/auth/login', { body: { email: owner.email, password: 'an attacker guess' } })).status).toBe(401)
    expect(t.db.prepare('SELECT count(*) AS n FROM "users" WHERE "email" = ?').all(owner.email)).toEqual([{ n: 1 }])
  })

  it('answers GET /auth/session with the user, roles and session, by bearer token or cookie', async () => {
    const user = await signedInUser(t, 'sess')
    const bearer = await session(user.token)
    expect(bearer.status).toBe(200)
    expect(bearer.body).toMatchObject({ user: { id: user.id, email: user.email }, roles: [], session: { expiresAt: expect.any(String), absoluteExpiresAt: expect.any(String) } })
    expect(bearer.body).not.toHaveProperty('impersonator')
    const cookie = await call(t, 'GET', '/auth/session', { cookie: user.token })
    expect(cookie.body.user.id).toBe(user.id)
    expect((await call(t, 'GET', '/auth/session')).body.code).toBe('KL_AUTH_REQUIRED')
    expect((await session('not-a-token')).status).toBe(401)
  })

  it('logout revokes the session and clears the cookie', async () => {
    const user = await signedInUser(t, 'out')
    const out = await call(t, 'POST', '/auth/logout', { cookie: user.token, headers: ORIGIN })
    expect(out.status).toBe(204)
    // Cleared with the attributes it was set with: a browser keeps a cookie whose path differs.
    expect(out.cookies.find((c) => c.name === 'koya_session')).toMatchObject({ value: '', maxAge: 0, path: '/', httpOnly: true, sameSite: 'Lax', secure: true })
    expect((await session(user.token)).status).toBe(401)
  })

  it('stores a session under the SHA-256 of its token, never the token (so sessions outlive an upgrade)', async () => {
    const user = await signedInUser(t, 'stored')
    const ids = (t.db.prepare('SELECT "id" FROM "_koya_sessions" WHERE "userId" = ?').all(user.id) as { id: string }[]).map((row) => row.id)
    expect(ids).toContain(createHash('sha256').update(user.token).digest('hex'))
    expect(ids).not.toContain(user.token)
  })

  it('logout-all revokes every session of the user, and only theirs', async () => {
    const user = await signedInUser(t, 'all')
    const second = (await call(t, 'POST', '/auth/login', { body: { email: user.email, password: user.password } })).body.session.token
    const other = await signedInUser(t, 'bystander')
    const out = await call(t, 'POST', '/auth/logout-all', { token: second })
    expect(out.body).toEqual({ revoked: 2 })
    expect((await session(user.token)).status).toBe(401)
    expect((await session(second)).status).toBe(401)
    expect((await session(other.token)).status).toBe(200)
  })
})

describe('auth: session lifetime', () => {
  it('expires after the idle timeout without use', async () => {
    const user = await signedInUser(t, 'idle')
    t.advance(29 * MINUTE)
    expect((await session(user.token)).status).toBe(200) // renewed here (more than half elapsed)
    t.advance(29 * MINUTE)
    expect((await session(user.token)).status).toBe(200)
    t.advance(31 * MINUTE)
    expect((await session(user.token)).body.code).toBe('KL_AUTH_REQUIRED')
    // Expired sessions are deleted, not only refused.
    expect(t.db.prepare('SELECT count(*) AS n FROM "_koya_sessions" WHERE "userId" = ?').all(user.id)).toEqual([{ n: 0 }])
  })

  it('slides: renews the idle expiry once half of it has passed, and re-sends the cookie', async () => {
    const user = await signedInUser(t, 'slide')
    const first = (await session(user.token)).body.session.expiresAt
    t.advance(10 * MINUTE)
    expect((await session(user.token)).body.session.expiresAt).toBe(first) // less than half elapsed: no write
    t.advance(6 * MINUTE)
    const renewed = await call(t, 'GET', '/auth/session', { cookie: user.token })
    expect(renewed.body.session.expiresAt).toBe(new Date(t.now().getTime() + 30 * MINUTE).toISOString())
    const cookie = renewed.cookies.find((c) => c.name === 'koya_session')!
    expect(cookie.value).toBe(user.token)
    expect(new Date(cookie.expires!).toISOString()).toBe(new Date(Math.floor((t.now().getTime() + 30 * MINUTE) / 1000) * 1000).toISOString())
  })

  it('ends at the absolute timeout however often it is used', async () => {
    const user = await signedInUser(t, 'absolute')
    const start = t.now().getTime()
    const absolute = (await session(user.token)).body.session.absoluteExpiresAt
    expect(absolute).toBe(new Date(start + 7 * 24 * 60 * MINUTE).toISOString())
    let last
    for (let elapsed = 0; elapsed < 7 * 24 * 60 * MINUTE - 20 * MINUTE; elapsed += 20 * MINUTE) {
      t.advance(20 * MINUTE)
      last = await session(user.token)
      expect(last.status).toBe(200)
    }
    // Renewal never goes past the absolute expiry.
    expect(Date.parse(last!.body.session.expiresAt)).toBeLessThanOrEqual(Date.parse(absolute))
    t.advance(Date.parse(absolute) - t.now().getTime())
    expect((await session(user.token)).status).toBe(401)
  })

  it('a dead cookie is cleared', async () => {
    const dead = await call(t, 'GET', '/auth/session', { cookie: 'nope' })
    expect(dead.status).toBe(401)
    expect(dead.cookies.find((c) => c.name === 'koya_session')).toMatchObject({ value: '', maxAge: 0 })
  })
})

describe('auth: passwords', () => {
  it('password change checks the current password, revokes every session and issues a new one', async () => {
    const user = await signedInUser(t, 'change')
    const second = (await call(t, 'POST', '/auth/login', { body: { email: user.email, password: user.password } })).body.session.token
    const wrong = await call(t, 'POST', '/auth/password/change', { token: user.token, body: { currentPassword: 'not the password', newPassword: 'a new long password' } })
    expect(wrong).toMatchObject({ status: 401, body: { code: 'KL_AUTH_INVALID_CREDENTIALS' } })
    const weak = await call(t, 'POST', '/auth/password/change', { token: user.token, body: { currentPassword: user.password, newPassword: 'short' } })
    expect(weak.body.code).toBe('KL_AUTH_WEAK_PASSWORD')
    const changed = await call(t, 'POST', '/auth/password/change', { token: user.token, body: { currentPassword: user.password, newPassword: 'a new long password' } })
    expect(changed.status).toBe(200)
    expect((await session(user.token)).status).toBe(401)
    expect((await session(second)).status).toBe(401)
    expect((await session(changed.body.session.token)).status).toBe(200)
    expect((await call(t, 'POST', '/auth/login', { body: { email: user.email, password: user.password } })).status).toBe(401)
    expect((await call(t, 'POST', '/auth/login', { body: { email: user.email, password: 'a new long password' } })).status).toBe(200)
  })

  it('password reset: the emailed token sets a new password once, revokes every session, and expires', async () => {
    const user = await signedInUser(t, 'reset')
    const forgot = await call(t, 'POST', '/auth/password/forgot', { body: { email: user.email.toUpperCase() } })
    expect(forgot).toMatchObject({ status: 202, body: { ok: true } })
    const email = lastEmail(t, 'reset-password', user.email)!
    expect(email.text).toContain(`${PUBLIC_URL}/auth/password/reset?token=${email.token}`)

    const weak = await call(t, 'POST', '/auth/password/reset', { body: { token: email.token, password: 'short' } })
    expect(weak.body.code).toBe('KL_AUTH_WEAK_PASSWORD') // and the token still works:
    const reset = await call(t, 'POST', '/auth/password/reset', { body: { token: email.token, password: 'reset to this one' } })
    expect(reset).toMatchObject({ status: 200, body: { ok: true } })
    expect((await session(user.token)).status).toBe(401)
    expect((await call(t, 'POST', '/auth/password/reset', { body: { token: email.token, password: 'and again to this' } })).body.code).toBe('KL_AUTH_INVALID_TOKEN')
    expect((await call(t, 'POST', '/auth/login', { body: { email: user.email, password: 'reset to this one' } })).status).toBe(200)

    await call(t, 'POST', '/auth/password/forgot', { body: { email: user.email } })
    const late = lastEmail(t, 'reset-password', user.email)!
    t.advance(61 * MINUTE)
    expect((await call(t, 'POST', '/auth/password/reset', { body: { token: late.token, password: 'too late for this' } })).body.code).toBe('KL_AUTH_INVALID_TOKEN')
  })

  it('a password change makes an outstanding reset link stop working', async () => {
    const user = await signedInUser(t, 'changeafterforgot')
    await call(t, 'POST', '/auth/password/forgot', { body: { email: user.email } })
    const { token } = lastEmail(t, 'reset-password', user.email)!
    const changed = await call(t, 'POST', '/auth/password/change', { token: user.token, body: { currentPassword: user.password, newPassword: 'brand new secret 1' } })
    expect(changed.status).toBe(200)
    const reset = await call(t, 'POST', '/auth/password/reset', { body: { token, password: 'attacker chosen pw' } })
    expect(reset).toMatchObject({ status: 400, body: { code: 'KL_AUTH_INVALID_TOKEN' } })
    expect((await call(t, 'POST', '/auth/login', { body: { email: user.email, password: 'attacker chosen pw' } })).status).toBe(401)
    expect((await call(t, 'POST', '/auth/login', { body: { email: user.email, password: 'brand new secret 1' } })).status).toBe(200)
  })

  it('counts a password\'s length after NFKC normalization, as it is hashed', async () => {
    // Ten code points, five characters once "e" and the combining accent compose.
    const composed = await call(t, 'POST', '/auth/signup', { body: { email: 'nfkc@example.com', password: 'e\u0301'.repeat(5), displayName: 'N' } })
    expect(composed).toMatchObject({ status: 400, body: { code: 'KL_AUTH_WEAK_PASSWORD' } })
    expect(composed.body.message).toContain('has 5 characters')
    // One code point that NFKC expands to three: 86 of them are 258 characters, over the maximum.
    const expanded = await call(t, 'POST', '/auth/signup', { body: { email: 'nfkc2@example.com', password: '\u2026'.repeat(86), displayName: 'N' } })
    expect(expanded.body.code).toBe('KL_AUTH_WEAK_PASSWORD')
    expect((await call(t, 'POST', '/auth/signup', { body: { email: 'nfkc3@example.com', password: '\u2026'.repeat(4), displayName: 'N' } })).status).toBe(202)
  })

  it('a newer reset email makes the older link stop working', async () => {
    const user = await signedInUser(t, 'twice')
    await call(t, 'POST', '/auth/password/forgot', { body: { email: user.email } })
    const first = lastEmail(t, 'reset-password', user.email)!
    await call(t, 'POST', '/auth/password/forgot', { body: { email: user.email } })
    expect((await call(t, 'POST', '/auth/password/reset', { body: { token: first.token, password: 'from the old link' } })).body.code).toBe('KL_AUTH_INVALID_TOKEN')
  })
})

describe('auth: CSRF on cookie-authenticated writes', () => {
  it('refuses a cookie write without Origin or from another origin; the public origin passes', async () => {
    const user = await signedInUser(t, 'csrf')
    const none = await call(t, 'POST', '/auth/logout-all', { cookie: user.token })
    expect(none).toMatchObject({ status: 403, body: { code: 'KL_AUTH_CSRF' } })
    const evil = await call(t, 'POST', '/auth/logout-all', { cookie: user.token, headers: { origin: 'https://evil.example' } })
    expect(evil.body.code).toBe('KL_AUTH_CSRF')
    expect((await session(user.token)).status).toBe(200) // nothing was revoked
    const ok = await call(t, 'POST', '/auth/logout-all', { cookie: user.token, headers: ORIGIN })
    expect(ok.status).toBe(200)
  })

  it('accepts a page of the server itself (Origin matches Host) even when the public URL is elsewhere', async () => {
    const user = await signedInUser(t, 'samehost')
    const ok = await call(t, 'POST', '/auth/logout', { cookie: user.token, headers: { origin: 'https://localhost:3000', host: 'localhost:3000' } })
    expect(ok.status).toBe(204)
    const forged = await call(t, 'POST', '/auth/logout', { cookie: user.token, headers: { origin: 'https://evil.example', host: 'localhost:3000' } })
    expect(forged.body.code).toBe('KL_AUTH_CSRF')
  })

  it('a page on the server\'s host counts only with the same scheme; with an https public URL, only https', async () => {
    const user = await signedInUser(t, 'scheme')
    // An http page on the public URL's host is one a network attacker can write.
    const plain = await call(t, 'POST', '/auth/logout-all', { cookie: user.token, headers: { origin: 'http://tasks.example.com', host: 'tasks.example.com' } })
    expect(plain).toMatchObject({ status: 403, body: { code: 'KL_AUTH_CSRF' } })
    expect((await call(t, 'POST', '/auth/logout-all', { cookie: user.token, headers: { origin: 'http://localhost:3000', host: 'localhost:3000' } })).body.code).toBe('KL_AUTH_CSRF')
    expect((await session(user.token)).status).toBe(200) // nothing was revoked

    // An http public URL: the request's own scheme decides (inject requests arrive as http).
    const local = await authApp({ env: { KOYA_PUBLIC_URL: 'http://127.0.0.1:3000' } })
    try {
      const other = await signedInUser(local, 'scheme')
      const https = await call(local, 'POST', '/auth/logout', { cookie: other.token, headers: { origin: 'https://localhost:3000', host: 'localhost:3000' } })
      expect(https.body.code).toBe('KL_AUTH_CSRF')
      expect((await call(local, 'POST', '/auth/logout', { cookie: other.token, headers: { origin: 'http://localhost:3000', host: 'localhost:3000' } })).status).toBe(204)
    } finally {
      await local.close()
    }
  })

  it('exempts bearer requests, and reads', async () => {
    const user = await signedInUser(t, 'bearer')
    expect((await call(t, 'GET', '/auth/session', { cookie: user.token, headers: { origin: 'https://evil.example' } })).status).toBe(200)
    const write = await call(t, 'POST', '/auth/logout', { token: user.token, headers: { origin: 'https://evil.example' } })
    expect(write.status).toBe(204)
  })

  it('refuses a cross-origin login (login CSRF) and answers CORS only to trusted origins', async () => {
    const login = await call(t, 'POST', '/auth/login', { body: { email: 'x@example.com', password: 'whatever password' }, headers: { origin: 'https://evil.example' } })
    expect(login.body.code).toBe('KL_AUTH_CSRF')
    const trusted = await t.app.inject({ method: 'OPTIONS', url: '/auth/session', headers: { origin: PUBLIC_URL, 'access-control-request-method': 'GET' } })
    expect(trusted.headers['access-control-allow-origin']).toBe(PUBLIC_URL)
    expect(trusted.headers['access-control-allow-credentials']).toBe('true')
    const evil = await t.app.inject({ method: 'OPTIONS', url: '/auth/session', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } })
    expect(evil.headers['access-control-allow-origin']).toBeUndefined()
  })
})

describe('auth: the pages emailed links open', () => {
  const form = (url: string, fields: Record<string, string>, headers: Record<string, string> = ORIGIN) =>
    t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: new URLSearchParams(fields).toString() })

  it('the verification link shows a button; only posting its form uses the token', async () => {
    await call(t, 'POST', '/auth/signup', { body: { email: 'page@example.com', password: 'correct horse battery', displayName: 'P' } })
    const { token } = lastEmail(t, 'verify-email', 'page@example.com')!
    const page = await t.app.inject({ method: 'GET', url: `/auth/verify-email?token=${token}` })
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toContain('text/html')
    expect(page.headers['referrer-policy']).toBe('same-origin')
    expect(page.headers['content-security-policy']).toContain("default-src 'none'")
    expect(page.body).toContain(`<form method="post" action="verify-email"><input type="hidden" name="token" value="${token}">`)
    expect(t.db.prepare('SELECT "emailVerified" FROM "users" WHERE "email" = ?').all('page@example.com')).toEqual([{ emailVerified: 0 }])

    const posted = await form('/auth/verify-email', { token })
    expect(posted.statusCode).toBe(200)
    expect(posted.body).toContain('Email address confirmed')
    const again = await form('/auth/verify-email', { token })
    expect(again.statusCode).toBe(400)
    expect(again.body).toContain('already used or expired')
    expect(t.db.prepare('SELECT "emailVerified" FROM "users" WHERE "email" = ?').all('page@example.com')).toEqual([{ emailVerified: 1 }])
  })

  it('the page\'s form works as a browser posts it (Origin of the public URL); Origin null is refused', async () => {
    await call(t, 'POST', '/auth/signup', { body: { email: 'browser@example.com', password: 'correct horse battery', displayName: 'B' } })
    const { token } = lastEmail(t, 'verify-email', 'browser@example.com')!
    const page = await t.app.inject({ method: 'GET', url: `/auth/verify-email?token=${token}`, headers: { host: 'tasks.example.com' } })
    // same-origin: the browser keeps the page's origin on its own form post (no-referrer made it "null").
    expect(page.headers['referrer-policy']).toBe('same-origin')
    const browser = { host: 'tasks.example.com', 'sec-fetch-site': 'same-origin', referer: `${PUBLIC_URL}/auth/verify-email?token=${token}` }
    // Origin null (a sandboxed frame, a page that hides its origin) says nothing about where the post comes from.
    const hidden = await form('/auth/verify-email', { token }, { ...browser, origin: 'null' })
    expect(hidden.statusCode).toBe(403)
    expect(JSON.parse(hidden.body).code).toBe('KL_AUTH_CSRF')
    const posted = await form('/auth/verify-email', { token }, { ...browser, origin: PUBLIC_URL })
    expect(posted.statusCode).toBe(200) // the refused post did not use the token up
    expect(posted.body).toContain('Email address confirmed')
  })

  it('the reset link shows a password form that sets the password', async () => {
    const user = await signedInUser(t, 'pagereset')
    await call(t, 'POST', '/auth/password/forgot', { body: { email: user.email } })
    const { token } = lastEmail(t, 'reset-password', user.email)!
    const page = await t.app.inject({ method: 'GET', url: `/auth/password/reset?token=${token}` })
    expect(page.body).toContain('<form method="post" action="reset">')
    expect(page.body).toContain('type="password" name="password" minlength="10"')
    const weak = await form('/auth/password/reset', { token, password: 'short' })
    expect([weak.statusCode, weak.headers['content-type']]).toEqual([400, 'text/html; charset=utf-8'])
    expect((await form('/auth/password/reset', { token, password: 'set from the page' })).statusCode).toBe(200)
    expect((await call(t, 'POST', '/auth/login', { body: { email: user.email, password: 'set from the page' } })).status).toBe(200)
  })

  it('a form from another origin is refused; a token that is not one is not echoed; the API takes no forms', async () => {
    expect((await form('/auth/verify-email', { token: 'abc' }, { origin: 'https://evil.example' })).statusCode).toBe(403)
    const odd = await t.app.inject({ method: 'GET', url: `/auth/verify-email?token=${encodeURIComponent('"><script>alert(1)</script>')}` })
    expect(odd.statusCode).toBe(400)
    expect(odd.body).not.toContain('<script>')
    const api = await form('/api/users', { email: 'f@example.com', displayName: 'F' }, { authorization: `Bearer ${SERVICE_KEY}` })
    expect(api.statusCode).toBe(400)
    expect(JSON.parse(api.body).code).toBe('KL_API_BAD_REQUEST')
  })
})

describe('auth: without email verification, and in production', () => {
  it('sign-up starts a session at once when auth.email.verify is off', async () => {
    const app = await authApp({ model: (m) => ({ ...m, auth: { ...m.auth, email: { enabled: true, verify: false } } }) })
    try {
      const signup = await call(app, 'POST', '/auth/signup', { body: { email: 'now@example.com', password: 'correct horse battery', displayName: 'N' } })
      expect(signup.status).toBe(201)
      expect(signup.body.session).toEqual({ token: expect.any(String), expiresAt: expect.any(String) })
      expect(signup.cookies.find((c) => c.name === 'koya_session')?.value).toBe(signup.body.session.token)
      expect((await call(app, 'GET', '/auth/session', { token: signup.body.session.token })).body.user.email).toBe('now@example.com')
      expect(app.db.prepare(`SELECT count(*) AS n FROM ${EMAILS}`).all()).toEqual([{ n: 0 }])
      expect((await call(app, 'POST', '/auth/login', { body: { email: 'now@example.com', password: 'correct horse battery' } })).status).toBe(200)
      // Without verification there is no inbox to tell: a taken address is a 409, as documented.
      const taken = await call(app, 'POST', '/auth/signup', { body: { email: 'NOW@example.com', password: 'correct horse battery', displayName: 'N' } })
      expect(taken).toMatchObject({ status: 409, body: { code: 'KL_AUTH_EMAIL_TAKEN' } })
    } finally {
      await app.close()
    }
  })

  it('the cookie is Secure with an https public URL, and not with an http one (outside production)', async () => {
    const signup = async (app: AuthTestApp, email: string) => {
      await call(app, 'POST', '/auth/signup', { body: { email, password: 'correct horse battery', displayName: 'S' } })
      return call(app, 'POST', '/auth/login', { body: { email, password: 'correct horse battery' } })
    }
    expect((await signup(t, 'https@example.com')).cookies).toEqual([expect.objectContaining({ name: 'koya_session', secure: true, httpOnly: true })])
    const local = await authApp({ env: { KOYA_PUBLIC_URL: 'http://127.0.0.1:3000' } })
    try {
      const cookie = (await signup(local, 'http@example.com')).cookies.find((c) => c.name === 'koya_session')!
      expect(cookie.value).not.toBe('')
      expect(cookie.secure).toBeFalsy()
    } finally {
      await local.close()
    }
  })

  it('with NODE_ENV=production the cookie is Secure and __Host- prefixed', async () => {
    const app = await authApp({ model: (m) => ({ ...m, auth: { ...m.auth, email: { enabled: true, verify: false } } }), env: { NODE_ENV: 'production' } })
    try {
      const signup = await call(app, 'POST', '/auth/signup', { body: { email: 'prod@example.com', password: 'correct horse battery', displayName: 'P' } })
      expect(signup.cookies).toEqual([expect.objectContaining({ name: '__Host-koya_session', secure: true, httpOnly: true, sameSite: 'Lax', path: '/' })])
      const viaCookie = await app.app.inject({ method: 'GET', url: '/auth/session', headers: { cookie: `__Host-koya_session=${signup.body.session.token}` } })
      expect(viaCookie.statusCode).toBe(200)
      // The unprefixed name is not read in production (a sibling subdomain could plant it).
      expect((await call(app, 'GET', '/auth/session', { cookie: signup.body.session.token })).status).toBe(401)
    } finally {
      await app.close()
    }
  })

  it('refuses to start with a public URL that is not http(s)', async () => {
    await expect(authApp({ env: { KOYA_PUBLIC_URL: 'ftp://example.com' } })).rejects.toMatchObject({ code: 'KL_AUTH_CONFIG' })
  })
})
