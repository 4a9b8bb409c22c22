import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Reply } from '../../helpers/auth-app.ts'
import { createWorld, PERSONAS, TABLES, TYPE, type Persona, type Table, type World } from './world.ts'

/**
 * REST and GraphQL give each persona the same answer on every operation: the same rows (every
 * column, embedded relations included) or the same refusal code. Each operation runs over REST,
 * the world is restored, then it runs over GraphQL.
 */

let w: World
beforeAll(async () => {
  // Every relation of a table with every column is more than the default cost budget allows.
  w = await createWorld({ model: (model) => ({ ...model, graphql: { maxCost: 10_000_000 } }) })
})
afterAll(async () => {
  await w?.close()
})

/** What an operation answered: rows (normalized) or a refusal code. */
type Outcome = { rows: string[] } | { code: string }

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** Rows with known ids as labels, new ids as "new", and (for writes) timestamps left out: comparable across two runs. */
function normalize(rows: readonly unknown[], write: boolean): string[] {
  const scrub = (value: unknown): unknown => {
    if (typeof value === 'string') return UUID.test(value) ? (w.label(value) === value ? 'new' : w.label(value)) : value
    if (Array.isArray(value)) return value.map(scrub).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value)
          .filter(([key]) => !(write && (key === 'createdAt' || key === 'updatedAt')))
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([key, v]) => [key, scrub(v)]),
      )
    }
    return value
  }
  return rows.map((r) => JSON.stringify(scrub(r))).sort()
}

function restOutcome(reply: Reply, write: boolean): Outcome {
  if (reply.status === 404 && reply.body?.code === 'KL_API_NOT_FOUND') return { rows: [] }
  if (reply.status >= 400) return { code: String(reply.body?.code) }
  const body = reply.body
  return { rows: normalize(body === undefined ? [] : Array.isArray(body) ? body : [body], write) }
}

function graphqlOutcome(reply: Reply, field: string, write: boolean): Outcome {
  const errors = reply.body?.errors as { extensions: { code: string } }[] | undefined
  if (errors && errors.length > 0) return { code: errors[0]!.extensions.code }
  const value = reply.body.data[field]
  if (value === null) return { rows: [] }
  if (Array.isArray(value)) return { rows: normalize(value, write) }
  if (typeof value === 'object' && 'rows' in value) return { rows: normalize(value.rows, write) }
  return { rows: normalize([value], write) }
}

const columnsOf = (table: Table) => w.t.model.tables.find((x) => x.name === table)!.columns.map((c) => c.name)
const relationsOf = (table: Table) => w.t.model.tables.find((x) => x.name === table)!.relations
/** Every column, and every relation with every column (has-many ordered by id): over REST and as a GraphQL selection. */
const everything = (table: Table) => ({
  rest: `select=*,${relationsOf(table).map((r) => `${r.name}(*)`).join(',')}&${relationsOf(table).filter((r) => r.kind === 'hasMany').map((r) => `${r.name}.order=id`).join('&')}`,
  graphql: `{ ${columnsOf(table).join(' ')} ${relationsOf(table).map((r) => `${r.name}${r.kind === 'hasMany' ? '(orderBy: [{ id: ASC }])' : ''} { ${columnsOf(r.table as Table).join(' ')} }`).join(' ')} }`,
})
const allColumns = (table: Table) => `{ ${columnsOf(table).join(' ')} }`

const TARGET: Record<Table, string> = { users: 'editor', workspaces: 'W1', members: 'M1v', projects: 'P1', tasks: 'T1', comments: 'C1' }
const ELSEWHERE: Record<Table, string> = { users: 'outsider', workspaces: 'W2', members: 'M2', projects: 'P2', tasks: 'T2', comments: 'C2' }

function newRow(table: Table, persona: Persona, n: number): Record<string, unknown> {
  const self = w.userId(persona) ?? w.id('owner')
  const rows: Record<Table, Record<string, unknown>> = {
    users: { email: `gql-new-${n}@example.com`, displayName: 'New' },
    workspaces: { name: 'New space', slug: `gql-space-${persona}-${n}`, ownerId: self },
    members: { workspaceId: w.id('W1'), userId: w.id('bystander'), role: 'viewer' },
    projects: { workspaceId: w.id('W1'), name: `New project ${n}` },
    tasks: { projectId: w.id('P1'), title: `New task ${n}`, createdBy: self },
    comments: { taskId: w.id('T1'), authorId: self, body: `New comment ${n}` },
  }
  return rows[table]
}

/** Patches that leave the rows as they were (the world stays the same) but are real updates; `both`: W2's counterpart too. */
const SAME: Record<Table, { patch: Record<string, unknown>; both: boolean }> = {
  users: { patch: { displayName: 'editor' }, both: false },
  workspaces: { patch: { name: 'Studio' }, both: true },
  members: { patch: { role: 'viewer' }, both: false },
  projects: { patch: { archived: false }, both: true },
  tasks: { patch: { priority: 1 }, both: true },
  comments: { patch: { parentId: null }, both: true },
}

async function freshRow(table: Table): Promise<string | undefined> {
  if (table === 'users') return undefined
  const rows: Record<Exclude<Table, 'users'>, Record<string, unknown>> = {
    workspaces: { name: 'Doomed', slug: 'doomed', ownerId: w.id('owner') },
    members: { workspaceId: w.id('W1'), userId: w.id('bystander'), role: 'viewer' },
    projects: { workspaceId: w.id('W1'), name: 'Doomed' },
    tasks: { projectId: w.id('P1'), title: 'Doomed', createdBy: w.id('editor') },
    comments: { taskId: w.id('T1'), authorId: w.id('editor'), body: 'Doomed' },
  }
  const reply = await w.rest('system', 'POST', `/api/${table}?select=id`, { body: rows[table], headers: { prefer: 'return=representation' } })
  expect(reply.status).toBe(201)
  return reply.body[0].id as string
}

const RETURN = { prefer: 'return=representation' }
const gqlValue = (value: unknown): string => JSON.stringify(value).replace(/"([A-Za-z_][A-Za-z0-9_]*)":/g, '$1:')

interface Operation {
  readonly name: string
  readonly write: boolean
  rest(table: Table, persona: Persona): Promise<Reply>
  graphql(table: Table, persona: Persona): Promise<{ reply: Reply; field: string }>
}

const OPERATIONS: readonly Operation[] = [
  {
    name: 'list with every relation',
    write: false,
    rest: (table, p) => w.rest(p, 'GET', `/api/${table}?${everything(table).rest}&order=id`),
    graphql: async (table, p) => ({ reply: await w.graphql(p, `{ ${table}(orderBy: [{ id: ASC }]) ${everything(table).graphql} }`), field: table }),
  },
  {
    name: 'list by filter',
    write: false,
    rest: (table, p) => w.rest(p, 'GET', `/api/${table}?id=in.(${[...w.seeded(table)].join(',')})&order=id`),
    graphql: async (table, p) => ({ reply: await w.graphql(p, `query($ids: [ID!]) { ${table}(where: { id: { in: $ids } }, orderBy: [{ id: ASC }]) ${allColumns(table)} }`, { ids: [...w.seeded(table)] }), field: table }),
  },
  {
    name: 'get by id',
    write: false,
    rest: (table, p) => w.rest(p, 'GET', `/api/${table}/${w.id(TARGET[table])}?${everything(table).rest}`),
    graphql: async (table, p) => ({ reply: await w.graphql(p, `{ ${table}ById(id: "${w.id(TARGET[table])}") ${everything(table).graphql} }`), field: `${table}ById` }),
  },
  {
    name: 'create one',
    write: true,
    rest: (table, p) => w.rest(p, 'POST', `/api/${table}`, { body: newRow(table, p, 1), headers: RETURN }),
    graphql: async (table, p) => ({ reply: await w.graphql(p, `mutation($data: ${TYPE[table]}Insert!) { create${TYPE[table]}(data: $data) ${allColumns(table)} }`, { data: newRow(table, p, 1) }), field: `create${TYPE[table]}` }),
  },
  {
    name: 'create many',
    write: true,
    rest: (table, p) => w.rest(p, 'POST', `/api/${table}`, { body: [newRow(table, p, 2), newRow(table, p, 3)], headers: RETURN }),
    graphql: async (table, p) => ({
      reply: await w.graphql(p, `mutation($data: [${TYPE[table]}Insert!]!) { create${TYPE[table]}Many(data: $data) { affected rows ${allColumns(table)} } }`, { data: [newRow(table, p, 2), newRow(table, p, 3)] }),
      field: `create${TYPE[table]}Many`,
    }),
  },
  {
    name: 'update by id',
    write: true,
    rest: (table, p) => w.rest(p, 'PATCH', `/api/${table}/${w.id(TARGET[table])}`, { body: SAME[table].patch }),
    graphql: async (table, p) => ({
      reply: await w.graphql(p, `mutation($id: ID!, $patch: ${TYPE[table]}Patch!) { update${TYPE[table]}ById(id: $id, patch: $patch) ${allColumns(table)} }`, { id: w.id(TARGET[table]), patch: SAME[table].patch }),
      field: `update${TYPE[table]}ById`,
    }),
  },
  {
    name: 'update by filter',
    write: true,
    rest: (table, p) => {
      const ids = [w.id(TARGET[table]), ...(SAME[table].both ? [w.id(ELSEWHERE[table])] : [])]
      return w.rest(p, 'PATCH', `/api/${table}?id=in.(${ids.join(',')})`, { body: SAME[table].patch, headers: RETURN })
    },
    graphql: async (table, p) => {
      const ids = [w.id(TARGET[table]), ...(SAME[table].both ? [w.id(ELSEWHERE[table])] : [])]
      const query = `mutation($ids: [ID!], $patch: ${TYPE[table]}Patch!) { update${TYPE[table]}Many(where: { id: { in: $ids } }, patch: $patch) { affected rows ${allColumns(table)} } }`
      return { reply: await w.graphql(p, query, { ids, patch: SAME[table].patch }), field: `update${TYPE[table]}Many` }
    },
  },
  {
    name: 'delete by id',
    write: true,
    rest: async (table, p) => w.rest(p, 'DELETE', `/api/${table}/${(await freshRow(table)) ?? w.id(TARGET[table])}`, { headers: RETURN }),
    graphql: async (table, p) => ({ reply: await w.graphql(p, `mutation { delete${TYPE[table]}ById(id: "${(await freshRow(table)) ?? w.id(TARGET[table])}") ${allColumns(table)} }`), field: `delete${TYPE[table]}ById` }),
  },
  {
    name: 'delete by filter',
    write: true,
    rest: async (table, p) => {
      const ids = [(await freshRow(table)) ?? w.id(TARGET[table]), w.id(ELSEWHERE[table])]
      return w.rest(p, 'DELETE', `/api/${table}?id=in.(${p === 'outsider' || p === 'admin' ? ids[0] : ids.join(',')})`, { headers: RETURN })
    },
    graphql: async (table, p) => {
      const ids = [(await freshRow(table)) ?? w.id(TARGET[table]), w.id(ELSEWHERE[table])]
      const where = p === 'outsider' || p === 'admin' ? [ids[0]] : ids
      return { reply: await w.graphql(p, `mutation { delete${TYPE[table]}Many(where: { id: { in: ${gqlValue(where)} } }) { affected rows ${allColumns(table)} } }`), field: `delete${TYPE[table]}Many` }
    },
  },
]

describe.each(TABLES)('%s', (table) => {
  describe.each(PERSONAS)('as %s', (persona) => {
    it.each(OPERATIONS.map((op) => [op.name, op] as const))('%s: GraphQL answers what REST answers', async (_name, op) => {
      if (op.name === 'create many' && table === 'members') return // one user's two memberships in W1 break the unique index
      const rest = restOutcome(await op.rest(table, persona), op.write)
      if (op.write) await w.restore()
      const { reply, field } = await op.graphql(table, persona)
      const graphql = graphqlOutcome(reply, field, op.write)
      if (op.write) await w.restore()
      expect(graphql, reply.raw).toEqual(rest)
    })

    it('count: GraphQL counts what REST counts', async () => {
      const rest = await w.rest(persona, 'GET', `/api/${table}?select=id&limit=1`, { headers: { prefer: 'count=exact' } })
      const graphql = await w.graphql(persona, `{ ${table}Count }`)
      expect(String(rest.headers['content-range'])).toBe(`${rest.body.length === 0 ? '*' : '0-0'}/${graphql.body.data[`${table}Count`]}`)
    })
  })
})

describe('upsert', () => {
  it.each(PERSONAS)('as %s, an upsert meeting an existing membership answers as REST does', async (persona) => {
    const row = { workspaceId: w.id('W1'), userId: w.id('viewer'), role: 'viewer' }
    const rest = restOutcome(await w.rest(persona, 'POST', '/api/members?on_conflict=workspaceId,userId', { body: row, headers: { prefer: 'resolution=merge-duplicates,return=representation' } }), true)
    await w.restore()
    const reply = await w.graphql(persona, `mutation($row: MemberInsert!) { upsertMember(data: $row, onConflict: [workspaceId, userId]) ${allColumns('members')} }`, { row })
    await w.restore()
    expect(graphqlOutcome(reply, 'upsertMember', true), reply.raw).toEqual(rest)
  })
})
