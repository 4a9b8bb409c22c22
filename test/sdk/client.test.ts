import { execFile } from 'node:child_process'
import type { AddressInfo } from 'node:net'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { referenceApp, SERVICE_KEY, type TestApp } from '../helpers/app.ts'
import { referenceIr, writeSdk } from './sdk-files.ts'

/**
 * The emitted SDK of the reference app against a live server on an ephemeral port: every method,
 * the query options, and the errors. The SDK's static types are checked in types.test.ts; here it
 * is imported as plain JavaScript, so it is typed loosely.
 */
type Row = Record<string, any>
interface Table {
  list(options?: object): Promise<Row[]>
  get(id: string, options?: object): Promise<Row>
  count(filter?: object): Promise<number>
  create(values: object, options?: object): Promise<any>
  update(id: string, patch: object, options?: object): Promise<Row>
  updateMany(where: object, patch: object, options?: object): Promise<Row[]>
  delete(id: string): Promise<void>
  deleteMany(where: object, options?: object): Promise<any>
}
type Client = Record<'users' | 'workspaces' | 'projects' | 'tasks' | 'comments' | 'members', Table>
interface ClientError extends Error {
  code: string
  status: number
  hint: string | undefined
}
interface Sdk {
  createClient(options: { url: string; token?: string; fetch?: unknown; headers?: Record<string, string> }): Client
  KoyaClientError: new (...args: never[]) => ClientError
}

let t: TestApp
let url: string
let sdk: Sdk
let koya: Client
let files: ReturnType<typeof writeSdk>
const ids = { ada: '', bob: '', ws: '', launch: '', later: '' }

/** The KoyaClientError a call rejects with. */
async function failure(call: Promise<unknown>): Promise<ClientError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(sdk.KoyaClientError)
  return error as ClientError
}

const titles = (rows: Row[]) => rows.map((r) => r.title as string)

beforeAll(async () => {
  files = writeSdk(referenceIr(), 'client')
  sdk = (await import(files.index)) as Sdk
  t = await referenceApp()
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
  koya = sdk.createClient({ url, token: SERVICE_KEY })
})
afterAll(async () => {
  await t?.close()
  files?.remove()
})

describe('SDK: create', () => {
  it('creates many rows in one call and returns them in order, with ids and defaults', async () => {
    const users = await koya.users.create([
      { email: 'ada@example.com', displayName: 'Ada' },
      { email: 'bob@example.com', displayName: 'Bob' },
    ])
    expect(users).toEqual([expect.objectContaining({ displayName: 'Ada', emailVerified: false }), expect.objectContaining({ displayName: 'Bob' })])
    ids.ada = users[0].id
    ids.bob = users[1].id
    expect(ids.ada).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/)
  })

  it('creates one row and returns it (not an array)', async () => {
    const ws = await koya.workspaces.create({ name: 'Acme', slug: 'acme', ownerId: ids.ada })
    expect(ws).toMatchObject({ name: 'Acme', slug: 'acme', ownerId: ids.ada })
    expect(ws.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T/)
    ids.ws = ws.id
    const [launch, later] = await koya.projects.create([
      { workspaceId: ids.ws, name: 'Launch' },
      { workspaceId: ids.ws, name: 'Later', archived: true },
    ])
    ids.launch = launch.id
    ids.later = later.id
    await koya.tasks.create([
      { projectId: ids.launch, createdBy: ids.ada, title: 'Write spec', status: 'done', priority: 2, dueAt: '2026-12-01T00:00:00.000Z' },
      { projectId: ids.launch, createdBy: ids.ada, title: 'Build it', status: 'doing', priority: 3, dueAt: '2026-12-10T00:00:00.000Z', assigneeId: ids.bob },
      { projectId: ids.launch, createdBy: ids.ada, title: 'Ship it', status: 'todo', priority: 1 },
      { projectId: ids.later, createdBy: ids.bob, title: 'Plan v2', status: 'todo', priority: 0, dueAt: '2027-03-01T00:00:00.000Z' },
    ])
    expect(await koya.tasks.count()).toBe(4)
  })

  it('creates with select and include: the row comes back in that shape', async () => {
    const comment = await koya.comments.create(
      { taskId: (await koya.tasks.list({ where: { title: 'Write spec' } }))[0]!.id, authorId: ids.bob, body: 'Looks good', meta: { mood: 'happy' } },
      { select: ['body', 'meta'], include: { author: { select: ['displayName'] } } },
    )
    expect(comment).toEqual({ body: 'Looks good', meta: { mood: 'happy' }, author: { displayName: 'Bob' } })
  })
})

describe('SDK: list', () => {
  it('filters with a plain value, in and lt, orders, and pages with limit and offset', async () => {
    const open = await koya.tasks.list({
      where: { status: { in: ['todo', 'doing'] }, dueAt: { lt: '2027-01-01T00:00:00.000Z' } },
      orderBy: { dueAt: 'asc' },
      limit: 20,
    })
    expect(titles(open)).toEqual(['Build it'])
    expect(titles(await koya.tasks.list({ where: { status: 'todo' }, orderBy: { title: 'asc' } }))).toEqual(['Plan v2', 'Ship it'])
    expect(titles(await koya.tasks.list({ orderBy: { priority: 'desc' }, limit: 2, offset: 1 }))).toEqual(['Write spec', 'Ship it'])
    expect(titles(await koya.tasks.list({ orderBy: [{ status: 'asc' }, { priority: 'desc' }] }))).toEqual(['Build it', 'Write spec', 'Ship it', 'Plan v2'])
  })

  it('orders nulls first or last on request', async () => {
    expect(titles(await koya.tasks.list({ orderBy: { dueAt: 'desc' } }))).toEqual(['Ship it', 'Plan v2', 'Build it', 'Write spec'])
    expect(titles(await koya.tasks.list({ orderBy: { dueAt: { direction: 'desc', nulls: 'last' } } }))).toEqual(['Plan v2', 'Build it', 'Write spec', 'Ship it'])
  })

  it('filters with null, neq, gte/lte together, like, ilike and is on booleans', async () => {
    expect(titles(await koya.tasks.list({ where: { dueAt: null } }))).toEqual(['Ship it'])
    expect(titles(await koya.tasks.list({ where: { dueAt: { neq: null }, priority: { gte: 2, lte: 3 } }, orderBy: { title: 'asc' } }))).toEqual(['Build it', 'Write spec'])
    expect(titles(await koya.tasks.list({ where: { title: { like: '*it' } }, orderBy: { title: 'asc' } }))).toEqual(['Build it', 'Ship it'])
    expect(titles(await koya.tasks.list({ where: { title: { like: '*IT' } } }))).toEqual([])
    expect(titles(await koya.tasks.list({ where: { title: { ilike: 'SHIP%' } } }))).toEqual(['Ship it'])
    expect((await koya.projects.list({ where: { archived: { is: true } } })).map((p) => p.name)).toEqual(['Later'])
    expect((await koya.projects.list({ where: { archived: false } })).map((p) => p.name)).toEqual(['Launch'])
  })

  it('combines or, and and not', async () => {
    const rows = await koya.tasks.list({ where: { or: [{ status: 'done' }, { priority: 1, title: { like: 'Ship*' } }] }, orderBy: { title: 'asc' } })
    expect(titles(rows)).toEqual(['Ship it', 'Write spec'])
    expect(titles(await koya.tasks.list({ where: { not: { status: 'todo' } }, orderBy: { title: 'asc' } }))).toEqual(['Build it', 'Write spec'])
    expect(titles(await koya.tasks.list({ where: { not: { status: 'todo', projectId: ids.launch } }, orderBy: { title: 'asc' } }))).toEqual(['Build it', 'Plan v2', 'Write spec'])
    const nested = await koya.tasks.list({ where: { and: [{ or: [{ priority: 0 }, { priority: 3 }] }, { or: [{ assigneeId: null }, { status: 'doing' }] }] }, orderBy: { title: 'asc' } })
    expect(titles(nested)).toEqual(['Build it', 'Plan v2'])
    expect(await koya.tasks.list({ where: { or: [] } })).toEqual([])
    expect(await koya.tasks.list({ where: { status: { in: [] } } })).toEqual([])
  })

  it('narrows the columns with select', async () => {
    expect(await koya.tasks.list({ select: ['title', 'priority'], where: { status: 'doing' } })).toEqual([{ title: 'Build it', priority: 3 }])
  })

  it('includes belongs-to rows (null for a null reference) and nested ones', async () => {
    const rows = await koya.tasks.list({
      select: ['title'],
      where: { projectId: ids.launch },
      orderBy: { title: 'asc' },
      include: { project: { select: ['name'], include: { workspace: { select: ['slug'] } } }, assignee: { select: ['displayName'] } },
    })
    expect(rows).toEqual([
      { title: 'Build it', project: { name: 'Launch', workspace: { slug: 'acme' } }, assignee: { displayName: 'Bob' } },
      { title: 'Ship it', project: { name: 'Launch', workspace: { slug: 'acme' } }, assignee: null },
      { title: 'Write spec', project: { name: 'Launch', workspace: { slug: 'acme' } }, assignee: null },
    ])
    const [full] = await koya.tasks.list({ where: { status: 'doing' }, include: { project: true } })
    expect(full!.project).toEqual(expect.objectContaining({ id: ids.launch, name: 'Launch', archived: false }))
    expect(full!.status).toBe('doing')
  })

  it('includes has-many rows, filtered, ordered and paged', async () => {
    const [launch] = await koya.projects.list({ where: { id: ids.launch }, select: ['name'], include: { tasks: { select: ['title'], where: { status: { neq: 'done' } }, orderBy: { title: 'desc' }, limit: 1 } } })
    expect(launch).toEqual({ name: 'Launch', tasks: [{ title: 'Ship it' }] })
    const [all] = await koya.projects.list({ where: { id: ids.launch }, select: ['name'], include: { tasks: { select: ['title'], orderBy: { title: 'asc' }, offset: 1, include: { comments: { select: ['body'] } } } } })
    expect(all).toEqual({ name: 'Launch', tasks: [{ title: 'Ship it', comments: [] }, { title: 'Write spec', comments: [{ body: 'Looks good' }] }] })
    const [bob] = await koya.users.list({ where: { id: ids.bob }, select: [], include: { assignedTasks: { select: ['title'] }, comments: { select: ['body'], where: { or: [{ body: { like: 'Looks*' } }, { body: 'x' }] } } } })
    expect(bob).toEqual({ assignedTasks: [{ title: 'Build it' }], comments: [{ body: 'Looks good' }] })
  })
})

describe('SDK: get and count', () => {
  it('gets one row by id, with select and include', async () => {
    const [task] = await koya.tasks.list({ where: { title: 'Build it' } })
    expect(await koya.tasks.get(task!.id)).toEqual(task)
    expect(await koya.tasks.get(task!.id, { select: ['title'], include: { assignee: { select: ['email'] } } })).toEqual({ title: 'Build it', assignee: { email: 'bob@example.com' } })
  })

  // A regression found by this suite: reads by id (and rows a write returns) once dropped the
  // filters and order of embedded relations along with the top-level ones.
  it('gets one row with a filtered and ordered has-many include', async () => {
    const launch = await koya.projects.get(ids.launch, { select: ['name'], include: { tasks: { select: ['title'], where: { status: { neq: 'done' } }, orderBy: { title: 'desc' } } } })
    expect(launch).toEqual({ name: 'Launch', tasks: [{ title: 'Ship it' }, { title: 'Build it' }] })
  })

  it('throws KL_API_NOT_FOUND (404) for a missing id', async () => {
    const error = await failure(koya.tasks.get('01900000-0000-7000-8000-000000000000'))
    expect(error).toMatchObject({ code: 'KL_API_NOT_FOUND', status: 404, name: 'KoyaClientError' })
    expect(error.message).toContain('tasks')
  })

  it('counts all rows, count({ where }) and count(where)', async () => {
    expect(await koya.tasks.count()).toBe(4)
    expect(await koya.tasks.count({ where: { status: 'todo' } })).toBe(2)
    expect(await koya.tasks.count({ status: 'todo', priority: { gt: 0 } })).toBe(1)
    expect(await koya.tasks.count({ or: [{ status: 'done' }, { status: 'doing' }] })).toBe(2)
    expect(await koya.comments.count({ where: { parentId: null } })).toBe(1)
  })
})

describe('SDK: update and delete', () => {
  it('updates one row by id and returns it; a missing id throws KL_API_NOT_FOUND', async () => {
    const [task] = await koya.tasks.list({ where: { title: 'Ship it' } })
    const updated = await koya.tasks.update(task!.id, { status: 'done' })
    expect(updated).toMatchObject({ id: task!.id, title: 'Ship it', status: 'done' })
    expect(updated.updatedAt >= task!.updatedAt).toBe(true)
    expect(await koya.tasks.update(task!.id, { status: 'todo' }, { select: ['status'], include: { project: { select: ['name'] } } })).toEqual({ status: 'todo', project: { name: 'Launch' } })
    expect(await failure(koya.tasks.update('01900000-0000-7000-8000-000000000000', { status: 'done' }))).toMatchObject({ code: 'KL_API_NOT_FOUND', status: 404 })
  })

  it('updates many rows by where and returns them; an empty where is refused', async () => {
    const rows = await koya.tasks.updateMany({ status: 'todo' }, { priority: 2 })
    expect(titles(rows).sort()).toEqual(['Plan v2', 'Ship it'])
    expect(rows.every((r) => r.priority === 2)).toBe(true)
    expect(await koya.tasks.updateMany({ title: 'nothing' }, { priority: 0 })).toEqual([])
    const refused = await failure(koya.tasks.updateMany({}, { priority: 0 }))
    expect(refused).toMatchObject({ code: 'KL_API_FILTER_REQUIRED', status: 400 })
    expect(await koya.tasks.count({ priority: 0 })).toBe(0) // nothing changed
  })

  it('deletes one row by id; deleting it again throws KL_API_NOT_FOUND', async () => {
    const temp = await koya.tasks.create({ projectId: ids.launch, createdBy: ids.ada, title: 'Temp' })
    expect(await koya.tasks.delete(temp.id)).toBeUndefined()
    expect(await failure(koya.tasks.delete(temp.id))).toMatchObject({ code: 'KL_API_NOT_FOUND', status: 404 })
  })

  it('deletes many rows by where: the count, or the rows with returning', async () => {
    await koya.tasks.create([1, 2, 3].map((n) => ({ projectId: ids.later, createdBy: ids.ada, title: `Scratch ${n}` })))
    expect(await koya.tasks.deleteMany({ title: { like: 'Scratch*' }, not: { title: 'Scratch 3' } })).toBe(2)
    expect(await koya.tasks.deleteMany({ title: 'Scratch 1' })).toBe(0)
    expect(await koya.tasks.deleteMany({ title: { like: 'Scratch*' } }, { returning: true, select: ['title'] })).toEqual([{ title: 'Scratch 3' }])
    expect(await failure(koya.tasks.deleteMany({}))).toMatchObject({ code: 'KL_API_FILTER_REQUIRED', status: 400 })
    expect(await koya.tasks.count()).toBe(4)
  })
})

describe('SDK: values that need quoting round-trip', () => {
  const tricky = ['a,b', '(x)', 'say "hi"', 'back\\slash', ' padded ', 'or=(x.eq.1)', 'ümlaut & 100%', '{1,2}']

  beforeAll(async () => {
    await koya.tasks.create(tricky.map((title) => ({ projectId: ids.later, createdBy: ids.ada, title, priority: 0 })))
  })

  it('in lists with commas, parentheses, quotes, backslashes and edge spaces', async () => {
    const rows = await koya.tasks.list({ where: { title: { in: tricky } }, select: ['title'] })
    expect(titles(rows).sort()).toEqual([...tricky].sort())
    for (const title of tricky) expect(titles(await koya.tasks.list({ where: { title: { in: [title, 'none'] } } }))).toEqual([title])
  })

  it('plain values and values inside or groups', async () => {
    for (const title of tricky) {
      expect(titles(await koya.tasks.list({ where: { title } }))).toEqual([title])
      expect(titles(await koya.tasks.list({ where: { or: [{ title }, { title: 'none' }] } }))).toEqual([title])
      expect(titles(await koya.tasks.list({ where: { not: { or: [{ title: { neq: title } }, { title: 'none' }] } } }))).toEqual([title])
    }
  })

  it('deletes them by an in list', async () => {
    expect(await koya.tasks.deleteMany({ title: { in: tricky } })).toBe(tricky.length)
  })
})

describe('SDK: errors', () => {
  it('reads through the policies without a token: an anonymous caller is in no workspace', async () => {
    expect(await sdk.createClient({ url }).tasks.list()).toEqual([])
  })

  it('throws KL_API_UNAUTHORIZED (401) without a token where a table has no policy for the operation', async () => {
    const anonymous = sdk.createClient({ url })
    const error = await failure(anonymous.users.create({ email: 'anonymous@example.com', displayName: 'Anonymous' }))
    expect(error).toMatchObject({ code: 'KL_API_UNAUTHORIZED', status: 401 })
    expect(error.message).not.toBe('')
  })

  it('throws KL_AUTH_REQUIRED (401) for a token that is no session', async () => {
    const error = await failure(sdk.createClient({ url, token: 'not-a-session' }).tasks.list())
    expect(error).toMatchObject({ code: 'KL_AUTH_REQUIRED', status: 401 })
  })

  it('throws KL_API_VALIDATION (400) with the message and hint from the server', async () => {
    const error = await failure(koya.tasks.create({ projectId: ids.launch, createdBy: ids.ada, title: 'x'.repeat(201) }))
    expect(error.code).toBe('KL_API_VALIDATION')
    expect(error.status).toBe(400)
    expect(error.message).toMatch(/title/)
    expect(error.hint).toEqual(expect.any(String))
    expect(error.hint!.length).toBeGreaterThan(0)
    const wrongEnum = await failure(koya.tasks.update(ids.launch, { status: 'late' }))
    expect(wrongEnum.code).toBe('KL_API_VALIDATION')
  })

  it('passes query errors through: an unknown column in where is KL_API_UNKNOWN_COLUMN', async () => {
    expect(await failure(koya.tasks.list({ where: { secret: 1 } }))).toMatchObject({ code: 'KL_API_UNKNOWN_COLUMN', status: 400 })
    expect(await failure(koya.tasks.list({ include: { owner: true } }))).toMatchObject({ code: 'KL_API_UNKNOWN_RELATION', status: 400 })
    expect(await failure(koya.tasks.list({ limit: 5000 }))).toMatchObject({ code: 'KL_API_LIMIT_EXCEEDED' })
  })

  it('throws KL_API_CONFLICT (409) on a unique column', async () => {
    expect(await failure(koya.workspaces.create({ name: 'Again', slug: 'acme', ownerId: ids.ada }))).toMatchObject({ code: 'KL_API_CONFLICT', status: 409 })
  })

  it('throws KL_CLIENT_NETWORK (status 0) when the server cannot be reached', async () => {
    const down = sdk.createClient({ url: 'http://127.0.0.1:9', token: SERVICE_KEY })
    const error = await failure(down.tasks.count())
    expect(error).toMatchObject({ code: 'KL_CLIENT_NETWORK', status: 0 })
    expect(error.message).toContain('http://127.0.0.1:9/api/tasks')
    expect(error.hint).toMatch(/url/)
  })
})

describe('SDK: runtimes', () => {
  it('runs under plain Node (type stripping, no bundler, no dependencies)', async () => {
    const script = files.write(
      'node-smoke.ts',
      [
        "import { createClient, KoyaClientError } from './sdk/index.ts'",
        'const koya = createClient({ url: process.argv[2]!, token: process.argv[3]! })',
        "const rows = await koya.tasks.list({ select: ['title'], where: { status: 'doing' }, include: { project: { select: ['name'] } } })",
        "const missing = await koya.tasks.get('nope').catch((e: unknown) => (e instanceof KoyaClientError ? e.code : 'other'))",
        'console.log(JSON.stringify({ rows, count: await koya.tasks.count(), missing }))',
        '',
      ].join('\n'),
    )
    const { stdout } = await promisify(execFile)(process.execPath, [script, url, SERVICE_KEY], { cwd: files.dir })
    expect(JSON.parse(stdout)).toEqual({ rows: [{ title: 'Build it', project: { name: 'Launch' } }], count: 4, missing: 'KL_API_NOT_FOUND' })
  })
})
