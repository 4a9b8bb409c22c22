/**
 * `@supabase/postgrest-js`, unmodified, against a real KoyaLite server on an ephemeral port: the
 * requirement is that Supabase's client works against /api for select, filters, order, range,
 * insert, update, upsert and delete. Results are asserted exactly; where KoyaLite answers
 * differently from PostgREST (error codes, unsupported syntax), the test says so.
 */
import { PostgrestClient } from '@supabase/postgrest-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { referenceApp, SERVICE_KEY, type TestApp } from '../helpers/app.ts'

let t: TestApp
let url: string
let db: PostgrestClient

type Row = Record<string, unknown> & { id: string }
const ids = { ada: '', bob: '', acme: '', launch: '', docs: '', tasks: {} as Record<string, string> }

/** The error object postgrest-js hands back: KoyaLite's `{ code, message, hint }`, as sent. */
const koyaError = (code: string) => ({ code, message: expect.any(String), hint: expect.any(String) })

/** Titles of the tasks a query finds, in the order asked for. */
const titles = (rows: unknown) => (rows as { title: string }[]).map((r) => r.title)

beforeAll(async () => {
  t = await referenceApp()
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = t.app.server.address() as { port: number }
  url = `http://127.0.0.1:${port}`
  db = new PostgrestClient(`${url}/api`, { headers: { Authorization: `Bearer ${SERVICE_KEY}` } })

  const users = await db.from('users').insert([{ email: 'ada@example.com', displayName: 'Ada' }, { email: 'bob@example.com', displayName: 'Bob' }]).select('id').throwOnError()
  ;[ids.ada, ids.bob] = (users.data as Row[]).map((r) => r.id) as [string, string]
  ids.acme = ((await db.from('workspaces').insert({ name: 'Acme', slug: 'acme', ownerId: ids.ada }).select('id').single().throwOnError()).data as Row).id
  const projects = await db.from('projects').insert([{ workspaceId: ids.acme, name: 'Launch' }, { workspaceId: ids.acme, name: 'Docs' }]).select('id').throwOnError()
  ;[ids.launch, ids.docs] = (projects.data as Row[]).map((r) => r.id) as [string, string]
  // Every row has every key: a bulk insert's missing keys are a KoyaLite/PostgREST difference (see below).
  const tasks = [
    { title: 'Write spec', status: 'done', priority: 2, dueAt: '2026-12-01T00:00:00.000Z', assigneeId: null, projectId: ids.launch },
    { title: 'Build it', status: 'doing', priority: 3, dueAt: '2026-12-10T00:00:00.000Z', assigneeId: ids.bob, projectId: ids.launch },
    { title: 'Ship it', status: 'todo', priority: 1, dueAt: null, assigneeId: null, projectId: ids.launch },
    { title: 'Fix a,b (urgent)', status: 'todo', priority: 0, dueAt: '2026-11-20T00:00:00.000Z', assigneeId: null, projectId: ids.launch },
    { title: 'Say "hi"', status: 'doing', priority: 2, dueAt: null, assigneeId: null, projectId: ids.docs },
  ].map((task) => ({ ...task, createdBy: ids.ada }))
  const created = await db.from('tasks').insert(tasks).select('id,title').throwOnError()
  for (const row of created.data as Row[]) ids.tasks[row.title as string] = row.id
})
afterAll(() => t.close())

describe('postgrest-js: select and embeds', () => {
  it('selects columns and nested belongs-to embeds', async () => {
    const { data, error, status } = await db.from('tasks').select('id,title,project(name,workspace(slug))').eq('id', ids.tasks['Build it']!)
    expect(error).toBeNull()
    expect(status).toBe(200)
    expect(data).toEqual([{ id: ids.tasks['Build it'], title: 'Build it', project: { name: 'Launch', workspace: { slug: 'acme' } } }])
  })

  it('selects every column with *, typed (booleans, numbers, nulls)', async () => {
    const { data } = await db.from('projects').select('*').eq('name', 'Docs')
    expect(data).toEqual([
      { id: ids.docs, workspaceId: ids.acme, name: 'Docs', description: null, archived: false, createdAt: expect.any(String), updatedAt: expect.any(String) },
    ])
  })

  it('embeds has-many arrays, with aliases, and strips whitespace from select', async () => {
    const { data } = await db.from('projects').select(`
      name,
      todo:tasks ( title )
    `).eq('name', 'Docs')
    expect(data).toEqual([{ name: 'Docs', todo: [{ title: 'Say "hi"' }] }])
  })

  it('filters parents by an !inner embed and a filter on it', async () => {
    const { data } = await db.from('tasks').select('title,project!inner(name)').eq('project.name', 'Docs')
    expect(data).toEqual([{ title: 'Say "hi"', project: { name: 'Docs' } }])
  })
})

describe('postgrest-js: every filter method', () => {
  const find = () => db.from('tasks').select('title').order('title')
  const cases: [string, () => PromiseLike<{ data: unknown; error: unknown }>, string[]][] = [
    ['eq', () => find().eq('status', 'todo'), ['Fix a,b (urgent)', 'Ship it']],
    ['eq on a value with quotes, commas and parentheses', () => find().eq('title', 'Fix a,b (urgent)'), ['Fix a,b (urgent)']],
    ['neq', () => find().neq('status', 'todo'), ['Build it', 'Say "hi"', 'Write spec']],
    ['gt (number)', () => find().gt('priority', 2), ['Build it']],
    ['gte', () => find().gte('priority', 2), ['Build it', 'Say "hi"', 'Write spec']],
    ['lt', () => find().lt('priority', 1), ['Fix a,b (urgent)']],
    ['lte', () => find().lte('priority', 1), ['Fix a,b (urgent)', 'Ship it']],
    ['gt (timestamp)', () => find().gt('dueAt', '2026-12-01T00:00:00.000Z'), ['Build it']],
    ['like with %, case-sensitive', () => find().like('title', '%it'), ['Build it', 'Ship it']],
    ['like with *', () => find().like('title', '*IT'), []],
    ['ilike', () => find().ilike('title', '%SHIP%'), ['Ship it']],
    ['in', () => find().in('status', ['todo', 'doing']), ['Build it', 'Fix a,b (urgent)', 'Say "hi"', 'Ship it']],
    ['in with commas, parentheses and quotes in values', () => find().in('title', ['Fix a,b (urgent)', 'Say "hi"', '(none)']), ['Fix a,b (urgent)', 'Say "hi"']],
    ['in with numbers', () => find().in('priority', [0, 3]), ['Build it', 'Fix a,b (urgent)']],
    ['in with an empty list', () => find().in('id', []), []],
    ['is null', () => find().is('dueAt', null), ['Say "hi"', 'Ship it']],
    ['not is null', () => find().not('dueAt', 'is', null), ['Build it', 'Fix a,b (urgent)', 'Write spec']],
    ['not eq', () => find().not('status', 'eq', 'done'), ['Build it', 'Fix a,b (urgent)', 'Say "hi"', 'Ship it']],
    ['not in', () => find().not('status', 'in', '(todo,doing)'), ['Write spec']],
    ['notIn', () => find().notIn('status', ['todo', 'doing']), ['Write spec']],
    ['or', () => find().or('status.eq.done,priority.eq.3'), ['Build it', 'Write spec']],
    ['or with a nested and', () => find().or('status.eq.done,and(priority.eq.1,title.like.*Ship*)'), ['Ship it', 'Write spec']],
    ['or with a quoted value and not', () => find().or('title.eq."Fix a,b (urgent)",status.not.in.(todo,done)'), ['Build it', 'Fix a,b (urgent)', 'Say "hi"']],
    ['or ANDed with another filter', () => find().or('priority.gte.2,dueAt.is.null').eq('status', 'doing'), ['Build it', 'Say "hi"']],
    ['match', () => find().match({ status: 'doing', priority: 2 }), ['Say "hi"']],
    ['filter', () => find().filter('title', 'ilike', '*SPEC*'), ['Write spec']],
    ['filter with in', () => find().filter('status', 'in', '(done,todo)'), ['Fix a,b (urgent)', 'Ship it', 'Write spec']],
    ['filter with not', () => find().filter('priority', 'not.gt', '1'), ['Fix a,b (urgent)', 'Ship it']],
    ['several filters ANDed', () => find().gte('priority', 1).lte('priority', 2).neq('status', 'done'), ['Say "hi"', 'Ship it']],
  ]
  for (const [name, query, expected] of cases) {
    it(name, async () => {
      const { data, error } = await query()
      expect(error).toBeNull()
      expect(titles(data)).toEqual(expected)
    })
  }

  it('is on a boolean column', async () => {
    expect((await db.from('projects').select('name').is('archived', false).order('name')).data).toEqual([{ name: 'Docs' }, { name: 'Launch' }])
    expect((await db.from('projects').select('name').is('archived', true)).data).toEqual([])
    expect((await db.from('projects').select('name').eq('archived', false).order('name')).data).toEqual([{ name: 'Docs' }, { name: 'Launch' }])
  })

  it('or on a referenced table filters the embedded rows', async () => {
    const { data } = await db.from('projects').select('name,tasks(title)').or('status.eq.done,priority.eq.3', { referencedTable: 'tasks' }).order('name').order('title', { referencedTable: 'tasks' })
    expect(data).toEqual([
      { name: 'Docs', tasks: [] },
      { name: 'Launch', tasks: [{ title: 'Build it' }, { title: 'Write spec' }] },
    ])
  })
})

describe('postgrest-js: order, limit, range, count', () => {
  const find = () => db.from('tasks').select('title')

  it('orders ascending by default, NULLs last, as PostgreSQL does', async () => {
    expect(titles((await find().order('dueAt').order('title')).data)).toEqual(['Fix a,b (urgent)', 'Write spec', 'Build it', 'Say "hi"', 'Ship it'])
  })

  it('orders descending, NULLs first', async () => {
    expect(titles((await find().order('dueAt', { ascending: false }).order('title')).data)).toEqual(['Say "hi"', 'Ship it', 'Build it', 'Write spec', 'Fix a,b (urgent)'])
  })

  it('orders with nullsFirst and nullsFirst: false', async () => {
    expect(titles((await find().order('dueAt', { ascending: true, nullsFirst: true }).order('title')).data)).toEqual(['Say "hi"', 'Ship it', 'Fix a,b (urgent)', 'Write spec', 'Build it'])
    expect(titles((await find().order('dueAt', { ascending: false, nullsFirst: false }).order('title')).data)).toEqual(['Build it', 'Write spec', 'Fix a,b (urgent)', 'Say "hi"', 'Ship it'])
  })

  it('orders and limits the rows of a referenced table', async () => {
    const ordered = await db.from('projects').select('name,tasks(title)').order('name').order('title', { referencedTable: 'tasks', ascending: false })
    expect(ordered.data).toEqual([
      { name: 'Docs', tasks: [{ title: 'Say "hi"' }] },
      { name: 'Launch', tasks: [{ title: 'Write spec' }, { title: 'Ship it' }, { title: 'Fix a,b (urgent)' }, { title: 'Build it' }] },
    ])
    const limited = await db.from('projects').select('name,tasks(title)').eq('name', 'Launch').order('title', { referencedTable: 'tasks' }).limit(2, { referencedTable: 'tasks' })
    expect(limited.data).toEqual([{ name: 'Launch', tasks: [{ title: 'Build it' }, { title: 'Fix a,b (urgent)' }] }])
    const paged = await db.from('projects').select('name,tasks(title)').eq('name', 'Launch').order('title', { referencedTable: 'tasks' }).range(1, 2, { referencedTable: 'tasks' })
    expect(paged.data).toEqual([{ name: 'Launch', tasks: [{ title: 'Fix a,b (urgent)' }, { title: 'Ship it' }] }])
  })

  it('limits and ranges', async () => {
    expect(titles((await find().order('title').limit(2)).data)).toEqual(['Build it', 'Fix a,b (urgent)'])
    expect(titles((await find().order('title').range(1, 3)).data)).toEqual(['Fix a,b (urgent)', 'Say "hi"', 'Ship it'])
    expect(titles((await find().order('title').range(4, 10)).data)).toEqual(['Write spec'])
  })

  it('counts exactly: 200 for the whole result, 206 for a part', async () => {
    const all = await db.from('tasks').select('*', { count: 'exact' })
    expect(all).toMatchObject({ error: null, count: 5, status: 200 })
    expect(all.data).toHaveLength(5)
    const page = await db.from('tasks').select('title', { count: 'exact' }).order('title').range(0, 1)
    expect(page).toMatchObject({ error: null, data: [{ title: 'Build it' }, { title: 'Fix a,b (urgent)' }], count: 5, status: 206 })
    const filtered = await db.from('tasks').select('title', { count: 'exact' }).eq('status', 'todo').limit(1)
    expect(filtered).toMatchObject({ count: 2, status: 206 })
    const none = await db.from('tasks').select('title', { count: 'exact' }).eq('title', 'nope')
    expect(none).toMatchObject({ error: null, data: [], count: 0, status: 200 })
    expect((await db.from('tasks').select('title')).count).toBeNull() // no count unless asked
  })

  it('counts with head: true (a HEAD request, no body)', async () => {
    const head = await db.from('tasks').select('*', { count: 'exact', head: true }).eq('status', 'todo')
    expect(head).toEqual({ success: true, error: null, data: null, count: 2, status: 200, statusText: 'OK' })
    const partial = await db.from('tasks').select('*', { count: 'exact', head: true }).limit(1)
    expect(partial).toMatchObject({ error: null, data: null, count: 5, status: 206 })
    // A refused HEAD has no body either: postgrest-js reports the status and an empty message.
    const bad = await db.from('tasks').select('nope', { count: 'exact', head: true })
    expect(bad).toMatchObject({ data: null, count: null, status: 400, error: { message: '' } })
  })
})

describe('postgrest-js: single and maybeSingle', () => {
  it('single() returns one object', async () => {
    const { data, error, status } = await db.from('tasks').select('title,status').eq('title', 'Ship it').single()
    expect(error).toBeNull()
    expect(status).toBe(200)
    expect(data).toEqual({ title: 'Ship it', status: 'todo' })
  })

  it('single() on zero or many rows is a 406 (KoyaLite code, not PGRST116)', async () => {
    const none = await db.from('tasks').select('title').eq('title', 'nope').single()
    expect(none).toMatchObject({ data: null, status: 406, error: koyaError('KL_API_NOT_ACCEPTABLE') })
    expect(none.error!.message).toBe('A single object was asked for, but the result has 0 rows.')
    const many = await db.from('tasks').select('title').single()
    expect(many).toMatchObject({ data: null, status: 406, error: koyaError('KL_API_NOT_ACCEPTABLE') })
    expect(many.error!.message).toBe('A single object was asked for, but the result has 5 rows.')
  })

  it('maybeSingle() returns the row, or null for none; many is postgrest-js’s own PGRST116', async () => {
    expect(await db.from('tasks').select('title').eq('title', 'Ship it').maybeSingle()).toMatchObject({ data: { title: 'Ship it' }, error: null, status: 200 })
    expect(await db.from('tasks').select('title').eq('title', 'nope').maybeSingle()).toMatchObject({ data: null, error: null, status: 200 })
    const many = await db.from('tasks').select('title').maybeSingle()
    expect(many).toMatchObject({ data: null, status: 406, error: { code: 'PGRST116', message: 'JSON object requested, multiple (or no) rows returned' } })
  })
})

describe('postgrest-js: writes', () => {
  const newTask = (title: string, extra: Record<string, unknown> = {}) => ({ title, projectId: ids.docs, createdBy: ids.ada, ...extra })

  it('inserts one row without select: 201, no data', async () => {
    const result = await db.from('tasks').insert(newTask('Plain'))
    expect(result).toEqual({ success: true, error: null, data: null, count: null, status: 201, statusText: 'Created' })
    expect((await db.from('tasks').select('title,status,priority,body').eq('title', 'Plain')).data).toEqual([{ title: 'Plain', status: 'todo', priority: 1, body: null }])
  })

  it('inserts one row with select(), and with select().single()', async () => {
    const { data, status } = await db.from('tasks').insert(newTask('One', { priority: 3 })).select()
    expect(status).toBe(201)
    expect(data).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        projectId: ids.docs,
        title: 'One',
        body: null,
        status: 'todo',
        priority: 3,
        dueAt: null,
        assigneeId: null,
        createdBy: ids.ada,
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        updatedAt: expect.any(String),
      },
    ])
    const single = await db.from('tasks').insert(newTask('Two')).select('title,project(name)').single()
    expect(single).toMatchObject({ error: null, status: 201, data: { title: 'Two', project: { name: 'Docs' } } })
  })

  it('inserts many rows with select(), in the order sent', async () => {
    const { data, status } = await db.from('tasks').insert([newTask('Many 1', { status: 'done' }), newTask('Many 2', { status: 'doing' })]).select('title,status')
    expect(status).toBe(201)
    expect(data).toEqual([
      { title: 'Many 1', status: 'done' },
      { title: 'Many 2', status: 'doing' },
    ])
  })

  it('a bulk insert takes column defaults for missing keys (PostgREST would insert NULL, unless defaultToNull: false)', async () => {
    const { data } = await db.from('tasks').insert([newTask('Mixed 1', { status: 'done' }), newTask('Mixed 2')]).select('title,status')
    expect(data).toEqual([
      { title: 'Mixed 1', status: 'done' },
      { title: 'Mixed 2', status: 'todo' },
    ])
  })

  it('insert().select().single() of two rows is a 406 and writes nothing (rolled back, as PostgREST does)', async () => {
    const result = await db.from('tasks').insert([newTask('Pair 1'), newTask('Pair 2')]).select().single()
    expect(result).toMatchObject({ data: null, status: 406, error: koyaError('KL_API_NOT_ACCEPTABLE') })
    expect((await db.from('tasks').select('title').like('title', 'Pair*')).data).toEqual([])
  })

  it('inserts with count: exact', async () => {
    const result = await db.from('tasks').insert([newTask('Counted 1'), newTask('Counted 2')], { count: 'exact' })
    expect(result).toMatchObject({ error: null, data: null, count: 2, status: 201 })
  })

  it('update().eq().select() returns the updated rows; without select it is a 204', async () => {
    const { data, status, error } = await db.from('tasks').update({ priority: 2, body: 'Now' }).eq('title', 'One').select('title,priority,body')
    expect(error).toBeNull()
    expect(status).toBe(200)
    expect(data).toEqual([{ title: 'One', priority: 2, body: 'Now' }])
    const minimal = await db.from('tasks').update({ status: 'doing' }).in('title', ['Many 1', 'Many 2'])
    expect(minimal).toMatchObject({ error: null, data: null, status: 204 })
    expect((await db.from('tasks').select('title,status').like('title', 'Many*').order('title')).data).toEqual([
      { title: 'Many 1', status: 'doing' },
      { title: 'Many 2', status: 'doing' },
    ])
  })

  it('updates with count: exact, and single() on two rows rolls the update back', async () => {
    const counted = await db.from('tasks').update({ priority: 0 }, { count: 'exact' }).like('title', 'Many*')
    expect(counted).toMatchObject({ error: null, count: 2, status: 204 })
    const single = await db.from('tasks').update({ priority: 3 }).like('title', 'Many*').select('title').single()
    expect(single).toMatchObject({ data: null, status: 406, error: koyaError('KL_API_NOT_ACCEPTABLE') })
    expect((await db.from('tasks').select('priority').like('title', 'Many*')).data).toEqual([{ priority: 0 }, { priority: 0 }])
  })

  it('update() without a filter is refused', async () => {
    const result = await db.from('tasks').update({ priority: 0 })
    expect(result).toMatchObject({ data: null, status: 400, error: koyaError('KL_API_FILTER_REQUIRED') })
    expect(result.error).toEqual({ code: 'KL_API_FILTER_REQUIRED', message: 'PATCH /api/tasks needs a filter.', hint: expect.any(String) })
  })

  it('upserts on a unique column with onConflict: merge keeps the id, updates the rest', async () => {
    // Always 201; PostgREST answers 200 when a merging upsert created no row (rest.test.ts pins 201).
    const { data, status, error } = await db.from('workspaces').upsert({ name: 'Acme Inc', slug: 'acme', ownerId: ids.ada }, { onConflict: 'slug' }).select('id,name,slug')
    expect(error).toBeNull()
    expect(status).toBe(201)
    expect(data).toEqual([{ id: ids.acme, name: 'Acme Inc', slug: 'acme' }])
    const both = await db.from('workspaces').upsert([{ name: 'Acme Corp', slug: 'acme', ownerId: ids.ada }, { name: 'Beta', slug: 'beta', ownerId: ids.bob }], { onConflict: 'slug' }).select('name,slug')
    expect(both.status).toBe(201)
    expect(both.data).toEqual([
      { name: 'Acme Corp', slug: 'acme' },
      { name: 'Beta', slug: 'beta' },
    ])
    expect((await db.from('workspaces').select('slug,name').order('slug')).data).toEqual([
      { slug: 'acme', name: 'Acme Corp' },
      { slug: 'beta', name: 'Beta' },
    ])
    expect(await db.from('workspaces').upsert({ name: 'Beta 2', slug: 'beta', ownerId: ids.bob }, { onConflict: 'slug', count: 'exact' })).toMatchObject({ error: null, data: null, count: 1, status: 201 })
    expect((await db.from('workspaces').select('name').eq('slug', 'beta')).data).toEqual([{ name: 'Beta 2' }])
  })

  it('upserts with ignoreDuplicates: the existing row stays, nothing is returned for it', async () => {
    const { data, error } = await db.from('workspaces').upsert({ name: 'Other', slug: 'acme', ownerId: ids.bob }, { onConflict: 'slug', ignoreDuplicates: true }).select('name')
    expect(error).toBeNull()
    expect(data).toEqual([])
    const minimal = await db.from('workspaces').upsert({ name: 'Other', slug: 'acme', ownerId: ids.bob }, { onConflict: 'slug', ignoreDuplicates: true })
    expect(minimal).toMatchObject({ error: null, data: null, status: 201 })
    expect((await db.from('workspaces').select('name').eq('slug', 'acme')).data).toEqual([{ name: 'Acme Corp' }])
  })

  it('an upsert on the primary key (no onConflict, id in the body) is refused: id is read-only', async () => {
    const result = await db.from('workspaces').upsert({ id: ids.acme, name: 'By id', slug: 'acme', ownerId: ids.ada })
    expect(result).toMatchObject({ data: null, status: 400, error: koyaError('KL_API_VALIDATION') })
  })

  it('delete().eq().select() returns the deleted rows', async () => {
    const { data, status, error } = await db.from('tasks').delete().eq('title', 'Plain').select('title,status')
    expect(error).toBeNull()
    expect(status).toBe(200)
    expect(data).toEqual([{ title: 'Plain', status: 'todo' }])
    expect((await db.from('tasks').select('id').eq('title', 'Plain')).data).toEqual([])
  })

  it('delete() with a filter and no select is a 204; with count: exact it counts', async () => {
    expect(await db.from('tasks').delete().eq('title', 'Two')).toEqual({ success: true, error: null, data: null, count: null, status: 204, statusText: 'No Content' })
    expect(await db.from('tasks').delete({ count: 'exact' }).like('title', 'Counted*')).toMatchObject({ error: null, count: 2, status: 204 })
    expect(await db.from('tasks').delete({ count: 'exact' }).eq('title', 'nope')).toMatchObject({ error: null, count: 0, status: 204 })
  })

  it('delete().select().single() on two rows is a 406 and deletes nothing', async () => {
    const result = await db.from('tasks').delete().like('title', 'Mixed*').select('title').single()
    expect(result).toMatchObject({ data: null, status: 406, error: koyaError('KL_API_NOT_ACCEPTABLE') })
    expect((await db.from('tasks').select('title').like('title', 'Mixed*')).data).toHaveLength(2)
  })

  it('delete() without a filter is refused with KL_API_FILTER_REQUIRED, deleting nothing', async () => {
    const before = (await db.from('tasks').select('*', { count: 'exact', head: true })).count
    const result = await db.from('tasks').delete()
    expect(result).toEqual({
      success: false,
      error: { code: 'KL_API_FILTER_REQUIRED', message: 'DELETE /api/tasks needs a filter.', hint: 'Add a filter (e.g. `?id=eq.…` or `?status=eq.done`), or use /api/<table>/<id> for one row.' },
      data: null,
      count: null,
      status: 400,
      statusText: 'Bad Request',
    })
    expect((await db.from('tasks').delete().select()).error).toMatchObject({ code: 'KL_API_FILTER_REQUIRED' })
    expect((await db.from('tasks').select('*', { count: 'exact', head: true })).count).toBe(before)
  })

  it('throwOnError() throws a PostgrestError carrying the code and hint', async () => {
    await expect(db.from('tasks').delete().throwOnError()).rejects.toMatchObject({ name: 'PostgrestError', code: 'KL_API_FILTER_REQUIRED', hint: expect.any(String) })
  })

  it('write errors: a unique conflict is 409, a missing parent 422, a bad body 400', async () => {
    expect(await db.from('workspaces').insert({ name: 'Dup', slug: 'beta', ownerId: ids.ada })).toMatchObject({ status: 409, error: koyaError('KL_API_CONFLICT') })
    expect(await db.from('tasks').insert(newTask('Orphan', { projectId: '01900000-0000-7000-8000-000000000000' }))).toMatchObject({ status: 422, error: koyaError('KL_API_CONSTRAINT') })
    expect(await db.from('tasks').insert(newTask('Late', { status: 'late' }))).toMatchObject({ status: 400, error: koyaError('KL_API_VALIDATION') })
    expect(await db.from('tasks').update({ nope: 1 }).eq('title', 'One')).toMatchObject({ status: 400, error: koyaError('KL_API_VALIDATION') })
  })
})

describe('postgrest-js: errors for bad queries', () => {
  it('an unknown column in select, a filter or order', async () => {
    const select = await db.from('tasks').select('id,nope')
    expect(select).toMatchObject({ data: null, count: null, status: 400, statusText: 'Bad Request' })
    expect(select.error).toEqual({
      code: 'KL_API_UNKNOWN_COLUMN',
      message: 'select: table "tasks" has no column "nope".',
      hint: 'Columns of "tasks": id, projectId, title, body, status, priority, dueAt, assigneeId, createdBy, createdAt, updatedAt.',
    })
    expect(await db.from('tasks').select('id').eq('nope', 1)).toMatchObject({ status: 400, error: koyaError('KL_API_UNKNOWN_COLUMN') })
    expect(await db.from('tasks').select('id').order('nope')).toMatchObject({ status: 400, error: koyaError('KL_API_UNKNOWN_COLUMN') })
  })

  it('an unknown relation, an unknown table, a bad value', async () => {
    expect(await db.from('tasks').select('id,owner(name)')).toMatchObject({ status: 400, error: koyaError('KL_API_UNKNOWN_RELATION') })
    expect(await db.from('secrets').select('*')).toMatchObject({ data: null, status: 404, error: koyaError('KL_API_NOT_FOUND') })
    expect(await db.from('tasks').select('id').eq('priority', 'high')).toMatchObject({ status: 400, error: koyaError('KL_API_BAD_FILTER') })
  })

  it('without the service key: the read policy decides (an anonymous caller is in no workspace)', async () => {
    const anonymous = new PostgrestClient(`${url}/api`)
    expect(await anonymous.from('tasks').select('*')).toMatchObject({ data: [], status: 200, error: null })
  })

  it('without the service key, on an operation no policy allows: 401', async () => {
    const anonymous = new PostgrestClient(`${url}/api`)
    expect(await anonymous.from('users').insert({ email: 'anonymous@example.com', displayName: 'Anonymous' })).toMatchObject({ status: 401, error: koyaError('KL_API_UNAUTHORIZED') })
  })
})

describe('postgrest-js: what KoyaLite does not serve answers KL_API_UNSUPPORTED_SYNTAX (400)', () => {
  const find = () => db.from('tasks').select('title')
  const cases: [string, () => PromiseLike<{ data: unknown; error: unknown; status: number }>][] = [
    ['order on a to-one embed’s column', () => find().order('project(name)')],
    ['likeAnyOf (like(any))', () => find().likeAnyOf('title', ['*it', '*spec'])],
    ['ilikeAllOf (ilike(all))', () => find().ilikeAllOf('title', ['*i*', '*t*'])],
    ['regexMatch', () => find().regexMatch('title', '^S')],
    ['regexIMatch', () => find().regexIMatch('title', '^s')],
    ['isDistinct', () => find().isDistinct('dueAt', null)],
    ['contains', () => find().contains('title', ['a'])],
    ['containedBy', () => find().containedBy('title', ['a'])],
    ['overlaps', () => find().overlaps('title', ['a'])],
    ['rangeGt', () => find().rangeGt('title', '[1,2)')],
    ['a JSON path in select', () => db.from('comments').select('meta->mood')],
    ['a cast in select', () => db.from('tasks').select('priority::text')],
    ['a spread embed', () => db.from('tasks').select('title,...project(name)')],
    ['an aggregate', () => db.from('tasks').select('priority.sum()')],
  ]
  for (const [name, query] of cases) {
    it(name, async () => {
      const result = await query()
      expect(result).toMatchObject({ data: null, status: 400, error: koyaError('KL_API_UNSUPPORTED_SYNTAX') })
    })
  }
})
