import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compileDefinition } from '../../engine/compiler/index.ts'
import { defineConfig, t as col, table } from '../../engine/dsl/index.ts'
import { DEFAULT_JSON_MAX_DEPTH } from '../../engine/runtime/data/column-values.ts'
import { createDataLayer } from '../../engine/runtime/data/data-layer.ts'
import { KoyaError, KoyaErrorList } from '../../engine/shared/errors.ts'
import { referenceApp, SERVICE_KEY, type TestApp } from '../helpers/app.ts'

/**
 * Issue 10 item 2: a json value nested near SQLite's depth limit made every embedded read of its
 * parent answer 500. Stored values nest at most 64 levels (or the column's own maxDepth).
 */
let t: TestApp
let taskId: string
let authorId: string
const service = { authorization: `Bearer ${SERVICE_KEY}`, prefer: 'return=representation' }
const nested = (depth: number): unknown => {
  let value: unknown = 1
  for (let i = 0; i < depth; i++) value = [value]
  return value
}

beforeAll(async () => {
  t = await referenceApp()
  const post = async (table: string, body: object) => {
    const response = await t.app.inject({ method: 'POST', url: `/api/${table}`, headers: service, payload: body })
    expect(response.statusCode, response.body).toBe(201)
    return (response.json() as { id: string }[])[0]!.id
  }
  authorId = await post('users', { email: 'ada@example.com', displayName: 'Ada' })
  const workspaceId = await post('workspaces', { name: 'W', slug: 'w1', ownerId: authorId })
  const projectId = await post('projects', { workspaceId, name: 'P' })
  taskId = await post('tasks', { projectId, title: 'T', createdBy: authorId })
})
afterAll(() => t.close())

const comment = (meta: unknown) => t.app.inject({ method: 'POST', url: '/api/comments', headers: service, payload: { taskId, authorId, body: 'hi', meta } })

describe('json depth', () => {
  it(`a value nested ${DEFAULT_JSON_MAX_DEPTH} levels is stored; one more is refused with a coded 400 naming the column`, async () => {
    expect((await comment(nested(DEFAULT_JSON_MAX_DEPTH))).statusCode).toBe(201)
    const refused = await comment(nested(DEFAULT_JSON_MAX_DEPTH + 1))
    expect(refused.statusCode).toBe(400)
    expect(refused.json()).toMatchObject({ code: 'KL_API_VALIDATION', message: expect.stringContaining('"meta" nests arrays and objects more than 64 levels') })
  })

  it('the review\'s 997 levels are refused, and embedded reads of the parent keep answering for everyone', async () => {
    expect((await comment(nested(997))).statusCode).toBe(400)
    const read = await t.app.inject({ method: 'GET', url: '/api/tasks?select=*,comments(*)', headers: service })
    expect(read.statusCode).toBe(200)
    expect((read.json() as { comments: unknown[] }[])[0]!.comments.length).toBeGreaterThan(0)
  })

  it('a value stored before the check (990 levels, written around the API) never breaks an embedded read', async () => {
    const id = '01900000-0000-7000-8000-0000000009a0'
    const deep = JSON.stringify(nested(990))
    t.db.prepare('INSERT INTO "comments" ("id", "taskId", "authorId", "body", "meta") VALUES (?, ?, ?, ?, ?)').run(id, taskId, authorId, 'legacy', deep)
    const embedded = await t.app.inject({ method: 'GET', url: '/api/tasks?select=id,comments(id,meta)', headers: service })
    expect(embedded.statusCode, embedded.body.slice(0, 200)).toBe(200)
    const legacy = (embedded.json() as { comments: { id: string; meta: unknown }[] }[])[0]!.comments.find((c) => c.id === id)
    expect(legacy).toEqual({ id, meta: null }) // too deep to embed: null there
    const direct = await t.app.inject({ method: 'GET', url: `/api/comments/${id}?select=meta`, headers: service })
    expect(direct.statusCode).toBe(200)
    expect(JSON.stringify(direct.json().meta)).toBe(deep) // read on its own, it is all there
    t.db.prepare('DELETE FROM "comments" WHERE "id" = ?').run(id)
  })

  it('an in-process caller with a value 20,000 levels deep gets the coded refusal, not a stack overflow', () => {
    const data = createDataLayer(t.model, t.db)
    const insert = () => data.insert({ kind: 'system' }, { table: 'comments', rows: [{ taskId, authorId, body: 'deep', meta: nested(20_000) }] })
    expect(insert).toThrow(KoyaError)
    expect(insert).toThrow(/"meta" nests arrays and objects more than 64 levels/)
  })

  it('t.json(schema, { maxDepth }) sets the column\'s own limit, between 1 and 256', () => {
    const compile = (maxDepth: number) => compileDefinition(defineConfig({ name: 'depth', tables: { docs: table('docs', { tree: col.json(undefined, { maxDepth }) }) } }))
    expect(compile(128).tables[0]!.columns.find((c) => c.name === 'tree')).toMatchObject({ maxDepth: 128 })
    expect(() => compile(300)).toThrow(KoyaErrorList)
    try {
      compile(300)
    } catch (error) {
      expect((error as KoyaErrorList).errors.map((e: KoyaError) => e.code)).toEqual(['KL_DEF_INVALID'])
    }
  })
})
