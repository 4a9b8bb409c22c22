/**
 * graphql-request, unmodified, against a real KoyaLite server on an ephemeral port, with a real
 * session: reads with variables and fragments, a mutation, and a refusal as the client sees it.
 */
import { ClientError, GraphQLClient, gql } from 'graphql-request'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createWorld, type World } from './world.ts'

let w: World
let url: string
beforeAll(async () => {
  w = await createWorld()
  await w.t.app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = w.t.app.server.address() as { port: number }
  url = `http://127.0.0.1:${port}/graphql`
})
afterAll(async () => {
  await w?.close()
})

const client = (persona: 'editor' | 'viewer') => new GraphQLClient(url, { headers: { authorization: `Bearer ${w.token(persona)}` } })

it('reads tasks with their project through variables and a fragment', async () => {
  const query = gql`
    query Open($status: [TaskStatus!]) {
      tasks(where: { status: { in: $status } }, orderBy: [{ title: ASC }]) { ...Fields project { name } }
      tasksCount
    }
    fragment Fields on Task { title status }
  `
  const data = await client('editor').request<{ tasks: unknown[]; tasksCount: number }>(query, { status: ['todo', 'doing'] })
  expect(data).toEqual({ tasks: [{ title: 'Write copy', status: 'todo', project: { name: 'Launch' } }], tasksCount: 1 })
})

it('creates and deletes a comment as the editor', async () => {
  const created = await client('editor').request<{ createComment: { id: string; body: string; author: { displayName: string } } }>(
    gql`mutation($data: CommentInsert!) { createComment(data: $data) { id body author { displayName } } }`,
    { data: { taskId: w.id('T1'), authorId: w.id('editor'), body: 'From graphql-request' } },
  )
  expect(created.createComment).toMatchObject({ body: 'From graphql-request', author: { displayName: 'editor' } })
  const deleted = await client('editor').request<{ deleteCommentById: { id: string } | null }>(gql`mutation($id: ID!) { deleteCommentById(id: $id) { id } }`, { id: created.createComment.id })
  expect(deleted.deleteCommentById).toEqual({ id: created.createComment.id })
})

it('a refused write reaches the client as a ClientError with the KL_* code', async () => {
  const attempt = client('viewer').request(gql`mutation($id: ID!) { updateTaskById(id: $id, patch: { title: "Hijacked" }) { id } }`, { id: w.id('T1') })
  await expect(attempt).rejects.toBeInstanceOf(ClientError)
  const error = (await attempt.catch((e: unknown) => e)) as ClientError
  expect(error.response.errors?.[0]?.extensions?.code).toBe('KL_API_POLICY_DENIED')
})
