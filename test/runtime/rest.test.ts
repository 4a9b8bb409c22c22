import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { referenceApp, SERVICE_KEY, type TestApp } from '../helpers/app.ts'

let t: TestApp
const system = { authorization: `Bearer ${SERVICE_KEY}` }

async function api(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await t.app.inject({ method, url, headers: { ...system, ...headers }, ...(body === undefined ? {} : { payload: body as object }) })
  return { status: response.statusCode, headers: response.headers, body: response.body ? (JSON.parse(response.body) as unknown) : undefined }
}

const ids = { ada: '', bob: '', ws: '', project: '', tasks: [] as string[] }

beforeAll(async () => {
  t = await referenceApp()
  const [ada, bob] = (await api('POST', '/api/users', [{ email: 'ada@example.com', displayName: 'Ada' }, { email: 'bob@example.com', displayName: 'Bob' }], { prefer: 'return=representation' })).body as { id: string }[]
  ids.ada = ada!.id
  ids.bob = bob!.id
  ids.ws = ((await api('POST', '/api/workspaces', { name: 'Acme', slug: 'acme', ownerId: ids.ada }, { prefer: 'return=representation' })).body as { id: string }[])[0]!.id
  ids.project = ((await api('POST', '/api/projects', { workspaceId: ids.ws, name: 'Launch' }, { prefer: 'return=representation' })).body as { id: string }[])[0]!.id
  const tasks = [
    { title: 'Write spec', status: 'done', priority: 2, dueAt: '2026-12-01T00:00:00.000Z' },
    { title: 'Build it', status: 'doing', priority: 3, dueAt: '2026-12-10T00:00:00.000Z', assigneeId: ids.bob },
    { title: 'Ship it', status: 'todo', priority: 1 },
  ].map((task) => ({ ...task, projectId: ids.project, createdBy: ids.ada }))
  ids.tasks = ((await api('POST', '/api/tasks', tasks, { prefer: 'return=representation' })).body as { id: string }[]).map((r) => r.id)
  await api('POST', '/api/comments', { taskId: ids.tasks[0], authorId: ids.bob, body: 'Looks good', meta: { mood: 'happy', score: 3 } })
})
afterAll(() => t.close())

describe('REST: access', () => {
  it('reads through the policies without credentials: no rows, not an error', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/tasks' })
    expect(response.statusCode).toBe(200)
    expect(JSON.parse(response.body)).toEqual([])
  })

  it('answers 401 without credentials where no policy allows the operation, with a code and no data', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/users', payload: { email: 'anonymous@example.com', displayName: 'Anonymous' } })
    expect(response.statusCode).toBe(401)
    expect(JSON.parse(response.body)).toMatchObject({ code: 'KL_API_UNAUTHORIZED' })
    expect((await api('GET', '/api/users?email=eq.anonymous@example.com')).body).toEqual([])
  })

  it('answers 401 to a wrong service key, and writes nothing', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/tasks', headers: { authorization: 'Bearer nope' }, payload: { title: 'x', projectId: ids.project, createdBy: ids.ada } })
    expect(response.statusCode).toBe(401)
    expect(JSON.parse(response.body)).toMatchObject({ code: 'KL_AUTH_REQUIRED' })
    expect((await api('GET', '/api/tasks?title=eq.x')).body).toEqual([])
  })
})

describe('REST: reads', () => {
  it('lists rows with typed values: booleans, numbers, JSON', async () => {
    const { status, body } = await api('GET', '/api/projects')
    expect(status).toBe(200)
    expect(body).toEqual([expect.objectContaining({ id: ids.project, name: 'Launch', archived: false, description: null })])
    const comments = (await api('GET', '/api/comments?select=body,meta')).body
    expect(comments).toEqual([{ body: 'Looks good', meta: { mood: 'happy', score: 3 } }])
  })

  it('filters with eq, in, not, gt and is.null, and orders', async () => {
    expect((await api('GET', '/api/tasks?select=title&status=eq.todo')).body).toEqual([{ title: 'Ship it' }])
    expect((await api('GET', '/api/tasks?select=title&status=in.(todo,doing)&order=title.asc')).body).toEqual([{ title: 'Build it' }, { title: 'Ship it' }])
    expect((await api('GET', '/api/tasks?select=title&status=not.eq.done&priority=gt.1')).body).toEqual([{ title: 'Build it' }])
    expect((await api('GET', '/api/tasks?select=title&dueAt=is.null')).body).toEqual([{ title: 'Ship it' }])
    expect((await api('GET', '/api/tasks?select=title&order=dueAt.desc')).body).toEqual([{ title: 'Ship it' }, { title: 'Build it' }, { title: 'Write spec' }])
    expect((await api('GET', '/api/tasks?select=title&order=dueAt.desc.nullslast')).body).toEqual([{ title: 'Build it' }, { title: 'Write spec' }, { title: 'Ship it' }])
  })

  it('combines or/and groups, like (case-sensitive) and ilike', async () => {
    expect((await api('GET', '/api/tasks?select=title&or=(status.eq.done,and(priority.eq.1,title.like.*Ship*))&order=title')).body).toEqual([{ title: 'Ship it' }, { title: 'Write spec' }])
    expect((await api('GET', '/api/tasks?select=title&title=like.*ship*')).body).toEqual([])
    expect((await api('GET', '/api/tasks?select=title&title=ilike.*SHIP*')).body).toEqual([{ title: 'Ship it' }])
  })

  it('pages with limit and offset, and counts with Prefer: count=exact', async () => {
    const page = await api('GET', '/api/tasks?select=title&order=priority.desc&limit=2&offset=1', undefined, { prefer: 'count=exact' })
    expect(page.body).toEqual([{ title: 'Write spec' }, { title: 'Ship it' }])
    expect(page.headers['content-range']).toBe('1-2/3')
    expect(page.status).toBe(206)
    expect((await api('GET', '/api/tasks?limit=1')).headers['content-range']).toBe('0-0/*')
  })

  it('embeds belongs-to relations, nested, and has-many arrays', async () => {
    const [task] = (await api('GET', `/api/tasks?select=title,project(name,workspace(slug)),assignee(displayName)&id=eq.${ids.tasks[1]}`)).body as object[]
    expect(task).toEqual({ title: 'Build it', project: { name: 'Launch', workspace: { slug: 'acme' } }, assignee: { displayName: 'Bob' } })
    const [project] = (await api('GET', '/api/projects?select=name,tasks(title,comments(body))&tasks.order=title.asc')).body as object[]
    expect(project).toEqual({
      name: 'Launch',
      tasks: [
        { title: 'Build it', comments: [] },
        { title: 'Ship it', comments: [] },
        { title: 'Write spec', comments: [{ body: 'Looks good' }] },
      ],
    })
  })

  it('filters embedded rows, and filters parents by them with !inner', async () => {
    const [project] = (await api('GET', '/api/projects?select=name,tasks(title)&tasks.status=eq.todo')).body as object[]
    expect(project).toEqual({ name: 'Launch', tasks: [{ title: 'Ship it' }] })
    expect((await api('GET', '/api/projects?select=name,tasks!inner(title)&tasks.title=eq.nothing')).body).toEqual([])
  })

  it('refuses an enum filter value outside the enum with a coded 400 naming the allowed values (it used to answer 200 [])', async () => {
    for (const url of ['/api/tasks?status=eq.zzz', '/api/tasks?status=in.(todo,zzz)', '/api/projects?select=name,tasks(title)&tasks.status=neq.zzz', '/api/tasks?or=(status.eq.zzz,title.eq.x)']) {
      const reply = await api('GET', url)
      expect(reply.status, url).toBe(400)
      expect(reply.body, url).toMatchObject({ code: 'KL_API_BAD_FILTER', hint: '"status" takes one of: todo, doing, done.' })
    }
  })

  it('gets one row by id, and answers a missing id with 404', async () => {
    expect((await api('GET', `/api/tasks/${ids.tasks[2]}?select=title,status`)).body).toEqual({ title: 'Ship it', status: 'todo' })
    const missing = await api('GET', '/api/tasks/01900000-0000-7000-8000-000000000000')
    expect(missing.status).toBe(404)
    expect(missing.body).toMatchObject({ code: 'KL_API_NOT_FOUND' })
  })

  it('answers gets of the same shape with each id\'s own row (compiled once, id filled per request)', async () => {
    const titles = await Promise.all(ids.tasks.map(async (id) => ((await api('GET', `/api/tasks/${id}?select=title`)).body as { title: string }).title))
    expect(new Set(titles).size).toBe(ids.tasks.length)
    expect((await api('GET', `/api/tasks/${ids.tasks[0]}?select=title`)).body).toEqual({ title: titles[0] })
  })

  it('returns a single object for Accept: application/vnd.pgrst.object+json, or 406', async () => {
    const one = await t.app.inject({ method: 'GET', url: '/api/tasks?select=title&status=eq.todo', headers: { ...system, accept: 'application/vnd.pgrst.object+json' } })
    expect(JSON.parse(one.body)).toEqual({ title: 'Ship it' })
    const many = await t.app.inject({ method: 'GET', url: '/api/tasks', headers: { ...system, accept: 'application/vnd.pgrst.object+json' } })
    expect(many.statusCode).toBe(406)
    expect(JSON.parse(many.body)).toMatchObject({ code: 'KL_API_NOT_ACCEPTABLE' })
  })
})

describe('REST: writes', () => {
  it('creates with generated id and timestamps; minimal return is an empty 201', async () => {
    const minimal = await t.app.inject({ method: 'POST', url: '/api/tasks', headers: system, payload: { title: 'Minimal', projectId: ids.project, createdBy: ids.ada } })
    expect(minimal.statusCode).toBe(201)
    expect(minimal.body).toBe('')
    const [row] = (await api('GET', '/api/tasks?title=eq.Minimal')).body as Record<string, unknown>[]
    expect(row).toMatchObject({ status: 'todo', priority: 1, body: null })
    expect(row!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(row!.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
  })

  it('updates one row by id, bumping updatedAt', async () => {
    const before = ((await api('GET', `/api/tasks/${ids.tasks[2]}`)).body as { updatedAt: string }).updatedAt
    await new Promise((r) => setTimeout(r, 5))
    const { status, body } = await api('PATCH', `/api/tasks/${ids.tasks[2]}`, { status: 'doing' })
    expect(status).toBe(200)
    expect(body).toMatchObject({ id: ids.tasks[2], status: 'doing' })
    expect((body as { updatedAt: string }).updatedAt > before).toBe(true)
  })

  it('updates and deletes by filter, and refuses to do so without one', async () => {
    const patched = await api('PATCH', '/api/tasks?title=eq.Minimal', { priority: 0 }, { prefer: 'return=representation' })
    expect(patched.body).toEqual([expect.objectContaining({ title: 'Minimal', priority: 0 })])
    const unfiltered = await api('PATCH', '/api/tasks', { priority: 0 })
    expect(unfiltered.status).toBe(400)
    expect(unfiltered.body).toMatchObject({ code: 'KL_API_FILTER_REQUIRED' })
    expect((await api('DELETE', '/api/tasks')).body).toMatchObject({ code: 'KL_API_FILTER_REQUIRED' })
    expect((await api('GET', '/api/tasks?priority=eq.3')).body).toHaveLength(1) // nothing changed
    const deleted = await api('DELETE', '/api/tasks?title=eq.Minimal', undefined, { prefer: 'return=representation' })
    expect(deleted.body).toEqual([expect.objectContaining({ title: 'Minimal' })])
    expect((await api('GET', '/api/tasks?title=eq.Minimal')).body).toEqual([])
  })

  it('deletes one row by id (204), then answers 404 for it', async () => {
    const [extra] = (await api('POST', '/api/tasks', { title: 'Temp', projectId: ids.project, createdBy: ids.ada }, { prefer: 'return=representation' })).body as { id: string }[]
    expect((await api('DELETE', `/api/tasks/${extra!.id}`)).status).toBe(204)
    expect((await api('DELETE', `/api/tasks/${extra!.id}`)).status).toBe(404)
  })

  it('counts a bulk delete of a comment and its reply as two, though the reply went first by ON DELETE CASCADE', async () => {
    const [parent] = (await api('POST', '/api/comments', { taskId: ids.tasks[1], authorId: ids.ada, body: 'Parent' }, { prefer: 'return=representation' })).body as { id: string }[]
    await api('POST', '/api/comments', { taskId: ids.tasks[1], authorId: ids.bob, body: 'Reply', parentId: parent!.id })
    const deleted = await api('DELETE', '/api/comments?body=in.(Parent,Reply)', undefined, { prefer: 'return=representation,count=exact' })
    expect(deleted.headers['content-range']).toBe('*/2')
    expect((deleted.body as { body: string }[]).map((c) => c.body).sort()).toEqual(['Parent', 'Reply'])
    const missing = await api('DELETE', `/api/comments/${parent!.id}`, undefined, { prefer: 'count=exact' })
    expect(missing.status).toBe(404)
  })

  it('reads back one-row writes of the same shape, embeds included, each as its own row', async () => {
    const select = 'select=title,project(name)'
    const written = await Promise.all(
      ['Shape A', 'Shape B'].map(async (title) => (await api('POST', `/api/tasks?${select}`, { title, projectId: ids.project, createdBy: ids.ada }, { prefer: 'return=representation' })).body),
    )
    expect(written).toEqual([[{ title: 'Shape A', project: { name: 'Launch' } }], [{ title: 'Shape B', project: { name: 'Launch' } }]])
    const deleted = await api('DELETE', `/api/tasks?title=eq.Shape B&${select}`, undefined, { prefer: 'return=representation' })
    expect(deleted.body).toEqual([{ title: 'Shape B', project: { name: 'Launch' } }])
    await api('DELETE', '/api/tasks?title=eq.Shape A')
  })

  it('upserts with Prefer: resolution=merge-duplicates on a unique column', async () => {
    const upsert = await api('POST', '/api/workspaces?on_conflict=slug', { name: 'Acme Inc', slug: 'acme', ownerId: ids.ada }, { prefer: 'resolution=merge-duplicates,return=representation' })
    expect(upsert.status).toBe(201)
    expect(upsert.body).toEqual([expect.objectContaining({ id: ids.ws, name: 'Acme Inc' })])
    expect((await api('GET', '/api/workspaces')).body).toHaveLength(1)
    const ignored = await api('POST', '/api/workspaces?on_conflict=slug', { name: 'Other', slug: 'acme', ownerId: ids.ada }, { prefer: 'resolution=ignore-duplicates,return=representation' })
    expect(ignored.body).toEqual([])
  })

  it('answers a unique conflict with 409 and a missing parent with 422, writing nothing', async () => {
    const duplicate = await api('POST', '/api/workspaces', { name: 'Again', slug: 'acme', ownerId: ids.ada })
    expect(duplicate.status).toBe(409)
    expect(duplicate.body).toMatchObject({ code: 'KL_API_CONFLICT' })
    const orphan = await api('POST', '/api/tasks', [
      { title: 'Fine', projectId: ids.project, createdBy: ids.ada },
      { title: 'Orphan', projectId: '01900000-0000-7000-8000-000000000000', createdBy: ids.ada },
    ])
    expect(orphan.status).toBe(422)
    expect(orphan.body).toMatchObject({ code: 'KL_API_CONSTRAINT' })
    expect((await api('GET', '/api/tasks?title=eq.Fine')).body).toEqual([]) // the bulk insert rolled back whole
  })
})

describe('REST: bad input is a 4xx with a code, never a 5xx or a leak', () => {
  const cases: [string, 'GET' | 'POST' | 'PATCH', string, unknown, number, string][] = [
    ['an unknown filter operator', 'GET', '/api/tasks?status=equals.todo', undefined, 400, 'KL_API_BAD_FILTER'],
    ['a filter on an unknown column', 'GET', '/api/tasks?nope=eq.1', undefined, 400, 'KL_API_UNKNOWN_COLUMN'],
    ['a non-integer for an int column', 'GET', '/api/tasks?priority=eq.high', undefined, 400, 'KL_API_BAD_FILTER'],
    ['an unknown column in select', 'GET', '/api/tasks?select=id,secret', undefined, 400, 'KL_API_UNKNOWN_COLUMN'],
    ['an unknown relation in select', 'GET', '/api/tasks?select=id,owner(name)', undefined, 400, 'KL_API_UNKNOWN_RELATION'],
    ['a limit over 1000', 'GET', '/api/tasks?limit=5000', undefined, 400, 'KL_API_LIMIT_EXCEEDED'],
    ['an order on an unknown column', 'GET', '/api/tasks?order=nope.desc', undefined, 400, 'KL_API_UNKNOWN_COLUMN'],
    ['a filter on a relation not embedded', 'GET', '/api/tasks?project.name=eq.x', undefined, 400, 'KL_API_BAD_FILTER'],
    ['an unknown table', 'GET', '/api/secrets', undefined, 404, 'KL_API_NOT_FOUND'],
    ['an unknown field in the body', 'POST', '/api/tasks', { title: 'x', projectId: 'p', createdBy: 'u', isAdmin: true }, 400, 'KL_API_VALIDATION'],
    ['a value outside the enum', 'POST', '/api/tasks', { title: 'x', projectId: 'p', createdBy: 'u', status: 'late' }, 400, 'KL_API_VALIDATION'],
    ['a title longer than its max', 'POST', '/api/tasks', { title: 'x'.repeat(201), projectId: 'p', createdBy: 'u' }, 400, 'KL_API_VALIDATION'],
    ['a missing required column', 'POST', '/api/tasks', { title: 'x' }, 400, 'KL_API_VALIDATION'],
    ['a read-only column', 'POST', '/api/tasks', { id: 'x', title: 'x', projectId: 'p', createdBy: 'u' }, 400, 'KL_API_VALIDATION'],
    ['a wrong type', 'PATCH', `/api/tasks?status=eq.todo`, { priority: 'high' }, 400, 'KL_API_VALIDATION'],
    ['an empty update', 'PATCH', `/api/tasks?status=eq.todo`, {}, 400, 'KL_API_VALIDATION'],
  ]
  for (const [name, method, url, body, status, code] of cases) {
    it(`${name} → ${status} ${code}`, async () => {
      const response = await api(method, url, body)
      expect(response.status).toBe(status)
      expect(response.body).toMatchObject({ code, message: expect.any(String) })
      expect(JSON.stringify(response.body)).not.toMatch(/\bSELECT\b|\bINSERT INTO\b|SQLITE_|\n\s+at /)
    })
  }

  it('answers malformed JSON with 400', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/tasks', headers: { ...system, 'content-type': 'application/json' }, payload: '{"title":' })
    expect(response.statusCode).toBe(400)
    expect(JSON.parse(response.body)).toMatchObject({ code: 'KL_API_BAD_REQUEST' })
  })

  it('answers an oversized body with 413', async () => {
    const rows = Array.from({ length: 900 }, () => ({ title: 'x'.repeat(190), projectId: ids.project, createdBy: ids.ada, body: 'y'.repeat(1000) }))
    const response = await api('POST', '/api/tasks', rows)
    expect(response.status).toBe(413)
    expect(response.body).toMatchObject({ code: 'KL_API_PAYLOAD_TOO_LARGE' })
  })
})
