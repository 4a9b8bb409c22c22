import { PostgrestClient } from '@supabase/postgrest-js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type HttpClient, type TestApp } from '../../../engine/testing/index.ts'
import { repoRoot } from '../../helpers/paths.ts'

// GET /search/<table> on the reference app, per persona, over real HTTP. Ada is a member of
// "Analytical" (owner), Bob of "Babbage" (viewer); Cid of nothing. Tasks of each workspace
// share words, so a leak of a hidden row would show in rows, counts, pages or ranks.
describe('GET /search/<table>', () => {
  let app: TestApp<HttpClient>
  let ada: HttpClient
  let bob: HttpClient
  let cid: HttpClient
  const ids: Record<string, string> = {}
  beforeAll(async () => {
    app = await createTestApp({
      root: repoRoot,
      now: '2026-12-01T09:00:00.000Z',
      async seed(t) {
        const a = await t.user('ada@example.com')
        const b = await t.user('bob@example.com')
        await t.user('cid@example.com')
        const service = t.asService()
        const made = async (path: string, body: object) => ((await service.post(path, body, { prefer: 'return=representation' })).body as { id: string }[])[0]!.id
        const w1 = await made('/api/workspaces', { name: 'Analytical', slug: 'analytical', ownerId: a.id })
        const w2 = await made('/api/workspaces', { name: 'Babbage', slug: 'babbage', ownerId: b.id })
        await service.post('/api/members', [{ workspaceId: w1, userId: a.id, role: 'owner' }, { workspaceId: w2, userId: b.id, role: 'viewer' }])
        const p1 = await made('/api/projects', { workspaceId: w1, name: 'Engine' })
        const p2 = await made('/api/projects', { workspaceId: w2, name: 'Secret' })
        const task = async (key: string, projectId: string, title: string, body: string | null) => (ids[key] = await made('/api/tasks', { projectId, title, body, createdBy: a.id }))
        await task('a1', p1, 'Launch the rocket engine', 'Check the fuel valves before launch')
        await task('a2', p1, 'Write launch report', 'Summarize the launch for the board')
        await task('a3', p1, 'Café menu', 'Order coffee for the launch party')
        await task('a4', p1, 'Unrelated chore', 'Water the plants')
        await task('b1', p2, 'Launch acquisition secretly', 'Launch launch launch: the merger')
        await task('b2', p2, 'Secret launch plan', null)
      },
    })
    ada = await app.asUser('ada@example.com')
    bob = await app.asUser('bob@example.com')
    cid = await app.asUser('cid@example.com')
  })
  afterAll(() => app.close())

  const search = async (client: HttpClient, query: string, headers: Record<string, string> = {}) => {
    const answer = await client.get(`/search/tasks?${query}`, headers)
    return { ...answer, rows: answer.body as Record<string, unknown>[] }
  }
  const idsOf = (rows: readonly Record<string, unknown>[]) => rows.map((r) => r.id)

  it('a member finds only the tasks of her workspace, best match first, with a rank', async () => {
    const answer = await search(ada, 'q=launch&select=id,title')
    expect(answer.status).toBe(200)
    expect(new Set(idsOf(answer.rows))).toEqual(new Set([ids.a1, ids.a2, ids.a3]))
    const ranks = answer.rows.map((r) => r.rank as number)
    expect(ranks.every((r) => typeof r === 'number' && r > 0)).toBe(true)
    expect([...ranks].sort((x, y) => y - x)).toEqual(ranks)
    expect(JSON.stringify(answer.body)).not.toMatch(/acquisition|Secret/)
  })

  it('rows hidden by the read policy never appear, whatever the query', async () => {
    for (const q of ['acquisition', 'secret*', '"launch plan"', 'merger OR launch', 'launch -fuel']) {
      const answer = await search(ada, `q=${encodeURIComponent(q)}`)
      expect(answer.status).toBe(200)
      expect(idsOf(answer.rows).some((id) => id === ids.b1 || id === ids.b2)).toBe(false)
    }
    expect((await search(bob, 'q=acquisition')).rows.map((r) => r.id)).toEqual([ids.b1])
    expect((await search(cid, 'q=launch')).rows).toEqual([])
    expect((await search(app.asAnonymous(), 'q=launch')).rows).toEqual([])
  })

  it('counts and pages reflect only readable rows', async () => {
    const first = await search(ada, 'q=launch&select=id&limit=2', { prefer: 'count=exact' })
    expect(first.headers.get('content-range')).toBe('0-1/3')
    const second = await search(ada, 'q=launch&select=id&limit=2&offset=2', { prefer: 'count=exact' })
    expect(second.headers.get('content-range')).toBe('2-2/3')
    expect(new Set([...idsOf(first.rows), ...idsOf(second.rows)])).toEqual(new Set([ids.a1, ids.a2, ids.a3]))
    const service = await search(app.asService(), 'q=launch&select=id', { prefer: 'count=exact' })
    expect(service.headers.get('content-range')).toBe('0-4/5')
  })

  it('takes the REST grammar: filters, embeds, snippets; phrases, prefixes, exclusions and diacritics', async () => {
    const answer = await search(ada, `q=launch&select=id,project(name)&title=ilike.*report*&snippet=title`)
    expect(answer.rows).toEqual([{ id: ids.a2, project: { name: 'Engine' }, rank: expect.any(Number), snippet: { title: 'Write <mark>launch</mark> report' } }])
    expect(idsOf((await search(ada, `q=${encodeURIComponent('"rocket engine"')}`)).rows)).toEqual([ids.a1])
    expect(idsOf((await search(ada, `q=${encodeURIComponent('"engine rocket"')}`)).rows)).toEqual([])
    expect(idsOf((await search(ada, 'q=summ*')).rows)).toEqual([ids.a2])
    expect(new Set(idsOf((await search(ada, `q=${encodeURIComponent('launch -coffee -fuel')}`)).rows))).toEqual(new Set([ids.a2]))
    expect(idsOf((await search(ada, 'q=cafe')).rows)).toEqual([ids.a3])
    expect(idsOf((await search(ada, `q=${encodeURIComponent('plants OR fuel')}&order=title`)).rows)).toEqual([ids.a1, ids.a4])
  })

  it('a malformed query is a coded 400 with the position; semantic modes say they are not configured', async () => {
    const unclosed = await search(ada, `q=${encodeURIComponent('launch "rocket')}`)
    expect(unclosed.status).toBe(400)
    expect(unclosed.body).toMatchObject({ code: 'KL_SEARCH_SYNTAX', message: expect.stringContaining('character 8') })
    expect((await search(ada, 'q=-launch')).body).toMatchObject({ code: 'KL_SEARCH_EMPTY' })
    expect((await search(ada, 'q=')).body).toMatchObject({ code: 'KL_SEARCH_EMPTY' })
    const semantic = await search(ada, 'q=launch&mode=semantic')
    expect(semantic.status).toBe(400)
    expect(semantic.body).toMatchObject({ code: 'KL_SEARCH_NOT_CONFIGURED' })
    expect((await search(ada, 'q=launch&mode=hybrid')).body).toMatchObject({ code: 'KL_SEARCH_NOT_CONFIGURED' })
    expect((await ada.get('/search/projects?q=engine')).body).toMatchObject({ code: 'KL_SEARCH_NOT_SEARCHABLE' })
    expect((await ada.get('/search/nope?q=engine')).status).toBe(404)
    expect((await search(ada, 'q=launch&snippet=status')).body).toMatchObject({ code: 'KL_SEARCH_NOT_SEARCHABLE' })
  })

  it("PostgREST's full-text filters on /api match through the index and the read policy", async () => {
    const api = async (client: HttpClient, query: string) => ((await client.get(`/api/tasks?select=id&order=id&${query}`)).body as { id: string }[]).map((r) => r.id)
    const sorted = (...keys: string[]) => keys.map((k) => ids[k]!).sort()
    expect(await api(ada, 'title=fts.launch')).toEqual(sorted('a1', 'a2'))
    expect(await api(ada, `body=fts(english).${encodeURIComponent("launch & !fuel | plan:*")}`)).toEqual(sorted('a2', 'a3', 'a4')) // plan:* finds "plants"
    expect(await api(ada, `body=plfts.${encodeURIComponent('launch party')}`)).toEqual(sorted('a3'))
    expect(await api(ada, `body=phfts.${encodeURIComponent('launch party')}`)).toEqual(sorted('a3'))
    expect(await api(ada, `body=phfts.${encodeURIComponent('party launch')}`)).toEqual([])
    expect(await api(ada, `body=wfts.${encodeURIComponent('launch -coffee')}`)).toEqual(sorted('a1', 'a2'))
    expect(await api(ada, `body=not.wfts.launch`)).toEqual(sorted('a4'))
    expect(await api(ada, 'title=fts.acquisition')).toEqual([])
    expect(await api(bob, 'title=fts.acquisition')).toEqual(sorted('b1'))
    const refused = await ada.get('/api/tasks?status=fts.todo')
    expect(refused.status).toBe(400)
    expect(refused.body).toMatchObject({ code: 'KL_SEARCH_NOT_SEARCHABLE' })
    expect((await ada.get(`/api/tasks?title=wfts.${encodeURIComponent('"open')}`)).body).toMatchObject({ code: 'KL_SEARCH_SYNTAX' })

    // postgrest-js's .textSearch() as an app would call it.
    const user = await app.user('ada@example.com')
    const client = new PostgrestClient(`${app.url}/api`, { headers: { Authorization: `Bearer ${user.token}` } })
    const found = await client.from('tasks').select('id').textSearch('body', 'launch -coffee', { type: 'websearch', config: 'english' }).order('id')
    expect(found.error).toBeNull()
    expect(found.data?.map((r) => r.id)).toEqual(sorted('a1', 'a2'))
    const plain = await client.from('tasks').select('id').textSearch('title', 'rocket engine', { type: 'plain' })
    expect(plain.data?.map((r) => r.id)).toEqual(sorted('a1'))
  })
})
