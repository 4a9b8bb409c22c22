import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWorld, errorCodesOf, type Persona, type World } from './world.ts'

/**
 * Scenarios over GraphQL on the reference app, as each persona with a real session sees them
 * (the world of world.ts). Each reads as a sentence; the answers are written out, not derived.
 */

let w: World
beforeAll(async () => {
  w = await createWorld()
})
afterAll(async () => {
  await w?.close()
})

const ids = (rows: readonly { id: string }[]) => rows.map((r) => w.label(r.id)).sort()

/** Which tasks, projects and comments each persona reads. */
const READS: Record<Persona, { tasks: string[]; projects: string[]; comments: string[] }> = {
  anonymous: { tasks: [], projects: [], comments: [] },
  outsider: { tasks: ['T2'], projects: ['P2'], comments: ['C2'] },
  viewer: { tasks: ['T1'], projects: ['P1'], comments: ['C1'] },
  editor: { tasks: ['T1'], projects: ['P1'], comments: ['C1'] },
  owner: { tasks: ['T1'], projects: ['P1'], comments: ['C1'] },
  admin: { tasks: [], projects: [], comments: [] },
}

describe.each(Object.keys(READS) as Persona[])('as %s', (persona) => {
  it('lists exactly the tasks the read policy admits, each with its project and comments', async () => {
    const reply = await w.graphql(persona, '{ tasks { id project { id } comments { id } } }')
    expect(reply.status, reply.raw).toBe(200)
    expect(ids(reply.body.data.tasks)).toEqual(READS[persona].tasks)
    for (const task of reply.body.data.tasks) {
      expect(READS[persona].projects).toContain(w.label(task.project.id))
      expect(ids(task.comments).every((c) => READS[persona].comments.includes(c))).toBe(true)
    }
  })

  it('counts what it lists', async () => {
    const reply = await w.graphql(persona, '{ tasksCount projectsCount commentsCount }')
    expect(reply.body.data).toEqual({ tasksCount: READS[persona].tasks.length, projectsCount: READS[persona].projects.length, commentsCount: READS[persona].comments.length })
  })

  it('reads T1 by id only when it may, and a hidden row is null exactly like a missing one', async () => {
    const reply = await w.graphql(persona, 'query($id: ID!) { tasksById(id: $id) { id title } missing: tasksById(id: "00000000-0000-7000-8000-000000000000") { id } }', { id: w.id('T1') })
    expect(reply.body.data.tasksById).toEqual(READS[persona].tasks.includes('T1') ? { id: w.id('T1'), title: 'Write copy' } : null)
    expect(reply.body.data.missing).toBeNull()
  })
})

describe('relations and filters', () => {
  it('the viewer sees a task through its project: a belongs-to filter on a readable parent', async () => {
    const reply = await w.graphql('viewer', '{ tasks(where: { project: { name: { eq: "Launch" } } }) { id } }')
    expect(ids(reply.body.data.tasks)).toEqual(['T1'])
  })

  it('a filter on a parent the caller cannot read matches nothing (the outsider and project P1)', async () => {
    const reply = await w.graphql('outsider', '{ tasks(where: { project: { name: { eq: "Launch" } } }) { id } }')
    expect(reply.body.data.tasks).toEqual([])
  })

  it('some / none over has-many comments, combined with or and not', async () => {
    const some = await w.graphql('owner', '{ tasks(where: { comments: { some: { body: { ilike: "draft%" } } } }) { id } }')
    expect(ids(some.body.data.tasks)).toEqual(['T1'])
    const none = await w.graphql('owner', '{ tasks(where: { or: [{ comments: { none: {} } }, { not: { title: { like: "Write%" } } }] }) { id } }')
    expect(none.body.data.tasks).toEqual([])
    const every = await w.graphql('owner', '{ projects(where: { tasks: { every: { status: { eq: todo } } } }) { id } }')
    expect(ids(every.body.data.projects)).toEqual(['P1'])
  })

  it('orders with nulls first or last, and pages', async () => {
    await w.rest('system', 'POST', '/api/tasks', { body: { projectId: w.id('P1'), title: 'No due date', createdBy: w.id('editor') } })
    const last = await w.graphql('owner', '{ tasks(orderBy: [{ dueAt: ASC_NULLS_LAST }]) { title } }')
    expect(last.body.data.tasks.map((t: { title: string }) => t.title)).toEqual(['Write copy', 'No due date'])
    const first = await w.graphql('owner', '{ tasks(orderBy: [{ dueAt: ASC_NULLS_FIRST }], limit: 1, offset: 1) { title } }')
    expect(first.body.data.tasks.map((t: { title: string }) => t.title)).toEqual(['Write copy'])
    await w.restore()
  })

  it('an order term naming two columns is refused with KL_API_BAD_ORDER', async () => {
    const reply = await w.graphql('owner', '{ tasks(orderBy: [{ dueAt: ASC, title: DESC }]) { id } }')
    expect(errorCodesOf(reply)).toEqual(['KL_API_BAD_ORDER'])
  })

  it('aliases of one relation with different arguments stay apart, and fragments merge', async () => {
    await w.rest('system', 'POST', '/api/comments', { body: { taskId: w.id('T1'), authorId: w.id('owner'), body: 'Second' } })
    const reply = await w.graphql(
      'owner',
      'query { tasks { ...T first: comments(orderBy: [{ body: ASC }], limit: 1) { body } all: comments(orderBy: [{ body: DESC }]) { text: body } } } fragment T on Task { id title }',
    )
    expect(reply.body.data.tasks).toEqual([{ id: w.id('T1'), title: 'Write copy', first: [{ body: 'Draft is up' }], all: [{ text: 'Second' }, { text: 'Draft is up' }] }])
    await w.restore()
  })

  it('a query run again (then compiled by graphql-jit) answers exactly the same, aliases, fragments and errors included', async () => {
    const query = 'query($id: ID!) { a: tasks(orderBy: [{ title: DESC }]) { ...F p: project { n: name } } t: tasksById(id: $id) { id } c: tasksCount(where: { status: { in: [todo] } }) bad: tasksById(id: $id) { comments(limit: 5000) { id } } } fragment F on Task { id title comments(limit: 1) { body meta } }'
    const answers = []
    for (let i = 0; i < 4; i++) answers.push((await w.graphql('owner', query, { id: w.id('T1') })).raw)
    const body = JSON.parse(answers[0]!)
    for (const answer of answers) expect(JSON.parse(answer)).toEqual(body)
    expect(body.data.bad).toBeNull()
    expect(body.data.a).toEqual([{ id: w.id('T1'), title: 'Write copy', comments: [{ body: 'Draft is up', meta: { pinned: true } }], p: { n: 'Launch' } }])
    expect(body.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['KL_API_LIMIT_EXCEEDED'])
  })

  it('enums, timestamps and JSON come back typed', async () => {
    const reply = await w.graphql('editor', '{ tasks { status dueAt comments { meta } } }')
    expect(reply.body.data.tasks).toEqual([{ status: 'todo', dueAt: '2026-12-24T09:30:00.000Z', comments: [{ meta: { pinned: true } }] }])
  })
})

describe('writes', () => {
  it('the editor creates a task and reads it back with its project in the same mutation', async () => {
    const reply = await w.graphql('editor', 'mutation($p: ID!, $me: ID!) { createTask(data: { projectId: $p, title: "Ship", createdBy: $me, dueAt: "2027-01-01T10:00:00+02:00" }) { title status dueAt project { name } } }', {
      p: w.id('P1'),
      me: w.id('editor'),
    })
    expect(reply.body.data.createTask).toEqual({ title: 'Ship', status: 'todo', dueAt: '2027-01-01T08:00:00.000Z', project: { name: 'Launch' } })
    await w.restore()
  })

  it('the viewer cannot create a task: KL_API_POLICY_DENIED, nothing written', async () => {
    const reply = await w.graphql('viewer', 'mutation($p: ID!, $me: ID!) { createTask(data: { projectId: $p, title: "Nope", createdBy: $me }) { id } }', { p: w.id('P1'), me: w.id('viewer') })
    expect(errorCodesOf(reply)).toEqual(['KL_API_POLICY_DENIED'])
    expect((await w.graphql('system', '{ tasksCount }')).body.data.tasksCount).toBe(2)
  })

  it('input the REST schemas refuse is refused the same way (a title over 200 characters)', async () => {
    const reply = await w.graphql('editor', 'mutation($id: ID!, $t: String) { updateTaskById(id: $id, patch: { title: $t }) { id } }', { id: w.id('T1'), t: 'x'.repeat(201) })
    expect(errorCodesOf(reply)).toEqual(['KL_API_VALIDATION'])
  })

  it('updateMany and deleteMany need a filter with a test', async () => {
    const update = await w.graphql('owner', 'mutation { updateTaskMany(where: {}, patch: { priority: 2 }) { affected } }')
    expect(errorCodesOf(update)).toEqual(['KL_API_FILTER_REQUIRED'])
    const remove = await w.graphql('owner', 'mutation { deleteTaskMany(where: { and: [] }) { affected } }')
    expect(errorCodesOf(remove)).toEqual(['KL_API_FILTER_REQUIRED'])
    expect((await w.graphql('system', '{ tasksCount }')).body.data.tasksCount).toBe(2)
  })

  it('updateMany touches only rows the caller may change, and says how many', async () => {
    const reply = await w.graphql('outsider', 'mutation { updateTaskMany(where: { priority: { eq: 1 } }, patch: { priority: 1 }) { affected rows { id } } }')
    expect(reply.body.data.updateTaskMany.affected).toBe(1)
    expect(ids(reply.body.data.updateTaskMany.rows)).toEqual(['T2'])
  })

  it('deleting a hidden row by id answers null, as for a missing one, and deletes nothing', async () => {
    const reply = await w.graphql('outsider', 'mutation($id: ID!) { deleteTaskById(id: $id) { id } }', { id: w.id('T1') })
    expect(reply.body.data.deleteTaskById).toBeNull()
    expect((await w.graphql('system', '{ tasksCount }')).body.data.tasksCount).toBe(2)
  })
})
