import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { referenceApp, SERVICE_KEY, type TestApp } from '../helpers/app.ts'
import { referenceIr, writeSdk } from './sdk-files.ts'
import { EMAILS } from '../helpers/emails.ts'

/**
 * koya.auth and koya.admin of the reference app's emitted SDK against a live server: sign-up,
 * the verification email from the outbox, login, the session, impersonation, role grants and the
 * audit log, logout. The SDK is imported as plain JavaScript, so it is typed loosely here;
 * types.test.ts checks its static types and auth-requests.test.ts the exact requests.
 */
interface ClientError extends Error {
  code: string
  status: number
}
interface Sdk {
  createClient(options: { url: string; token?: string }): any
  KoyaClientError: new (...args: never[]) => ClientError
}

let t: TestApp
let url: string
let sdk: Sdk
let files: ReturnType<typeof writeSdk>

async function failure(call: Promise<unknown>): Promise<ClientError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(sdk.KoyaClientError)
  return error as ClientError
}

/** The token in the newest email of this kind to this address, read from the outbox. */
function emailedToken(kind: string, to: string): string {
  const row = t.db.prepare(`SELECT "text" FROM ${EMAILS} WHERE "kind" = ? AND "to" = ? ORDER BY "id" DESC LIMIT 1`).get(kind, to) as { text: string } | undefined
  const token = /[?&]token=([^\s&"]+)/.exec(row?.text ?? '')?.[1]
  if (token === undefined) throw new Error(`no ${kind} email to ${to}`)
  return decodeURIComponent(token)
}

beforeAll(async () => {
  files = writeSdk(referenceIr(), 'auth-client')
  sdk = (await import(files.index)) as Sdk
  t = await referenceApp()
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await t?.close()
  files?.remove()
})

describe('SDK auth against the server', () => {
  const password = 'correct horse battery staple'

  it('signs up, verifies the email from the outbox, logs in, reads the session and logs out', async () => {
    const koya = sdk.createClient({ url })
    // The reference app verifies email: sign-up answers alike for any address and signs nobody in.
    const signedUp = await koya.auth.signup({ email: 'Ada@Example.com', password, displayName: 'Ada' })
    expect(signedUp).toEqual({ ok: true })
    expect(await koya.auth.getToken()).toBeNull()
    expect(await koya.auth.signup({ email: 'ada@example.com', password: 'someone else guessing', displayName: 'Eve' })).toEqual({ ok: true })

    const verified = await koya.auth.verifyEmail(emailedToken('verify-email', 'ada@example.com'))
    expect(verified.user).toMatchObject({ email: 'ada@example.com', emailVerified: true })

    const { user, session } = await koya.auth.login({ email: 'ada@example.com', password })
    expect(session.token).toEqual(expect.any(String))
    expect(await koya.auth.getToken()).toBe(session.token)
    const info = await koya.auth.session()
    expect(info).toMatchObject({ user: { id: user.id }, roles: [] })

    await koya.auth.logout()
    expect(await failure(koya.auth.session())).toMatchObject({ code: 'KL_AUTH_REQUIRED', status: 401 })
    // The server ended it too: the old token no longer works.
    expect(await failure(sdk.createClient({ url, token: session.token }).auth.session())).toMatchObject({ code: 'KL_AUTH_REQUIRED' })
  })

  it('a wrong password throws KL_AUTH_INVALID_CREDENTIALS', async () => {
    const koya = sdk.createClient({ url })
    expect(await failure(koya.auth.login({ email: 'ada@example.com', password: 'not the password' }))).toMatchObject({ code: 'KL_AUTH_INVALID_CREDENTIALS', status: 401 })
  })

  it('resets a forgotten password with the emailed token', async () => {
    const koya = sdk.createClient({ url })
    await koya.auth.forgotPassword('ada@example.com')
    await koya.auth.resetPassword({ token: emailedToken('reset-password', 'ada@example.com'), password: 'a brand new passphrase' })
    const { session } = await koya.auth.login({ email: 'ada@example.com', password: 'a brand new passphrase' })
    const renewed = await koya.auth.changePassword({ currentPassword: 'a brand new passphrase', newPassword: password })
    expect(renewed.token).not.toBe(session.token)
    expect(await koya.auth.getToken()).toBe(renewed.token)
    expect((await koya.auth.session()).user.email).toBe('ada@example.com')
    expect(await koya.auth.logoutAll()).toEqual({ revoked: 1 })
  })

  it('an admin grants roles, impersonates a user and reads it all in the audit log', async () => {
    const service = sdk.createClient({ url, token: SERVICE_KEY })
    const ada = (await sdk.createClient({ url }).auth.login({ email: 'ada@example.com', password })).user
    // Bob: a second user, created and verified by the system.
    const bob = await service.users.create({ email: 'bob@example.com', displayName: 'Bob', emailVerified: true })

    expect(await service.admin.grantRole(ada.id, 'admin')).toEqual({ userId: ada.id, roles: ['admin'] })
    expect(await service.admin.grantRole(bob.id, 'support')).toEqual({ userId: bob.id, roles: ['support'] })
    expect(await failure(service.admin.grantRole(bob.id, 'owner'))).toMatchObject({ code: 'KL_AUTH_UNKNOWN_ROLE', status: 400 })

    const admin = sdk.createClient({ url })
    const adminSession = (await admin.auth.login({ email: 'ada@example.com', password })).session
    const acting = await admin.auth.impersonate({ userId: bob.id, reason: 'ticket 42' })
    expect(acting).toMatchObject({ user: { id: bob.id }, impersonator: { id: ada.id } })
    expect(await admin.auth.session()).toMatchObject({ user: { id: bob.id }, roles: ['support'], impersonator: { id: ada.id, reason: 'ticket 42' } })
    await admin.auth.stopImpersonating()
    expect(await admin.auth.getToken()).toBe(adminSession.token)
    expect((await admin.auth.session()).user.id).toBe(ada.id)

    expect(await admin.admin.revokeRole(bob.id, 'support')).toEqual({ userId: bob.id, roles: [] })
    const entries = await admin.admin.audit({ subject: bob.id })
    expect(entries.map((e: { action: string }) => e.action)).toEqual(['role.revoke', 'impersonation.stop', 'impersonation.start', 'role.grant'])
    expect(entries[2]).toMatchObject({ actorId: ada.id, subjectId: bob.id, reason: 'ticket 42' })
    expect(await admin.admin.audit({ action: 'role.grant', limit: 1 })).toHaveLength(1)

    // The impersonation token ended with the impersonation.
    const asBob = sdk.createClient({ url, token: acting.session.token })
    expect((await failure(asBob.admin.audit())).status).toBe(401)
  })

  it('oauthUrl is the server\'s OAuth start for the provider', async () => {
    const koya = sdk.createClient({ url })
    const start = koya.auth.oauthUrl('github', { redirectTo: '/tasks' })
    expect(start).toBe(`${url}/auth/oauth/github?redirectTo=%2Ftasks`)
    // Without GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET in the environment the server says so.
    const answer = await fetch(start, { redirect: 'manual' })
    if (process.env.GITHUB_CLIENT_ID === undefined) expect(await answer.json()).toMatchObject({ code: 'KL_AUTH_OAUTH_NOT_CONFIGURED' })
    else expect(answer.status).toBe(302)
  })
})
