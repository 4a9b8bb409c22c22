import { createHash } from 'node:crypto'
import { buildClientSchema, getIntrospectionQuery, printSchema, buildSchema } from 'graphql'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { printGraphqlSdl } from '../../../engine/ir/graphql/print-sdl.ts'
import { referenceApp } from '../../helpers/app.ts'
import { createWorld, errorCodesOf, type World } from './world.ts'

/** Abusive queries are refused before anything runs, every error is coded, introspection follows the settings. */

let w: World
beforeAll(async () => {
  w = await createWorld({ model: (model) => ({ ...model, graphql: { persistedQueries: true } }) })
})
afterAll(async () => {
  await w?.close()
})

const nest = (levels: number): string => (levels === 0 ? 'id' : `id project { id tasks(limit: 1) { ${nest(levels - 1)} } }`)

describe('bombs are refused before execution with their codes', () => {
  it('a query nested past the depth limit (10): KL_API_GRAPHQL_DEPTH, 400', async () => {
    const reply = await w.graphql('editor', `{ tasks(limit: 1) { ${nest(5)} } }`)
    expect(reply.status).toBe(400)
    expect(errorCodesOf(reply)).toContain('KL_API_GRAPHQL_DEPTH')
    expect(reply.body.data).toBeNull()
  })

  it('a query just within the depth limit runs', async () => {
    const reply = await w.graphql('editor', `{ tasks(limit: 1) { ${nest(4)} } }`)
    expect(reply.status, reply.raw).toBe(200)
  })

  it('an alias bomb: KL_API_GRAPHQL_ALIASES', async () => {
    const fields = Array.from({ length: 200 }, (_, i) => `a${i}: tasksCount`).join(' ')
    const reply = await w.graphql('editor', `{ ${fields} }`)
    expect(reply.status).toBe(400)
    expect(errorCodesOf(reply)).toEqual(['KL_API_GRAPHQL_ALIASES'])
  })

  it('a cost bomb (nested lists of 1000 rows): KL_API_GRAPHQL_COST, whatever the data', async () => {
    const reply = await w.graphql('editor', '{ projects(limit: 1000) { tasks(limit: 1000) { comments(limit: 1000) { id } } } }')
    expect(reply.status).toBe(400)
    expect(errorCodesOf(reply)).toEqual(['KL_API_GRAPHQL_COST'])
  })

  it('a limit given as a variable is costed at the largest page', async () => {
    const reply = await w.graphql('editor', 'query($n: Int) { projects(limit: $n) { tasks(limit: $n) { id } } }', { n: 1 })
    expect(errorCodesOf(reply)).toEqual(['KL_API_GRAPHQL_COST'])
  })

  it('a limit above the largest page: KL_API_LIMIT_EXCEEDED', async () => {
    const reply = await w.graphql('editor', 'query($n: Int) { tasks(limit: $n) { id } }', { n: 5000 })
    expect(errorCodesOf(reply)).toEqual(['KL_API_LIMIT_EXCEEDED'])
  })

  it('a batch of more than 10 queries: KL_API_GRAPHQL_BATCH; a batch of 2 runs', async () => {
    const batch = (n: number) => w.rest('editor', 'POST', '/graphql', { body: Array.from({ length: n }, () => ({ query: '{ tasksCount }' })) })
    const refused = await batch(11)
    expect(refused.status).toBe(400)
    expect(errorCodesOf(refused)).toEqual(['KL_API_GRAPHQL_BATCH'])
    const ran = await batch(2)
    expect(ran.status).toBe(200)
    expect(ran.body).toEqual([{ data: { tasksCount: 1 } }, { data: { tasksCount: 1 } }])
  })
})

describe('document size', () => {
  it('a document over 10,000 tokens is refused while parsing (KL_API_GRAPHQL_INVALID)', async () => {
    const reply = await w.graphql('editor', `{ tasks(limit: 1) { ${'id '.repeat(10_001)} } }`)
    expect(reply.status).toBe(400)
    expect(errorCodesOf(reply)).toEqual(['KL_API_GRAPHQL_INVALID'])
    expect(reply.body.errors[0].message).toMatch(/tokens/)
  })
})

describe('every error carries a KL_* code and no internals', () => {
  it('syntax and validation errors: KL_API_GRAPHQL_INVALID', async () => {
    expect(errorCodesOf(await w.graphql('editor', '{ tasks { id '))).toEqual(['KL_API_GRAPHQL_INVALID'])
    expect(errorCodesOf(await w.graphql('editor', '{ tasks { password } }'))).toEqual(['KL_API_GRAPHQL_INVALID'])
    expect(errorCodesOf(await w.graphql('editor', 'query($n: Int!) { tasks(limit: $n) { id } }', { n: 'many' }))).toEqual(['KL_API_GRAPHQL_INVALID'])
  })

  it('a database constraint refusal is coded and names no SQL', async () => {
    const reply = await w.graphql('system', 'mutation($w: ID!, $o: ID!) { createWorkspace(data: { name: "Dup", slug: "studio", ownerId: $o }) { id } }', { w: w.id('W1'), o: w.id('owner') })
    const [error] = reply.body.errors
    expect(error.extensions.code).toMatch(/^KL_API_/)
    expect(JSON.stringify(reply.body)).not.toMatch(/SQLITE|INSERT|UNIQUE constraint|at .*\.ts/)
  })
})

describe('introspection', () => {
  it('is on outside production, and the answer builds a client schema equal to the SDL', async () => {
    const reply = await w.graphql('anonymous', getIntrospectionQuery())
    expect(reply.status, reply.raw.slice(0, 300)).toBe(200)
    const client = buildClientSchema(reply.body.data)
    expect(printSchema(client)).toBe(printSchema(buildSchema(printGraphqlSdl(w.t.model))))
  })

  it('is off with NODE_ENV=production (KL_API_GRAPHQL_INTROSPECTION), and on again with graphql.introspection', async () => {
    const off = await createWorld({ env: { NODE_ENV: 'production' } })
    try {
      const reply = await off.graphql('editor', '{ __schema { types { name } } }')
      expect(reply.status).toBe(400)
      expect(errorCodesOf(reply)).toEqual(['KL_API_GRAPHQL_INTROSPECTION'])
      expect((await off.graphql('editor', '{ tasksCount }')).body.data.tasksCount).toBe(1)
    } finally {
      await off.close()
    }
    const on = await createWorld({ env: { NODE_ENV: 'production' }, model: (model) => ({ ...model, graphql: { introspection: true } }) })
    try {
      expect((await on.graphql('editor', '{ __type(name: "Task") { name } }')).body.data).toEqual({ __type: { name: 'Task' } })
    } finally {
      await on.close()
    }
  })
})

describe('persisted queries (graphql.persistedQueries)', () => {
  it('a hash alone is unknown until the query was sent once with it', async () => {
    const query = '{ tasksCount }'
    const sha256Hash = createHash('sha256').update(query).digest('hex')
    const extensions = { persistedQuery: { version: 1, sha256Hash } }
    const first = await w.rest('editor', 'POST', '/graphql', { body: { extensions } })
    expect(errorCodesOf(first)).toEqual(['KL_API_GRAPHQL_PERSISTED_QUERY'])
    expect(first.body.errors[0].message).toBe('PersistedQueryNotFound')
    expect((await w.rest('editor', 'POST', '/graphql', { body: { query, extensions } })).body.data).toEqual({ tasksCount: 1 })
    expect((await w.rest('editor', 'POST', '/graphql', { body: { extensions } })).body.data).toEqual({ tasksCount: 1 })
  })
})

describe('GraphiQL', () => {
  it('is served at /graphiql in dev only', async () => {
    const dev = await referenceApp(undefined, { dev: true })
    const prod = await referenceApp()
    try {
      expect((await dev.app.inject({ method: 'GET', url: '/graphiql' })).statusCode).toBe(200)
      expect((await prod.app.inject({ method: 'GET', url: '/graphiql' })).statusCode).toBe(404)
    } finally {
      await dev.close()
      await prod.close()
    }
  })
})

describe('fragment bombs', () => {
  it('fragments spreading fragments (10^8 fields once expanded) are refused for their cost without expanding them', async () => {
    const fragments = Array.from({ length: 8 }, (_, k) => `fragment F${k + 1} on Task { ${Array.from({ length: 10 }, () => `...F${k}`).join(' ')} }`)
    const query = `{ tasks(limit: 1) { ...F8 } } fragment F0 on Task { id } ${fragments.join(' ')}`
    const started = performance.now()
    const reply = await w.graphql('editor', query)
    expect(reply.status).toBe(400)
    expect(errorCodesOf(reply)).toContain('KL_API_GRAPHQL_COST')
    // A bound far above the real time (tens of ms), far below what an expansion would take.
    expect(performance.now() - started).toBeLessThan(5000)
  })
})
