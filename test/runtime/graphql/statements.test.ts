import { afterAll, beforeAll, expect, it } from 'vitest'
import { statementsOf } from '../../../engine/runtime/data/statement-cache.ts'
import { createWorld, type World } from './world.ts'

/**
 * A selection set is one read plan: 50 tasks with their project and comments cost one SQL
 * statement per root field, not one per parent row (no resolver below the root reads).
 */

let w: World
beforeAll(async () => {
  w = await createWorld()
  const tasks = Array.from({ length: 50 }, (_, i) => ({ projectId: w.id('P1'), title: `Task ${i}`, createdBy: w.id('editor') }))
  const created = await w.rest('system', 'POST', '/api/tasks?select=id', { body: tasks, headers: { prefer: 'return=representation' } })
  expect(created.status).toBe(201)
  const comments = (created.body as { id: string }[]).flatMap((t) => [1, 2].map((n) => ({ taskId: t.id, authorId: w.id('editor'), body: `Comment ${n}` })))
  expect((await w.rest('system', 'POST', '/api/comments', { body: comments })).status).toBe(201)
})
afterAll(async () => {
  await w?.close()
})

/**
 * Statements the data layer ran while `run` did (the session lookup of auth included: measured
 * apart). The server's background work (the queue's and cron's polls) runs statements on the same
 * connection now and then: the fewest over a few runs is the request's own count.
 */
async function statementsDuring(run: () => Promise<unknown>): Promise<number> {
  const statements = statementsOf(w.t.db)
  let fewest = Infinity
  for (let i = 0; i < 5; i++) {
    const before = statements.executed
    await run()
    fewest = Math.min(fewest, statements.executed - before)
  }
  return fewest
}

it('a list of 50 tasks with project and comments runs one statement per root field', async () => {
  const query = '{ tasks(limit: 50, orderBy: [{ title: ASC }]) { id title project { id name } comments(limit: 10) { id body } } }'
  // The session check of a signed-in request, measured on an empty selection of the same caller.
  const baseline = await statementsDuring(() => w.graphql('editor', '{ __typename }'))
  let reply: Awaited<ReturnType<World['graphql']>> | undefined
  const used = await statementsDuring(async () => {
    reply = await w.graphql('editor', query)
  })
  expect(reply!.body.data.tasks).toHaveLength(50)
  expect(reply!.body.data.tasks.filter((t: { comments: unknown[] }) => t.comments.length === 2).length).toBe(50)
  expect(used - baseline).toBe(1)
})

it('two root fields run two statements, whatever the rows', async () => {
  const baseline = await statementsDuring(() => w.graphql('editor', '{ __typename }'))
  const used = await statementsDuring(() => w.graphql('editor', '{ tasks(limit: 50) { id comments { id task { id } } } projects { id tasks(limit: 5) { id } } }'))
  expect(used - baseline).toBe(2)
})

it('REST costs the same for the same read', async () => {
  const baseline = await statementsDuring(() => w.graphql('editor', '{ __typename }'))
  const used = await statementsDuring(() => w.rest('editor', 'GET', '/api/tasks?select=id,title,project(id,name),comments(id,body)&limit=50&comments.limit=10'))
  expect(used).toBe(baseline + 1)
})
