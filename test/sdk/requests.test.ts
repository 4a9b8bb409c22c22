import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { referenceIr, writeSdk } from './sdk-files.ts'

/**
 * The exact requests the emitted SDK sends (method, path, PostgREST query, Prefer, body) and how
 * it reads answers, through a recording fetch. client.test.ts runs the same SDK against a server.
 */
interface Sent {
  readonly method: string
  /** Path and query, the query decoded: `/api/tasks?status=in.(todo,doing)&limit=20`. */
  readonly target: string
  readonly url: string
  readonly headers: Record<string, string>
  readonly body: unknown
}
interface Answer {
  readonly status?: number
  readonly body?: string
  readonly headers?: Record<string, string>
}
type Fetch = (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<unknown>
type Call = (koya: any) => Promise<unknown>
interface ClientError extends Error {
  code: string
  status: number
  hint: string | undefined
}
interface Sdk {
  createClient(options: { url: string; token?: unknown; fetch?: Fetch; headers?: Record<string, string> }): any
  KoyaClientError: new (...args: never[]) => ClientError
}

let sdk: Sdk
let files: ReturnType<typeof writeSdk>

beforeAll(async () => {
  files = writeSdk(referenceIr(), 'requests')
  sdk = (await import(files.index)) as Sdk
})
afterAll(() => files?.remove())

/** A fetch that records each request and answers with `answer` (default: 200 and `[]`). */
function recorder(answer: Answer | ((sent: Sent) => Answer) = {}) {
  const sent: Sent[] = []
  const fetch: Fetch = async (url, init) => {
    const parsed = new URL(url)
    const query = [...parsed.searchParams].map(([k, v]) => `${k}=${v}`).join('&')
    const request: Sent = { method: init.method, url, target: parsed.pathname + (query ? `?${query}` : ''), headers: init.headers, body: init.body === undefined ? undefined : JSON.parse(init.body) }
    sent.push(request)
    const a = typeof answer === 'function' ? answer(request) : answer
    const headers = new Map(Object.entries(a.headers ?? {}))
    return { status: a.status ?? 200, headers: { get: (name: string) => headers.get(name) ?? null }, text: async () => a.body ?? '[]' }
  }
  return { sent, fetch }
}

async function send(call: Call, answer?: Answer): Promise<{ request: Sent; result: unknown }> {
  const { sent, fetch } = recorder(answer)
  const result = await call(sdk.createClient({ url: 'http://api.test', token: 'tok', fetch }))
  expect(sent).toHaveLength(1)
  return { request: sent[0]!, result }
}

async function failure(call: Promise<unknown>): Promise<ClientError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(sdk.KoyaClientError)
  return error as ClientError
}

describe('SDK requests: reads map to PostgREST parameters', () => {
  const cases: [string, Call, string][] = [
    ['list with no options sends no parameters', (k) => k.tasks.list(), '/api/tasks'],
    [
      'where with in and lt, orderBy, limit and a belongs-to include',
      (k) => k.tasks.list({ where: { status: { in: ['todo', 'doing'] }, dueAt: { lt: '2027-01-01T00:00:00.000Z' } }, orderBy: { dueAt: 'asc' }, limit: 20, include: { project: true } }),
      '/api/tasks?select=*,project(*)&status=in.(todo,doing)&dueAt=lt.2027-01-01T00:00:00.000Z&order=dueAt.asc&limit=20',
    ],
    ['select and nested includes', (k) => k.tasks.list({ select: ['id', 'title'], include: { project: { select: ['name'], include: { workspace: true } }, comments: true } }), '/api/tasks?select=id,title,project(name,workspace(*)),comments(*)'],
    [
      'has-many include options become embedded parameters',
      (k) => k.projects.list({ include: { tasks: { where: { status: 'todo', or: [{ priority: 1 }, { priority: 2 }] }, orderBy: { dueAt: 'desc' }, limit: 5, offset: 10, include: { comments: { where: { parentId: null } } } } } }),
      '/api/projects?select=*,tasks(*,comments(*))&tasks.status=eq.todo&tasks.or=(priority.eq.1,priority.eq.2)&tasks.order=dueAt.desc&tasks.limit=5&tasks.offset=10&tasks.comments.parentId=is.null',
    ],
    ['a plain value is eq; null is is.null', (k) => k.tasks.list({ where: { title: 'Ship it', body: null } }), '/api/tasks?title=eq.Ship it&body=is.null'],
    ['eq null and neq null', (k) => k.tasks.list({ where: { body: { eq: null }, dueAt: { neq: null } } }), '/api/tasks?body=is.null&dueAt=not.is.null'],
    ['is true/false and boolean values', (k) => k.projects.list({ where: { archived: { is: false } } }), '/api/projects?archived=is.false'],
    ['numbers and booleans as text', (k) => k.projects.list({ where: { archived: true, name: { neq: 'x' } } }), '/api/projects?archived=eq.true&name=neq.x'],
    ['several operators on one column all hold', (k) => k.tasks.list({ where: { priority: { gte: 1, lte: 3 } } }), '/api/tasks?priority=gte.1&priority=lte.3'],
    ['like and ilike keep the pattern', (k) => k.tasks.list({ where: { title: { like: '*Ship*', ilike: 'a_%' } } }), '/api/tasks?title=like.*Ship*&title=ilike.a_%'],
    ['or with a nested and', (k) => k.tasks.list({ where: { or: [{ status: 'done' }, { priority: 1, title: { like: 'Ship*' } }] } }), '/api/tasks?or=(status.eq.done,and(priority.eq.1,title.like.Ship*))'],
    ['and flattens into parameters', (k) => k.tasks.list({ where: { and: [{ status: 'todo' }, { priority: 1 }], title: 'x' } }), '/api/tasks?status=eq.todo&priority=eq.1&title=eq.x'],
    ['and of two ors keeps both groups', (k) => k.tasks.list({ where: { and: [{ or: [{ priority: 0 }, { priority: 3 }] }, { or: [{ body: null }, { status: 'doing' }] }] } }), '/api/tasks?or=(priority.eq.0,priority.eq.3)&or=(body.is.null,status.eq.doing)'],
    ['not of one condition negates it', (k) => k.tasks.list({ where: { not: { status: { in: ['done'] } } } }), '/api/tasks?status=not.in.(done)'],
    ['not of several conditions is not.and', (k) => k.tasks.list({ where: { not: { status: 'todo', priority: 1 } } }), '/api/tasks?not.and=(status.eq.todo,priority.eq.1)'],
    ['not of an or is not.or; nested not inside a group', (k) => k.tasks.list({ where: { not: { or: [{ status: 'todo' }, { not: { priority: 1 } }] } } }), '/api/tasks?not.or=(status.eq.todo,priority.not.eq.1)'],
    ['undefined values add nothing; an empty where adds nothing', (k) => k.tasks.list({ where: { status: undefined, and: [{}], or: [{}, { title: 'x' }] } }), '/api/tasks'],
    ['an or of nothing matches no row', (k) => k.tasks.list({ where: { or: [] } }), '/api/tasks?id=in.()'],
    ['an empty in list is sent as is', (k) => k.tasks.list({ where: { status: { in: [] } } }), '/api/tasks?status=in.()'],
    ['orderBy arrays and nulls placement', (k) => k.tasks.list({ orderBy: [{ priority: 'desc' }, { dueAt: { direction: 'asc', nulls: 'first' }, title: 'asc' }] }), '/api/tasks?order=priority.desc,dueAt.asc.nullsfirst,title.asc'],
    ['get by id, escaped in the path', (k) => k.tasks.get('a/b c', { select: ['title'], include: { assignee: true } }), '/api/tasks/a%2Fb%20c?select=title,assignee(*)'],
  ]
  for (const [name, call, target] of cases) {
    it(name, async () => {
      const { request } = await send(call)
      expect(request.method).toBe('GET')
      expect(request.target).toBe(target)
      expect(request.body).toBeUndefined()
      expect(request.headers).toEqual({ accept: 'application/json', authorization: 'Bearer tok' })
    })
  }

  it('quotes in-list and or-group values that hold , ( ) " \\ or edge spaces, as PostgREST reads them', async () => {
    const values = ['a,b', '(x)', 'say "hi"', 'back\\slash', ' padded', '', '{1}', 'plain text']
    const { request } = await send((k) => k.tasks.list({ where: { title: { in: values }, or: [{ title: 'a,b' }, { body: 'x)' }, { title: 'plain' }] } }))
    expect(request.target).toBe('/api/tasks?title=in.("a,b","(x)","say \\"hi\\"","back\\\\slash"," padded","","{1}",plain text)&or=(title.eq."a,b",body.eq."x)",title.eq.plain)')
    // A top-level value runs to the end of its parameter: never quoted.
    expect((await send((k) => k.tasks.list({ where: { title: 'a,"b"' } }))).request.target).toBe('/api/tasks?title=eq.a,"b"')
  })

  it('percent-encodes every parameter name and value', async () => {
    const { request } = await send((k) => k.tasks.list({ where: { title: 'a&b=c+d%' } }))
    expect(request.url).toBe('http://api.test/api/tasks?title=eq.a%26b%3Dc%2Bd%25')
  })

  it('count asks for no rows and reads the total from Content-Range', async () => {
    const { request, result } = await send((k) => k.tasks.count({ where: { status: 'todo' } }), { status: 206, headers: { 'content-range': '*/7' } })
    expect(request.target).toBe('/api/tasks?status=eq.todo&limit=0')
    expect(request.headers.prefer).toBe('count=exact')
    expect(result).toBe(7)
    expect((await send((k) => k.tasks.count({ status: 'done' }), { headers: { 'content-range': '*/0' } })).request.target).toBe('/api/tasks?status=eq.done&limit=0')
    expect((await send((k) => k.tasks.count(), { headers: { 'content-range': '*/0' } })).request.target).toBe('/api/tasks?limit=0')
  })
})

describe('SDK requests: writes', () => {
  const row = { id: 'r1', title: 'x' }

  it('create of one row posts it and returns the one row', async () => {
    const { request, result } = await send((k) => k.tasks.create({ title: 'x' }), { status: 201, body: JSON.stringify([row]) })
    expect(request).toMatchObject({ method: 'POST', target: '/api/tasks', body: { title: 'x' } })
    expect(request.headers).toMatchObject({ prefer: 'return=representation', 'content-type': 'application/json' })
    expect(result).toEqual(row)
  })

  it('create of many posts an array and returns the array', async () => {
    const { request, result } = await send((k) => k.tasks.create([{ title: 'x' }, { title: 'y' }], { select: ['id'] }), { status: 201, body: JSON.stringify([row, row]) })
    expect(request).toMatchObject({ method: 'POST', target: '/api/tasks?select=id', body: [{ title: 'x' }, { title: 'y' }] })
    expect(result).toEqual([row, row])
  })

  it('update patches one row by id and returns the object the server sends', async () => {
    const { request, result } = await send((k) => k.tasks.update('r1', { status: 'done' }, { include: { project: true } }), { body: JSON.stringify(row) })
    expect(request).toMatchObject({ method: 'PATCH', target: '/api/tasks/r1?select=*,project(*)', body: { status: 'done' } })
    expect(request.headers.prefer).toBeUndefined()
    expect(result).toEqual(row)
  })

  it('updateMany patches by filter and asks for the rows', async () => {
    const { request, result } = await send((k) => k.tasks.updateMany({ status: 'todo' }, { priority: 2 }), { body: JSON.stringify([row]) })
    expect(request).toMatchObject({ method: 'PATCH', target: '/api/tasks?status=eq.todo', body: { priority: 2 } })
    expect(request.headers.prefer).toBe('return=representation')
    expect(result).toEqual([row])
  })

  it('updateMany with an empty where sends no filter, for the server to refuse', async () => {
    expect((await send((k) => k.tasks.updateMany({}, { priority: 2 }))).request.target).toBe('/api/tasks')
  })

  it('delete removes one row by id and returns nothing', async () => {
    const { request, result } = await send((k) => k.tasks.delete('r1'), { status: 204, body: '' })
    expect(request).toMatchObject({ method: 'DELETE', target: '/api/tasks/r1', body: undefined })
    expect(result).toBeUndefined()
  })

  it('deleteMany returns how many rows went, reading back only their ids', async () => {
    const { request, result } = await send((k) => k.tasks.deleteMany({ status: 'done' }), { body: '[{"id":"a"},{"id":"b"}]' })
    expect(request).toMatchObject({ method: 'DELETE', target: '/api/tasks?select=id&status=eq.done' })
    expect(request.headers.prefer).toBe('return=representation')
    expect(result).toBe(2)
  })

  it('deleteMany with returning gives the rows, in the shape asked', async () => {
    const { request, result } = await send((k) => k.tasks.deleteMany({ status: 'done' }, { returning: true, select: ['title'] }), { body: '[{"title":"a"}]' })
    expect(request.target).toBe('/api/tasks?select=title&status=eq.done')
    expect(result).toEqual([{ title: 'a' }])
  })
})

describe('SDK requests: the transport', () => {
  it('keeps a path prefix, drops trailing slashes, and sends no Authorization without a token', async () => {
    const { sent, fetch } = recorder()
    await sdk.createClient({ url: 'http://api.test/koya//', fetch }).tasks.list()
    expect(sent[0]!.url).toBe('http://api.test/koya/api/tasks')
    expect(sent[0]!.headers).toEqual({ accept: 'application/json' })
  })

  it('asks a token function before every request', async () => {
    const { sent, fetch } = recorder()
    let n = 0
    const koya = sdk.createClient({ url: 'http://api.test', fetch, token: async () => `t${++n}` })
    await koya.tasks.list()
    await koya.tasks.list()
    expect(sent.map((s) => s.headers.authorization)).toEqual(['Bearer t1', 'Bearer t2'])
  })

  it('sends the headers given, lower-cased, so they replace its own', async () => {
    const { sent, fetch } = recorder()
    await sdk.createClient({ url: 'http://api.test', fetch, headers: { 'X-Trace': '1', Authorization: 'Bearer mine' } }).tasks.list()
    expect(sent[0]!.headers).toEqual({ accept: 'application/json', 'x-trace': '1', authorization: 'Bearer mine' })
  })

  it('calls fetch as a plain function (browsers refuse a fetch called as a method of another object)', async () => {
    const { fetch } = recorder()
    const self: unknown[] = []
    const strict = function (this: unknown, url: string, init: Parameters<Fetch>[1]) {
      self.push(this)
      return fetch(url, init)
    }
    await sdk.createClient({ url: 'http://api.test', fetch: strict }).tasks.list()
    expect(self).toEqual([undefined])
  })

  it('throws the server error: code, status, message and hint', async () => {
    const { fetch } = recorder({ status: 400, body: JSON.stringify({ code: 'KL_API_VALIDATION', message: 'The body is invalid.', hint: 'Fix it.' }) })
    const error = await failure(sdk.createClient({ url: 'http://api.test', fetch }).tasks.create({}))
    expect(error).toMatchObject({ name: 'KoyaClientError', code: 'KL_API_VALIDATION', status: 400, message: 'The body is invalid.', hint: 'Fix it.' })
  })

  it('throws KL_CLIENT_BAD_RESPONSE for an error without a code, or a body that is not JSON', async () => {
    const proxy = recorder({ status: 502, body: '<html>Bad gateway</html>' })
    expect(await failure(sdk.createClient({ url: 'http://api.test', fetch: proxy.fetch }).tasks.list())).toMatchObject({ code: 'KL_CLIENT_BAD_RESPONSE', status: 502 })
    const garbled = recorder({ status: 200, body: '[{' })
    expect(await failure(sdk.createClient({ url: 'http://api.test', fetch: garbled.fetch }).tasks.list())).toMatchObject({ code: 'KL_CLIENT_BAD_RESPONSE', status: 200 })
    const noRange = recorder({ status: 200, body: '[]' })
    expect(await failure(sdk.createClient({ url: 'http://api.test', fetch: noRange.fetch }).tasks.count())).toMatchObject({ code: 'KL_CLIENT_BAD_RESPONSE' })
  })

  it('throws KL_CLIENT_NETWORK with the cause when fetch fails', async () => {
    const reason = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') })
    const error = await failure(sdk.createClient({ url: 'http://api.test', fetch: async () => Promise.reject(reason) }).tasks.get('x'))
    expect(error).toMatchObject({ code: 'KL_CLIENT_NETWORK', status: 0, message: 'GET http://api.test/api/tasks/x failed: fetch failed (connect ECONNREFUSED).' })
    expect(error.cause).toBe(reason)
  })
})
