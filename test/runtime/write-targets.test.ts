import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authApp, call, signedInUser, SERVICE_KEY, type AuthTestApp } from '../helpers/auth-app.ts'

/**
 * Issue 10, item 1: a write by filter or by id targets only rows the caller may read and that
 * pass the operation's policy, and the caller's filters are evaluated only on those rows. The
 * reference app's admin may delete any task by the delete rule (`auth.roles.includes('admin')`)
 * but reads no task of a workspace they do not belong to: every answer about such a task must
 * be the answer about a task that does not exist.
 */

let t: AuthTestApp
let adminToken: string
let viewerToken: string
let visible: string // TA: in WA, where the admin is a member
let visible2: string // TA2: in WA too
let secret: string // TB: in WB, where the admin is nobody; its body holds the secret
let decoy: string // TB2: in WB too
let ownComment: string // on TA, by the admin
let strandedComment: string // on TB, by the admin: the update rule (`authorId`) admits it, the read rule does not

const asService = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = {}) =>
  call(t, method, url, { token: SERVICE_KEY, ...(body === undefined ? {} : { body }), headers })
const asAdmin = (method: 'PATCH' | 'DELETE', url: string, options: { body?: unknown; headers?: Record<string, string> } = {}) => call(t, method, url, { ...options, token: adminToken })

async function seed(table: string, row: Record<string, unknown>): Promise<string> {
  const reply = await asService('POST', `/api/${table}?select=id`, row, { prefer: 'return=representation' })
  if (reply.status !== 201) throw new Error(`seeding ${table}: ${reply.raw}`)
  return reply.body[0].id as string
}

beforeAll(async () => {
  t = await authApp()
  const admin = await signedInUser(t, 'admin')
  const owner = await signedInUser(t, 'owner')
  const viewer = await signedInUser(t, 'viewer')
  adminToken = admin.token
  viewerToken = viewer.token
  expect((await asService('POST', `/admin/users/${admin.id}/roles`, { role: 'admin' })).status).toBeLessThan(300)
  const wa = await seed('workspaces', { name: 'A', slug: 'space-a', ownerId: admin.id })
  const wb = await seed('workspaces', { name: 'B', slug: 'space-b', ownerId: owner.id })
  await seed('members', { workspaceId: wa, userId: admin.id, role: 'owner' })
  await seed('members', { workspaceId: wb, userId: owner.id, role: 'owner' })
  await seed('members', { workspaceId: wb, userId: viewer.id, role: 'viewer' })
  const pa = await seed('projects', { workspaceId: wa, name: 'PA' })
  const pb = await seed('projects', { workspaceId: wb, name: 'PB' })
  visible = await seed('tasks', { projectId: pa, title: 'TA', createdBy: admin.id })
  visible2 = await seed('tasks', { projectId: pa, title: 'TA2', createdBy: admin.id })
  secret = await seed('tasks', { projectId: pb, title: 'TB', body: 'hunter2 is the password', createdBy: owner.id })
  decoy = await seed('tasks', { projectId: pb, title: 'TB2', createdBy: owner.id })
  ownComment = await seed('comments', { taskId: visible, authorId: admin.id, body: 'mine' })
  strandedComment = await seed('comments', { taskId: secret, authorId: admin.id, body: 'left behind' })
})

afterAll(async () => {
  await t?.close()
})

const exists = async (id: string) => (await asService('GET', `/api/tasks/${id}?select=id`)).status === 200
const SINGLE = { accept: 'application/vnd.pgrst.object+json' }

describe('a write by filter sees only the rows its caller may read', () => {
  it('a single-object DELETE does not count unreadable rows (no 406 oracle on their contents)', async () => {
    const right = await asAdmin('DELETE', `/api/tasks?or=(id.eq.${visible},id.eq.${visible2},id.eq.${decoy},and(id.eq.${secret},body.like.hunter2*))`, { headers: SINGLE })
    const wrong = await asAdmin('DELETE', `/api/tasks?or=(id.eq.${visible},id.eq.${visible2},id.eq.${decoy},and(id.eq.${secret},body.like.nothing*))`, { headers: SINGLE })
    // Both see the two rows of WA, so both answers are the same 406, and neither tells TB's body.
    expect(right.status).toBe(406)
    expect(right.raw).toBe(wrong.raw)
    expect(right.body.message).toMatch(/has 2 rows/)
    expect(await exists(visible)).toBe(true)
    expect(await exists(secret)).toBe(true)
    expect(await exists(decoy)).toBe(true)
  })

  it('count=exact on a bulk PATCH counts only readable rows', async () => {
    const reply = await asAdmin('PATCH', `/api/tasks?id=in.(${visible},${secret},${decoy})`, { body: { priority: 2 }, headers: { prefer: 'count=exact' } })
    expect(reply.status, reply.raw).toBe(204)
    expect(reply.headers['content-range']).toBe('*/1')
    const hidden = await asService('GET', `/api/tasks/${secret}?select=priority`)
    expect(hidden.body.priority).toBe(1)
  })

  it('a bulk DELETE removes no row the caller cannot read, even where the delete rule admits it', async () => {
    const reply = await asAdmin('DELETE', `/api/tasks?id=in.(${secret},${decoy})&body=like.hunter2*`, { headers: { prefer: 'count=exact' } })
    expect(reply.status, reply.raw).toBe(204)
    expect(reply.headers['content-range']).toBe('*/0')
    expect(await exists(secret)).toBe(true)
  })

  it('a bulk PATCH neither changes nor counts rows the update rule admits but the read rule hides', async () => {
    // Today's answer was 403 "refused 1 of the 2 changed rows": a count of a hidden row.
    const reply = await asAdmin('PATCH', `/api/comments?id=in.(${ownComment},${strandedComment})`, { body: { body: 'edited' }, headers: { prefer: 'count=exact' } })
    expect(reply.status, reply.raw).toBe(204)
    expect(reply.headers['content-range']).toBe('*/1')
    expect((await asService('GET', `/api/comments/${strandedComment}?select=body`)).body.body).toBe('left behind')
    expect((await asService('GET', `/api/comments/${ownComment}?select=body`)).body.body).toBe('edited')
  })
})

describe('a write by id of a row the caller cannot read is a missing row', () => {
  it('DELETE by id: 404 like a missing row, and the row stays', async () => {
    const reply = await asAdmin('DELETE', `/api/tasks/${secret}`)
    const missing = await asAdmin('DELETE', '/api/tasks/00000000-0000-7000-8000-000000000000')
    expect(reply.status).toBe(404)
    expect(reply.raw).toBe(missing.raw)
    expect(await exists(secret)).toBe(true)
  })

  it('PATCH by id: 404 like a missing row, not a 403 naming the update check', async () => {
    const reply = await asAdmin('PATCH', `/api/comments/${strandedComment}`, { body: { body: 'x' } })
    const missing = await asAdmin('PATCH', '/api/comments/00000000-0000-7000-8000-000000000000', { body: { body: 'x' } })
    expect(reply.status).toBe(404)
    expect(reply.raw).toBe(missing.raw)
  })

  it('a readable row the rule refuses is still a 403', async () => {
    // A viewer of WB reads TB, and the delete rule admits only WB's owner (or an admin).
    const reply = await call(t, 'DELETE', `/api/tasks/${secret}`, { token: viewerToken })
    expect(reply.status).toBe(403)
    expect(reply.body.code).toBe('KL_API_POLICY_DENIED')
    expect(await exists(secret)).toBe(true)
    // Issue 10 item 8: the body names the rule and the table; its source location goes to the logs only.
    expect(reply.body.message).toBe('The delete policy of "tasks" does not allow you to delete that row. Nothing was written.')
    expect(reply.raw).not.toContain('policies/')
    expect(t.logs.some((line) => line.includes('policies/tasks.ts:') && line.includes('request refused'))).toBe(true)
  })
})
