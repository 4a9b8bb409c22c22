import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call } from '../../helpers/auth-app.ts'
import { asSystem, Client, createTask, realtimeApp, seed, settle, type RealtimeTestApp } from './realtime-helpers.ts'

let t: RealtimeTestApp
let s: Awaited<ReturnType<typeof seed>>
beforeAll(async () => {
  t = await realtimeApp()
  s = await seed(t)
})
afterAll(() => t.close())

describe('realtime subscriptions over WebSocket, per persona', () => {
  it('a member sees the changes of their workspace\'s tasks in REST\'s shape; another workspace\'s member and a stranger see none of them', async () => {
    const ada = await Client.open(t, s.ada.token)
    const bob = await Client.open(t, s.bob.token)
    const cy = await Client.open(t, s.cy.token)
    const anonymous = await Client.open(t)
    for (const c of [ada, bob, cy, anonymous]) expect((await c.subscribe('tasks', 'tasks')).type).toBe('subscribed')

    const task = await createTask(t, s.p1.id, s.ada.id, 'Ship it')
    await asSystem(t, 'PATCH', `/api/tasks/${task.id}`, { status: 'doing' })
    await createTask(t, s.p2.id, s.bob.id, 'Bob only')
    await settle()

    const created = await ada.next((m) => m.type === 'change' && m.event === 'create')
    const rest = await call(t, 'GET', `/api/tasks/${task.id}`, { token: s.ada.token })
    expect(created).toMatchObject({ id: 'tasks', table: 'tasks', rowId: task.id, row: { ...rest.body, status: 'todo', updatedAt: expect.any(String) } })
    expect(Object.keys(created.row).sort()).toEqual(Object.keys(rest.body).sort())
    const updated = await ada.next((m) => m.type === 'change' && m.event === 'update')
    expect(updated.row).toEqual(rest.body)
    expect(updated.seq).toBeGreaterThan(created.seq)
    expect(ada.changes('tasks').map((m) => m.row.title)).toEqual(['Ship it', 'Ship it'])

    await bob.next((m) => m.type === 'change' && m.row?.title === 'Bob only')
    expect(bob.changes('tasks').map((m) => m.row.title)).toEqual(['Bob only'])
    expect(cy.changes('tasks')).toEqual([])
    expect(anonymous.changes('tasks')).toEqual([])
    for (const c of [ada, bob, cy, anonymous]) c.close()
  })

  it('filters with the REST grammar and by event kind; a delete reaches those who could read the row, with its last contents', async () => {
    const ada = await Client.open(t, s.ada.token)
    expect(await ada.subscribe('urgent', 'tasks', { filter: 'priority=gte.3', events: ['create', 'delete'] })).toMatchObject({ type: 'subscribed' })
    await ada.subscribe('all', 'tasks', { events: ['delete'] })
    const bob = await Client.open(t, s.bob.token)
    await bob.subscribe('all', 'tasks')
    const low = await createTask(t, s.p1.id, s.ada.id, 'Low', { priority: 0 })
    const high = await createTask(t, s.p1.id, s.ada.id, 'High', { priority: 3 })
    await asSystem(t, 'DELETE', `/api/tasks/${high.id}`)
    await asSystem(t, 'DELETE', `/api/tasks/${low.id}`)
    await settle()
    await ada.next((m) => m.id === 'all' && m.rowId === low.id)
    expect(ada.changes('urgent').map((m) => [m.event, m.rowId])).toEqual([['create', high.id], ['delete', high.id]])
    expect(ada.changes('urgent')[1].row).toMatchObject({ id: high.id, title: 'High', priority: 3 })
    expect(ada.changes('all').map((m) => [m.event, m.rowId])).toEqual([['delete', high.id], ['delete', low.id]])
    expect(bob.changes('all')).toEqual([])
    ada.close()
    bob.close()
  })

  it('sends the rows a subscription admits now with { initial: true }', async () => {
    const ada = await Client.open(t, s.ada.token)
    const cy = await Client.open(t, s.cy.token)
    const task = await createTask(t, s.p1.id, s.ada.id, 'Initial row')
    const answer = await ada.subscribe('i', 'tasks', { initial: true, filter: `id=eq.${task.id}` })
    expect(answer.rows).toEqual([(await call(t, 'GET', `/api/tasks/${task.id}`, { token: s.ada.token })).body])
    expect((await cy.subscribe('i', 'tasks', { initial: true })).rows).toEqual([])
    ada.close()
    cy.close()
  })

  it('a row moving out of a member\'s view is a leave without its contents, and an enter with them for the one it moves to', async () => {
    const ada = await Client.open(t, s.ada.token)
    const bob = await Client.open(t, s.bob.token)
    const task = await createTask(t, s.p1.id, s.ada.id, 'Moving')
    await settle()
    await ada.subscribe('m', 'tasks')
    await bob.subscribe('m', 'tasks')
    await asSystem(t, 'PATCH', `/api/tasks/${task.id}`, { projectId: s.p2.id, title: 'Moved (secret to ada)' })
    const leave = await ada.next((m) => m.id === 'm' && m.type === 'change')
    expect(leave).toEqual({ type: 'change', id: 'm', seq: expect.any(Number), event: 'leave', table: 'tasks', rowId: task.id })
    const enter = await bob.next((m) => m.id === 'm' && m.type === 'change')
    expect(enter).toMatchObject({ event: 'enter', rowId: task.id, row: { title: 'Moved (secret to ada)', projectId: s.p2.id } })
    ada.close()
    bob.close()
  })

  it('a membership granted or removed moves the workspace\'s tasks into or out of the view, without reconnecting', async () => {
    const a = await createTask(t, s.p1.id, s.ada.id, 'Visible once cy joins')
    const cy = await Client.open(t, s.cy.token)
    await cy.subscribe('m', 'tasks')
    const [membership] = await asSystem(t, 'POST', '/api/members', { workspaceId: s.w1.id, userId: s.cy.id, role: 'viewer' })
    const enter = await cy.next((m) => m.type === 'change' && m.rowId === a.id)
    expect(enter).toMatchObject({ event: 'enter', row: { title: 'Visible once cy joins' } })
    const entered = cy.changes('m').filter((m) => m.event === 'enter').length
    expect(entered).toBe((await call(t, 'GET', '/api/tasks?select=id', { token: s.cy.token })).body.length)
    await asSystem(t, 'DELETE', `/api/members/${membership.id}`)
    const leave = await cy.next((m) => m.type === 'change' && m.event === 'leave' && m.rowId === a.id)
    expect(leave.row).toBeUndefined()
    await createTask(t, s.p1.id, s.ada.id, 'After cy left')
    await settle()
    expect(cy.changes('m').filter((m) => m.event !== 'enter' && m.event !== 'leave')).toEqual([])
    cy.close()
  })

  it('a role granted or revoked applies on the next event: the admin-only rows of users enter and leave', async () => {
    const cy = await Client.open(t, s.cy.token)
    await cy.subscribe('u', 'users')
    const admin = await call(t, 'POST', `/admin/users/${s.cy.id}/roles`, { token: 'test-service-key-0123456789', body: { role: 'admin' } })
    expect(admin.status).toBe(200)
    const enter = await cy.next((m) => m.type === 'change' && m.event === 'enter' && m.rowId === s.ada.id)
    expect(enter.row).toMatchObject({ id: s.ada.id, email: s.ada.email })
    await call(t, 'DELETE', `/admin/users/${s.cy.id}/roles/admin`, { token: 'test-service-key-0123456789' })
    await cy.next((m) => m.type === 'change' && m.event === 'leave' && m.rowId === s.ada.id)
    // cy still sees themself.
    expect(cy.changes('u').filter((m) => m.rowId === s.cy.id)).toEqual([])
    cy.close()
  })

  it('logout closes the subscription with a coded reason', async () => {
    const ada = await Client.open(t, (await call(t, 'POST', '/auth/login', { body: { email: s.ada.email, password: s.ada.password } })).body.session.token)
    const token = ada.ws.protocol // unused; the token is in the header
    void token
    await ada.subscribe('x', 'tasks')
    // Log out that very session.
    const session = (await call(t, 'POST', '/auth/login', { body: { email: s.ada.email, password: s.ada.password } })).body.session.token
    const other = await Client.open(t, session)
    await other.subscribe('x', 'tasks')
    expect((await call(t, 'POST', '/auth/logout', { token: session })).status).toBe(204)
    expect(await other.waitClosed()).toEqual({ code: 4001, reason: 'KL_API_REALTIME_SESSION_ENDED' })
    // The other session of the same user is untouched.
    await createTask(t, s.p1.id, s.ada.id, 'still delivered')
    await ada.next((m) => m.type === 'change' && m.row?.title === 'still delivered')
    ada.close()
  })

  it('refuses a bearer token that is no session before the upgrade, and a cookie from a foreign page', async () => {
    await expect(Client.open(t, 'not-a-session')).rejects.toThrow('401')
    await expect(Client.open(t, undefined, { cookie: `koya_session=${s.ada.token}`, origin: 'https://evil.example' })).rejects.toThrow('403')
    const own = await Client.open(t, undefined, { cookie: `koya_session=${s.ada.token}`, origin: 'https://tasks.example.com' })
    own.close()
  })

  it('answers malformed messages and unknown tables with coded errors, and keeps the connection', async () => {
    const ada = await Client.open(t, s.ada.token)
    ada.ws.send('not json')
    expect(await ada.next((m) => m.type === 'error')).toMatchObject({ code: 'KL_API_REALTIME_BAD_MESSAGE' })
    expect(await ada.subscribe('x', 'nope')).toMatchObject({ type: 'error', id: 'x' })
    expect(await ada.subscribe('y', 'tasks', { filter: 'status=eq.nope' })).toMatchObject({ type: 'error', code: 'KL_API_BAD_FILTER' })
    expect(await ada.subscribe('z', 'tasks', { filter: 'order=title' })).toMatchObject({ type: 'error', code: 'KL_API_REALTIME_BAD_MESSAGE' })
    ada.send({ type: 'ping' })
    await ada.next((m) => m.type === 'pong')
    ada.close()
  })
})
