import Ajv from 'ajv'
import Ajv2020 from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { describe, expect, it } from 'vitest'
import { insertSchema, rowSchema, updateSchema, type JsonSchema } from '../../engine/codegen/json-schema/column-schemas.ts'
import { column, generatedProjects, table, tableOf } from './projects.ts'

/** An independent validator, strict, for the dialect the schemas declare (2020-12). */
const ajv = addFormats(new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true }))
/** The draft-07 Ajv Fastify validates routes with: the same schemas must compile there too. */
const fastifyAjv = addFormats(new Ajv({ strict: true, allowUnionTypes: true, coerceTypes: false }))

const projects = generatedProjects()
const reference = projects.find((p) => p.name === 'the reference app')!
const tasks = tableOf(reference, 'tasks')
const specimens = tableOf(projects.find((p) => p.name === 'fixture all-column-types')!, 'specimens')
const posts = tableOf(projects.find((p) => p.name === 'fixture blog')!, 'posts')

const UUID = '0196a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b'
const NOW = '2026-03-01T12:00:00.000Z'

function validator(schema: JsonSchema): (value: unknown) => boolean {
  const validate = ajv.compile(schema)
  return (value) => validate(value) as boolean
}

const taskRow = {
  id: UUID,
  projectId: UUID,
  title: 'Ship it',
  body: null,
  status: 'todo',
  priority: 1,
  dueAt: null,
  assigneeId: null,
  createdBy: UUID,
  createdAt: NOW,
  updatedAt: NOW,
}
const taskInsert = { projectId: UUID, title: 'Ship it', createdBy: UUID }

describe('column schemas: every table of every project compiles', () => {
  for (const project of projects) {
    it(`${project.name}: row, insert and update schemas compile under Ajv 2020-12 and Fastify's draft-07 Ajv`, () => {
      for (const t of project.ir.tables) {
        for (const schema of [rowSchema(t), insertSchema(t), updateSchema(t)]) {
          expect(() => ajv.compile(schema)).not.toThrow()
          expect(() => fastifyAjv.compile(schema)).not.toThrow()
        }
      }
    })
  }
})

describe('row schema (tasks)', () => {
  const valid = validator(rowSchema(tasks))

  it('requires every column, in declaration order, and marks the system columns readOnly', () => {
    const schema = rowSchema(tasks) as { properties: Record<string, JsonSchema>; required: string[] }
    expect(schema.required).toEqual(tasks.columns.map((c) => c.name))
    expect(Object.keys(schema.properties)).toEqual(tasks.columns.map((c) => c.name))
    const readOnly = Object.entries(schema.properties).filter(([, s]) => s.readOnly === true).map(([name]) => name)
    expect(readOnly).toEqual(['id', 'createdAt', 'updatedAt'])
  })

  it('accepts a complete row, with null in the nullable columns', () => {
    expect(valid(taskRow)).toBe(true)
    expect(valid({ ...taskRow, body: 'Details', dueAt: NOW, assigneeId: UUID })).toBe(true)
  })

  it('allows embedded relations next to the columns (select=*,project(name))', () => {
    expect(valid({ ...taskRow, project: { name: 'Launch' } })).toBe(true)
  })

  it.each([
    ['a missing column', { ...taskRow, updatedAt: undefined }],
    ['null in a NOT NULL column', { ...taskRow, title: null }],
    ['a status outside the enum', { ...taskRow, status: 'blocked' }],
    ['a malformed id', { ...taskRow, id: 'task-1' }],
    ['a timestamp that is not ISO 8601', { ...taskRow, createdAt: 'yesterday' }],
  ])('refuses %s', (_, row) => {
    expect(valid(JSON.parse(JSON.stringify(row)))).toBe(false)
  })
})

describe('insert schema (tasks)', () => {
  const schema = insertSchema(tasks) as { properties: Record<string, JsonSchema>; required: string[]; additionalProperties: boolean }
  const valid = validator(schema)

  it('takes the writable columns; requires the NOT NULL ones without a default; refuses others', () => {
    expect(Object.keys(schema.properties)).toEqual(['projectId', 'title', 'body', 'status', 'priority', 'dueAt', 'assigneeId', 'createdBy'])
    expect(schema.required).toEqual(['projectId', 'title', 'createdBy'])
    expect(schema.additionalProperties).toBe(false)
    expect(schema.properties.status).toMatchObject({ enum: ['todo', 'doing', 'done'], default: 'todo' })
  })

  it('accepts the required columns alone, and every optional column too', () => {
    expect(valid(taskInsert)).toBe(true)
    expect(valid({ ...taskInsert, body: null, status: 'doing', priority: 3, dueAt: NOW, assigneeId: null })).toBe(true)
  })

  it.each([
    ['a title of the wrong type', { ...taskInsert, title: 42 }],
    ['an empty title (min 1)', { ...taskInsert, title: '' }],
    ['a title longer than 200 characters', { ...taskInsert, title: 'x'.repeat(201) }],
    ['a status outside the enum', { ...taskInsert, status: 'blocked' }],
    ['a priority above its maximum', { ...taskInsert, priority: 4 }],
    ['a priority that is not an integer', { ...taskInsert, priority: 1.5 }],
    ['an unknown field', { ...taskInsert, colour: 'red' }],
    ['a system-set column (id)', { ...taskInsert, id: UUID }],
    ['a system-set column (createdAt)', { ...taskInsert, createdAt: NOW }],
    ['a missing required column', { projectId: UUID, createdBy: UUID }],
    ['null in a NOT NULL column with a default', { ...taskInsert, status: null }],
    ['a reference that is not a UUID', { ...taskInsert, projectId: 'p1' }],
    ['a due date that is not a date-time', { ...taskInsert, dueAt: '2026-03-01' }],
  ])('refuses %s', (_, value) => {
    expect(valid(value)).toBe(false)
  })
})

describe('update schema (tasks)', () => {
  const schema = updateSchema(tasks)
  const valid = validator(schema)

  it('requires nothing, refuses unknown fields, needs at least one column, and carries no defaults', () => {
    expect(schema.required).toBeUndefined()
    expect(schema).toMatchObject({ additionalProperties: false, minProperties: 1 })
    expect(JSON.stringify(schema)).not.toContain('"default"')
  })

  it('accepts any non-empty subset of the writable columns', () => {
    expect(valid({ status: 'done' })).toBe(true)
    expect(valid({ body: null, assigneeId: UUID })).toBe(true)
  })

  it.each([
    ['an empty body', {}],
    ['a system-set column', { updatedAt: NOW }],
    ['an unknown field', { done: true }],
    ['a status outside the enum', { status: 'blocked' }],
    ['null in a NOT NULL column', { title: null }],
  ])('refuses %s', (_, value) => {
    expect(valid(value)).toBe(false)
  })
})

describe('column types (all-column-types)', () => {
  const props = (rowSchema(specimens) as { properties: Record<string, JsonSchema> }).properties
  const { description: _, ...idSchema } = props.id!

  it.each([
    ['label', { type: 'string', minLength: 1, maxLength: 50 }],
    ['note', { type: ['string', 'null'] }],
    ['code', { type: 'string' }],
    ['count', { type: 'integer', minimum: 0 }],
    ['ratio', { type: ['number', 'null'], minimum: 0, maximum: 1 }],
    ['active', { type: 'boolean' }],
    ['seenAt', { type: 'string', format: 'date-time' }],
    ['bornOn', { type: ['string', 'null'], format: 'date' }],
    ['payload', {}],
    ['size', { type: 'string', enum: ['s', 'm', 'l'] }],
  ])('%s maps to %j', (name, expected) => {
    const { description: __, ...schema } = props[name]!
    expect(schema).toEqual(expected)
  })

  it('id and ref are UUIDs; createdAt and updatedAt are read-only date-times', () => {
    expect(idSchema).toEqual({ type: 'string', format: 'uuid', readOnly: true })
    expect(props.ownerId).toMatchObject({ type: 'string', format: 'uuid' })
    expect(props.createdAt).toMatchObject({ type: 'string', format: 'date-time', readOnly: true })
    expect(props.updatedAt).toMatchObject({ type: 'string', format: 'date-time', readOnly: true })
  })

  it('a json column without a schema holds any JSON value', () => {
    const valid = validator(insertSchema(specimens))
    const base = { label: 'A', ownerId: UUID }
    for (const payload of [{ version: 2 }, [1, 'two'], 'text', 3, true, null]) expect(valid({ ...base, payload })).toBe(true)
  })

  it('a date column takes a calendar date, not a date-time', () => {
    const valid = validator(insertSchema(specimens))
    expect(valid({ label: 'A', ownerId: UUID, bornOn: '2026-02-28' })).toBe(true)
    expect(valid({ label: 'A', ownerId: UUID, bornOn: NOW })).toBe(false)
    expect(valid({ label: 'A', ownerId: UUID, bornOn: '2026-02-30' })).toBe(false)
  })
})

describe('nullable enum and json schema columns', () => {
  it('a nullable json column with a schema checks its value and accepts null (blog posts.meta)', () => {
    const meta = (insertSchema(posts) as { properties: Record<string, JsonSchema> }).properties.meta!
    expect(meta.anyOf).toEqual([posts.columns.find((c) => c.name === 'meta')!.jsonSchema, { type: 'null' }])
    const valid = validator(insertSchema(posts))
    const base = { authorId: UUID, slug: 'hello', title: 'Hello', body: 'World' }
    expect(valid({ ...base, meta: { readingMinutes: 3, tags: ['intro'] } })).toBe(true)
    expect(valid({ ...base, meta: null })).toBe(true)
    expect(valid({ ...base, meta: { readingMinutes: 'three', tags: [] } })).toBe(false)
    expect(valid({ ...base, meta: { readingMinutes: 3 } })).toBe(false)
  })

  it('a nullable enum is anyOf the values and null', () => {
    const t = table('tickets', 'Ticket', [column('level', 'enum', { values: ['low', 'high'], nullable: true }), column('score', 'int', { nullable: true, min: 1, max: 5 })])
    const props = (updateSchema(t) as { properties: Record<string, JsonSchema> }).properties
    expect(props.level).toEqual({ anyOf: [{ type: 'string', enum: ['low', 'high'] }, { type: 'null' }] })
    expect(props.score).toEqual({ type: ['integer', 'null'], minimum: 1, maximum: 5 })
    const valid = validator(updateSchema(t))
    expect(valid({ level: null })).toBe(true)
    expect(valid({ level: 'high', score: null })).toBe(true)
    expect(valid({ level: 'medium' })).toBe(false)
    expect(valid({ score: 6 })).toBe(false)
  })

  it('a nullable json column whose schema is a const still accepts null', () => {
    const t = table('flags', 'Flag', [column('marker', 'json', { nullable: true, jsonSchema: { type: 'string', const: 'on' } })])
    const valid = validator(insertSchema(t))
    expect(valid({ marker: null })).toBe(true)
    expect(valid({ marker: 'on' })).toBe(true)
    expect(valid({ marker: 'off' })).toBe(false)
  })

  it('is deterministic: the same table gives the same schema text', () => {
    expect(JSON.stringify(insertSchema(tasks))).toBe(JSON.stringify(insertSchema(structuredClone(tasks))))
  })
})
