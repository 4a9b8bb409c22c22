import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { referenceApp, SERVICE_KEY, type TestApp } from '../helpers/app.ts'

/**
 * Issue 9: a reference to a missing row answered 422 for the service key and a bare 403 for a
 * user. The rule (decision 49): a write under policies is judged by its policy first, so a user
 * gets 403, and the refusal names the column whose row they cannot read, missing and hidden alike;
 * the service key, which no policy judges, gets 422 naming the column.
 */
let t: TestApp
let token: string
let hiddenProjectId: string
let ownProjectId: string
let userId: string
const MISSING = '01900000-0000-7000-8000-000000000000'

const call = (method: 'POST' | 'PATCH', url: string, auth: string, payload: object) =>
  t.app.inject({ method, url, headers: { authorization: `Bearer ${auth}`, prefer: 'return=representation' }, payload })

beforeAll(async () => {
  t = await referenceApp()
  const credentials = { email: 'ada@example.com', password: 'correct horse battery' }
  expect((await t.app.inject({ method: 'POST', url: '/auth/signup', payload: { ...credentials, displayName: 'Ada' } })).statusCode).toBe(202)
  const login = (await t.app.inject({ method: 'POST', url: '/auth/login', payload: credentials })).json()
  token = login.session.token
  userId = login.user.id
  const make = async (table: string, body: object) => (await call('POST', `/api/${table}`, SERVICE_KEY, body)).json()[0].id as string
  const stranger = await make('users', { email: 'bob@example.com', displayName: 'Bob' })
  hiddenProjectId = await make('projects', { workspaceId: await make('workspaces', { name: 'Bob', slug: 'bob', ownerId: stranger }), name: 'Hidden' })
  const mine = await make('workspaces', { name: 'Ada', slug: 'ada', ownerId: userId })
  await make('members', { workspaceId: mine, userId, role: 'owner' })
  ownProjectId = await make('projects', { workspaceId: mine, name: 'Mine' })
})
afterAll(() => t.close())

describe('a reference to a row that cannot be followed', () => {
  it('the service key gets 422 naming the column', async () => {
    const response = await call('POST', '/api/tasks', SERVICE_KEY, { projectId: MISSING, title: 'x', createdBy: userId })
    expect(response.statusCode).toBe(422)
    expect(response.json()).toMatchObject({ code: 'KL_API_CONSTRAINT', message: '"projectId" of "tasks" refers to a row of "projects" that does not exist.' })
  })

  it('a user gets the policy\'s 403 naming the column, the same for a missing parent and a hidden one', async () => {
    const missing = await call('POST', '/api/tasks', token, { projectId: MISSING, title: 'x', createdBy: userId })
    const hidden = await call('POST', '/api/tasks', token, { projectId: hiddenProjectId, title: 'x', createdBy: userId })
    expect(missing.statusCode).toBe(403)
    expect(missing.json()).toMatchObject({ code: 'KL_API_POLICY_DENIED', message: expect.stringContaining('"projectId" names no "projects" row you can read') })
    expect(hidden.body).toBe(missing.body)
  })

  it('an update that moves a row to a parent the user cannot read is refused the same way, naming the column', async () => {
    const created = await call('POST', '/api/tasks', token, { projectId: ownProjectId, title: 'mine', createdBy: userId })
    expect(created.statusCode, created.body).toBe(201)
    const moved = await call('PATCH', `/api/tasks/${created.json()[0].id}`, token, { projectId: MISSING })
    expect(moved.statusCode).toBe(403)
    expect(moved.json().message).toContain('"projectId" names no "projects" row you can read')
  })
})
