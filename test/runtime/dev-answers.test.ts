import { afterEach, describe, expect, it } from 'vitest'
import { referenceApp, type TestApp } from '../helpers/app.ts'

/**
 * Issue 10 item 8: a refused write names its policy and table to every client; the policy's
 * source location (`policies/workspaces.ts:10:13`) only under `koyalite dev` (createServer's
 * `dev`), which `koyalite dev` sets and `koyalite start` does not.
 */
let t: TestApp | undefined
afterEach(async () => {
  await t?.close()
  t = undefined
})

async function refusedWrite(dev: boolean): Promise<{ status: number; body: { code: string; message: string } }> {
  t = await referenceApp(undefined, { dev })
  const app = t.app
  const credentials = { email: 'ada@example.com', password: 'correct horse battery', displayName: 'Ada' }
  expect((await app.inject({ method: 'POST', url: '/auth/signup', payload: credentials })).statusCode).toBe(202)
  const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { email: credentials.email, password: credentials.password } })
  const token = login.json().session.token as string
  // A workspace owned by someone else: the create policy (workspace.ownerId === auth.userId) refuses it.
  const response = await app.inject({
    method: 'POST',
    url: '/api/workspaces',
    headers: { authorization: `Bearer ${token}` },
    payload: { name: 'Not mine', slug: 'not-mine', ownerId: '01900000-0000-7000-8000-000000000000' },
  })
  return { status: response.statusCode, body: response.json() }
}

describe('development answers', () => {
  it('in production a refused write names the policy and table, not where it is written', async () => {
    const { status, body } = await refusedWrite(false)
    expect(status).toBe(403)
    expect(body.code).toBe('KL_API_POLICY_DENIED')
    expect(body.message).toContain('create policy of "workspaces"')
    expect(body.message).not.toMatch(/policies\/workspaces\.ts/)
  })

  it('under koyalite dev the same refusal names the policy\'s file:line:col', async () => {
    const { status, body } = await refusedWrite(true)
    expect(status).toBe(403)
    expect(body.message).toMatch(/create policy of "workspaces" \(policies\/workspaces\.ts:\d+:\d+\)/)
  })
})
