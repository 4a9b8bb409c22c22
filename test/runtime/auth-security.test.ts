import { hash } from '@node-rs/argon2'
import { existsSync, readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_AUTH_RATE_LIMITS } from '../../engine/runtime/auth/auth-context.ts'
import { addressKey } from '../../engine/runtime/auth/rate-limiter.ts'
import { authApp, call, lastEmail, SERVICE_KEY, signedInUser, type AuthTestApp } from '../helpers/auth-app.ts'

describe('auth: no account enumeration', () => {
  let t: AuthTestApp
  beforeAll(async () => {
    t = await authApp()
  })
  afterAll(() => t.close())

  it('answers an unknown email exactly as a wrong password', async () => {
    const user = await signedInUser(t, 'enum')
    const wrong = await call(t, 'POST', '/auth/login', { body: { email: user.email, password: 'not the password at all' } })
    const unknown = await call(t, 'POST', '/auth/login', { body: { email: 'nobody@example.com', password: 'not the password at all' } })
    expect(wrong.status).toBe(401)
    expect(unknown.status).toBe(wrong.status)
    expect(unknown.raw).toBe(wrong.raw)
    expect(JSON.parse(unknown.raw).code).toBe('KL_AUTH_INVALID_CREDENTIALS')
  })

  it('spends a password hash on an unknown email too (same timing class)', async () => {
    const user = await signedInUser(t, 'timing')
    const time = async (email: string) => {
      const start = performance.now()
      await call(t, 'POST', '/auth/login', { body: { email, password: 'not the password at all' } })
      return performance.now() - start
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
    const wrong: number[] = []
    const unknown: number[] = []
    for (let i = 0; i < 5; i++) {
      wrong.push(await time(user.email))
      unknown.push(await time(`nobody-${i}@example.com`))
    }
    // argon2id costs tens of milliseconds; a lookup that skipped it would cost well under one.
    expect(median(unknown) / median(wrong)).toBeGreaterThan(0.3)
  })

  it('forgot and resend answer the same for known and unknown addresses', async () => {
    const user = await signedInUser(t, 'forgot')
    const known = await call(t, 'POST', '/auth/password/forgot', { body: { email: user.email } })
    const unknown = await call(t, 'POST', '/auth/password/forgot', { body: { email: 'nobody@example.com' } })
    expect([known.status, known.raw]).toEqual([unknown.status, unknown.raw])
    expect(lastEmail(t, 'reset-password', user.email)).toBeDefined()
    expect(lastEmail(t, 'reset-password', 'nobody@example.com')).toBeUndefined()
    const resendKnown = await call(t, 'POST', '/auth/verify-email/resend', { body: { email: user.email } })
    const resendUnknown = await call(t, 'POST', '/auth/verify-email/resend', { body: { email: 'nobody@example.com' } })
    expect([resendKnown.status, resendKnown.raw]).toEqual([resendUnknown.status, resendUnknown.raw])
  })

  it('resend issues a new verification link for an unverified address', async () => {
    await call(t, 'POST', '/auth/signup', { body: { email: 'late@example.com', password: 'correct horse battery', displayName: 'Late' } })
    const first = lastEmail(t, 'verify-email', 'late@example.com')!
    await call(t, 'POST', '/auth/verify-email/resend', { body: { email: 'late@example.com' } })
    const second = lastEmail(t, 'verify-email', 'late@example.com')!
    expect(second.token).not.toBe(first.token)
    expect((await call(t, 'POST', '/auth/verify-email', { body: { token: first.token } })).body.code).toBe('KL_AUTH_INVALID_TOKEN')
    expect((await call(t, 'POST', '/auth/verify-email', { body: { token: second.token } })).status).toBe(200)
  })
})

describe('auth: rate limits', () => {
  let t: AuthTestApp
  beforeAll(async () => {
    t = await authApp({ rateLimits: DEFAULT_AUTH_RATE_LIMITS })
  })
  afterAll(() => t.close())

  it('locks a client out of an account after 10 failed logins, even for the right password; the owner elsewhere still signs in', async () => {
    const user = await signedInUser(t, 'locked')
    for (let i = 0; i < 10; i++) {
      const failed = await call(t, 'POST', '/auth/login', { body: { email: user.email, password: 'wrong password here' }, ip: '10.0.0.1' })
      expect(failed.status).toBe(401)
    }
    const locked = await call(t, 'POST', '/auth/login', { body: { email: user.email, password: user.password }, ip: '10.0.0.1' })
    expect(locked.status).toBe(429)
    expect(locked.body).toMatchObject({ code: 'KL_AUTH_RATE_LIMITED', message: expect.any(String), hint: expect.any(String) })
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0)
    expect(Number(locked.headers['retry-after'])).toBeLessThanOrEqual(900)
    // Ten wrong passwords from one client do not lock the owner out from another (a DoS).
    expect((await call(t, 'POST', '/auth/login', { body: { email: user.email, password: user.password }, ip: '10.0.1.1' })).status).toBe(200)
    // An IPv6 client is one client across its /64.
    for (let i = 0; i < 10; i++) await call(t, 'POST', '/auth/login', { body: { email: user.email, password: 'wrong password here' }, ip: `2001:db8:9:9::${i + 1}` })
    expect((await call(t, 'POST', '/auth/login', { body: { email: user.email, password: user.password }, ip: '2001:db8:9:9::ff' })).status).toBe(429)
    // Unknown accounts are limited the same way (no enumeration through the limiter).
    for (let i = 0; i < 10; i++) await call(t, 'POST', '/auth/login', { body: { email: 'nobody-here@example.com', password: 'wrong password here' }, ip: '10.0.0.1' })
    expect((await call(t, 'POST', '/auth/login', { body: { email: 'nobody-here@example.com', password: 'wrong password here' }, ip: '10.0.0.1' })).status).toBe(429)
    t.advance(Number(locked.headers['retry-after']) * 1000)
    expect((await call(t, 'POST', '/auth/login', { body: { email: user.email, password: user.password }, ip: '10.0.0.1' })).status).toBe(200)
  })

  it('parallel guesses from one client cannot get past its limit: a right password beyond it is refused', async () => {
    const user = await signedInUser(t, 'parallel')
    const { max } = DEFAULT_AUTH_RATE_LIMITS.loginFailuresPerAccount
    // All in flight at once from one address; the right password comes last.
    const guesses = Array.from({ length: 60 }, (_, i) => (i === 59 ? user.password : `wrong guess number ${i}`))
    const answers = await Promise.all(guesses.map((password) => call(t, 'POST', '/auth/login', { body: { email: user.email, password }, ip: '10.50.0.1' })))
    expect(answers.filter((a) => a.status === 401)).toHaveLength(max)
    expect(answers.filter((a) => a.status === 429)).toHaveLength(60 - max)
    expect(answers[59]!.body.code).toBe('KL_AUTH_RATE_LIMITED')
  })

  it('parallel current-password guesses at password change count against the same limit', async () => {
    const user = await signedInUser(t, 'parallelchange')
    const { max } = DEFAULT_AUTH_RATE_LIMITS.loginFailuresPerAccount
    const guesses = Array.from({ length: 30 }, (_, i) => (i === 29 ? user.password : `wrong guess number ${i}`))
    const answers = await Promise.all(guesses.map((currentPassword) => call(t, 'POST', '/auth/password/change', { token: user.token, body: { currentPassword, newPassword: 'taken over at last' } })))
    expect(answers.filter((a) => a.status === 401)).toHaveLength(max)
    expect(answers[29]!.body.code).toBe('KL_AUTH_RATE_LIMITED')
    // Nothing changed: a change would have ended every session, this one too.
    expect((await call(t, 'GET', '/auth/session', { token: user.token })).status).toBe(200)
  })

  it('a right password clears the count, so its owner is not locked out by their own logins', async () => {
    const user = await signedInUser(t, 'often')
    const { max } = DEFAULT_AUTH_RATE_LIMITS.loginFailuresPerAccount
    for (let i = 0; i < max * 2; i++) {
      expect((await call(t, 'POST', '/auth/login', { body: { email: user.email, password: user.password }, ip: `10.52.0.${i}` })).status).toBe(200)
    }
  })

  it('counts an IPv6 client by its /64, and an IPv4-mapped address as the IPv4', async () => {
    const { max } = DEFAULT_AUTH_RATE_LIMITS.loginPerIp
    // Each request from another address of one /64 (what a single subscriber holds).
    const statuses = []
    for (let i = 1; i <= max + 1; i++) statuses.push((await t.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { token: 'x' }, remoteAddress: `2001:db8:5:6:${i.toString(16)}::1` })).statusCode)
    expect(statuses.slice(0, max).every((s) => s === 400)).toBe(true)
    expect(statuses.at(-1)).toBe(429)
    expect((await t.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { token: 'x' }, remoteAddress: '2001:db8:5:7::1' })).statusCode).toBe(400)

    for (let i = 0; i < max; i++) await call(t, 'POST', '/auth/login', { body: { email: `mapped-${i}@example.com`, password: 'wrong password here' }, ip: '::ffff:198.51.100.7' })
    expect((await call(t, 'POST', '/auth/login', { body: { email: 'mapped@example.com', password: 'wrong password here' }, ip: '198.51.100.7' })).status).toBe(429)
  })

  it('limits logins per client address', async () => {
    let last
    for (let i = 0; i <= DEFAULT_AUTH_RATE_LIMITS.loginPerIp.max; i++) {
      last = await call(t, 'POST', '/auth/login', { body: { email: `spray-${i}@example.com`, password: 'wrong password here' }, ip: '10.9.9.9' })
    }
    expect(last!.status).toBe(429)
    expect(last!.body.code).toBe('KL_AUTH_RATE_LIMITED')
    const elsewhere = await call(t, 'POST', '/auth/login', { body: { email: 'spray-0@example.com', password: 'wrong password here' }, ip: '10.9.9.10' })
    expect(elsewhere.status).toBe(401)
  })

  it('limits sign-ups per address and reset emails per account', async () => {
    const statuses: number[] = []
    for (let i = 0; i <= DEFAULT_AUTH_RATE_LIMITS.signupPerIp.max; i++) {
      statuses.push((await call(t, 'POST', '/auth/signup', { body: { email: `bulk-${i}@example.com`, password: 'correct horse battery', displayName: 'B' }, ip: '10.8.8.8' })).status)
    }
    expect(statuses.slice(0, -1).every((s) => s === 202)).toBe(true)
    expect(statuses.at(-1)).toBe(429)

    const forgot = []
    for (let i = 0; i <= DEFAULT_AUTH_RATE_LIMITS.resetPerAccount.max; i++) {
      forgot.push(await call(t, 'POST', '/auth/password/forgot', { body: { email: 'bulk-0@example.com' }, ip: `10.7.7.${i}` }))
    }
    expect(forgot.at(-2)!.status).toBe(202)
    expect(forgot.at(-1)!.body.code).toBe('KL_AUTH_RATE_LIMITED')
    const reset = []
    for (let i = 0; i <= DEFAULT_AUTH_RATE_LIMITS.resetPerIp.max; i++) {
      reset.push(await call(t, 'POST', '/auth/password/reset', { body: { token: 'guess', password: 'a long new password' }, ip: '10.6.6.6' }))
    }
    expect(reset.at(-2)!.body.code).toBe('KL_AUTH_INVALID_TOKEN')
    expect(reset.at(-1)!.status).toBe(429)
  })
})

describe('addressKey', () => {
  const cases: [string, string][] = [
    ['203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:aa:bb:cc:dd', '2001:db8:1:2::/64'],
    ['2001:DB8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['::ffff:198.51.100.7', '198.51.100.7'],
    ['::ffff:c633:6407', '198.51.100.7'],
    ['64:ff9b::198.51.100.7', '64:ff9b:0:0::/64'],
  ]
  for (const [ip, key] of cases) it(`${ip} → ${key}`, () => expect(addressKey(ip)).toBe(key))
})

describe('auth: the per-account ceiling across clients', () => {
  // Three failures per (account, client), seven attempts per account from all clients: the
  // ceiling counts every attempt, so signedInUser's own login is one of them.
  const limits = { loginFailuresPerAccount: { max: 3, windowSeconds: 900 }, loginAttemptsPerAccount: { max: 7, windowSeconds: 900 }, loginPerIp: { max: 30, windowSeconds: 600 } }
  let t: AuthTestApp
  beforeAll(async () => {
    t = await authApp({ rateLimits: limits })
  })
  afterAll(() => t.close())
  const login = (email: string, password: string, ip: string) => call(t, 'POST', '/auth/login', { body: { email, password }, ip })

  it('past the ceiling, only a client with no failures may try, once; the owner\'s right password gets through', async () => {
    const user = await signedInUser(t, 'ceiling')
    // Two guessers use up their own attempts and, together, the account's ceiling.
    for (const ip of ['10.70.0.1', '10.70.0.2']) for (let i = 0; i < 3; i++) expect((await login(user.email, 'wrong password here', ip)).status).toBe(401)
    expect((await login(user.email, user.password, '10.70.0.1')).status).toBe(429)
    // A third guesser gets one try (it cannot be told from the owner), then is locked out.
    expect((await login(user.email, 'wrong password here', '10.70.0.3')).status).toBe(401)
    expect((await login(user.email, user.password, '10.70.0.3')).status).toBe(429)
    // The owner, from a client with no failures, signs in; that client stays clean.
    expect((await login(user.email, user.password, '10.70.0.9')).status).toBe(200)
    expect((await login(user.email, user.password, '10.70.0.9')).status).toBe(200)
  })

  it('parallel guesses from many clients past the ceiling get at most one try each', async () => {
    const user = await signedInUser(t, 'ceilingparallel')
    for (let i = 0; i < 3; i++) await login(user.email, 'wrong password here', '10.71.0.1')
    for (let i = 0; i < 3; i++) await login(user.email, 'wrong password here', '10.71.0.2')
    // Five clients, four guesses each, all in flight at once.
    const clients = ['10.71.1.1', '10.71.1.2', '10.71.1.3', '10.71.1.4', '10.71.1.5']
    const answers = await Promise.all(clients.flatMap((ip) => Array.from({ length: 4 }, (_, i) => login(user.email, `wrong guess ${i}`, ip).then((a) => ({ ip, status: a.status })))))
    for (const ip of clients) expect(answers.filter((a) => a.ip === ip && a.status === 401), ip).toHaveLength(1)
    expect(answers.filter((a) => a.status === 429)).toHaveLength(15)
  })
})

describe('auth: rate limit tables under a flood of keys', () => {
  const CAPACITY = 40
  const lockout = { loginFailuresPerAccount: { max: 3, windowSeconds: 900 }, loginPerIp: { max: 30, windowSeconds: 600 } }
  let t: AuthTestApp
  beforeAll(async () => {
    t = await authApp({ rateLimits: lockout, rateLimitCapacity: CAPACITY })
  })
  afterAll(() => t.close())

  const login = (email: string, password: string, ip: string) => call(t, 'POST', '/auth/login', { body: { email, password }, ip })

  it('a flood of client addresses does not push out an account\'s lockout', async () => {
    const user = await signedInUser(t, 'floodvictim')
    for (let i = 0; i < 3; i++) expect((await login(user.email, 'wrong password here', '10.60.0.1')).status).toBe(401)
    expect((await login(user.email, user.password, '10.60.0.1')).status).toBe(429)
    // Five times the capacity in distinct IPv4 addresses, each a new window of its own.
    for (let i = 0; i < CAPACITY * 5; i++) {
      await t.app.inject({ method: 'POST', url: '/auth/verify-email', payload: { token: 'x' }, remoteAddress: `10.61.${i >> 8}.${i & 255}` })
    }
    expect((await login(user.email, user.password, '10.60.0.1')).status).toBe(429)
  })

  it('a full account table refuses new accounts rather than forget a live lockout; expired windows make room', async () => {
    const user = await signedInUser(t, 'tablevictim')
    for (let i = 0; i < 3; i++) await login(user.email, 'wrong password here', '10.62.0.1')
    // Made-up accounts, one per address, until the table is full.
    const made = []
    for (let i = 0; i < CAPACITY; i++) made.push((await login(`made-up-${i}@example.com`, 'wrong password here', `10.63.0.${i}`)).status)
    // The table held this test's victim and at most the previous test's: the rest fit, then no more.
    expect(made.slice(0, CAPACITY - 2).every((s) => s === 401)).toBe(true)
    expect(made.at(-1)).toBe(429)
    expect((await login(user.email, user.password, '10.62.0.1')).status).toBe(429)
    // Once the windows have ended there is room again, and the lockout is over.
    t.advance(900 * 1000)
    expect((await login('made-up-late@example.com', 'wrong password here', '10.64.0.1')).status).toBe(401)
    expect((await login(user.email, user.password, '10.62.0.1')).status).toBe(200)
  })
})

describe('auth: odd requests get a coded answer, never a 500 or a framework error', () => {
  let t: AuthTestApp
  beforeAll(async () => {
    t = await authApp()
  })
  afterAll(() => t.close())

  const json = { 'content-type': 'application/json' }
  const service = { authorization: `Bearer ${SERVICE_KEY}` }
  const scenarios: [string, { method: 'GET' | 'POST'; url: string; payload?: string; headers?: Record<string, string> }, number, string, RegExp?][] = [
    ['a login body that is not JSON', { method: 'POST', url: '/auth/login', payload: '{"email":', headers: json }, 400, 'KL_API_BAD_REQUEST'],
    ['a form posted to a JSON endpoint', { method: 'POST', url: '/auth/login', payload: 'email=a%40b.co&password=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 400, 'KL_API_BAD_REQUEST'],
    ['a JSON array for a login', { method: 'POST', url: '/auth/login', payload: '[]', headers: json }, 400, 'KL_API_VALIDATION'],
    ['an email longer than any address', { method: 'POST', url: '/auth/login', payload: JSON.stringify({ email: `${'a'.repeat(400)}@example.com`, password: 'x' }), headers: json }, 400, 'KL_API_VALIDATION'],
    ['a sign-up password with an unpaired surrogate', { method: 'POST', url: '/auth/signup', payload: JSON.stringify({ email: 'lone@example.com', password: 'correct horse \ud800 battery', displayName: 'Lone' }), headers: json }, 400, 'KL_AUTH_WEAK_PASSWORD', /unpaired surrogate/],
    ['a session cookie that is not a token', { method: 'GET', url: '/auth/session', headers: { cookie: 'koya_session=%%%"' } }, 401, 'KL_AUTH_REQUIRED'],
    ['a path that is not valid percent-encoding', { method: 'GET', url: '/auth/oauth/%E0%A4%A' }, 400, 'KL_API_BAD_REQUEST', /not a valid url/],
    ['an OAuth callback with its code twice', { method: 'GET', url: '/auth/oauth/github/callback?code=a&code=b&state=s' }, 400, 'KL_API_VALIDATION'],
    ['an audit filter the endpoint does not have, named as a query parameter', { method: 'GET', url: '/admin/audit?bogus=1', headers: service }, 400, 'KL_API_VALIDATION', /The querystring is invalid: \(querystring\) must NOT have additional properties \("bogus"\)/],
    ['an audit time that is not one', { method: 'GET', url: '/admin/audit?from=yesterday', headers: service }, 400, 'KL_API_BAD_REQUEST'],
  ]
  for (const [name, request, status, code, message] of scenarios) {
    it(`${name}: ${status} ${code}`, async () => {
      const response = await t.app.inject(request)
      expect(response.statusCode).toBe(status)
      const body = JSON.parse(response.body) as Record<string, unknown>
      expect(body.code).toBe(code)
      expect(Object.keys(body).sort()).toEqual(['code', 'hint', 'message'])
      if (message) expect(body.message).toMatch(message)
    })
  }
})

describe('auth: secrets stay secret', () => {
  it('no password or session token in the database file, its WAL, or the logs', async () => {
    const t = await authApp()
    try {
      const user = await signedInUser(t, 'secret', 'my very secret passphrase')
      await call(t, 'GET', '/auth/session', { token: user.token })
      await call(t, 'GET', '/auth/session', { cookie: user.token })
      await call(t, 'POST', '/auth/login', { body: { email: user.email, password: 'a wrong secret passphrase' } })
      const changed = await call(t, 'POST', '/auth/password/change', { token: user.token, body: { currentPassword: 'my very secret passphrase', newPassword: 'my changed secret passphrase' } })
      await call(t, 'POST', '/auth/password/forgot', { body: { email: user.email } })
      const resetToken = lastEmail(t, 'reset-password', user.email)!.token
      await call(t, 'POST', '/auth/password/reset', { body: { token: resetToken, password: 'my reset secret passphrase' } })
      await call(t, 'GET', `/auth/verify-email?token=${resetToken}`)
      // An OAuth callback's code and state are credentials too (a code is exchanged for tokens).
      await call(t, 'GET', '/auth/oauth/github/callback?code=oauth-code-secret-1&state=oauth-state-secret-1')
      const secrets = ['my very secret passphrase', 'my changed secret passphrase', 'my reset secret passphrase', 'a wrong secret passphrase', user.token, changed.body.session.token]

      const bytes = [t.file, `${t.file}-wal`].filter(existsSync).map((f) => readFileSync(f).toString('latin1')).join('')
      expect(bytes.length).toBeGreaterThan(0)
      expect(bytes).toContain('$argon2id$') // the hashes are there, the secrets are not
      for (const secret of secrets) expect(bytes).not.toContain(secret)

      const logs = t.logs.join('')
      expect(logs).toContain('/auth/session') // requests are logged
      expect(logs).toContain('/auth/verify-email?token=[redacted]')
      expect(logs).toContain('code=[redacted]&state=[redacted]')
      for (const secret of [...secrets, resetToken, 'oauth-code-secret-1', 'oauth-state-secret-1']) expect(logs).not.toContain(secret)
    } finally {
      await t.close()
    }
  })
})

describe('auth: password hashes follow the current parameters', () => {
  let t: AuthTestApp
  beforeAll(async () => {
    t = await authApp()
  })
  afterAll(() => t.close())

  it('a login with a hash made with weaker parameters stores a fresh one', async () => {
    const user = await signedInUser(t, 'legacy')
    const weak = await hash(user.password.normalize('NFKC'), { memoryCost: 8192, timeCost: 1 })
    t.db.prepare('UPDATE "_koya_credentials" SET "passwordHash" = ? WHERE "userId" = ?').run(weak, user.id)
    const login = await call(t, 'POST', '/auth/login', { body: { email: user.email, password: user.password } })
    expect(login.status).toBe(200)
    const stored = (t.db.prepare('SELECT "passwordHash" FROM "_koya_credentials" WHERE "userId" = ?').get(user.id) as { passwordHash: string }).passwordHash
    expect(stored).not.toBe(weak)
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect((await call(t, 'POST', '/auth/login', { body: { email: user.email, password: user.password } })).status).toBe(200)
  })
})
