import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type HttpClient, type TestApp } from '../../../engine/testing/index.ts'
import { fixturesDir } from '../../helpers/paths.ts'
import { createClient } from '../../fixtures/semantic/generated/sdk/index.ts'
import { bagOfWords, startEmbeddingsStandIn, type EmbeddingsStandIn } from './embeddings-stand-in.ts'

// Semantic and hybrid /search on test/fixtures/semantic, over real HTTP, with the OpenAI-compatible
// provider pointed at a local stand-in (hashed bag of words, a few synonyms). Ada owns four notes;
// Bob owns many, which sit nearer to the queries than Ada's, so a leak or a short page shows.
describe('semantic and hybrid GET /search/<table>', () => {
  let provider: EmbeddingsStandIn
  let app: TestApp<HttpClient>
  let ada: HttpClient
  let bob: HttpClient
  const ids: Record<string, string> = {}
  const vectors = (table = 'notes') => app.db.prepare(`SELECT count(*) FROM "_koya_vec_${table}"`).pluck().get() as number
  const until = async (done: () => boolean, what: string) => {
    for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 50))
    if (!done()) throw new Error(`timed out waiting for ${what}`)
  }

  beforeAll(async () => {
    provider = await startEmbeddingsStandIn()
    app = await createTestApp({
      root: path.join(fixturesDir, 'semantic'),
      now: '2026-12-01T09:00:00.000Z',
      env: { FIXTURE_EMBEDDINGS_URL: provider.url, FIXTURE_EMBEDDINGS_KEY: 'sk-test' },
    })
    const a = await app.user('ada@example.com')
    const b = await app.user('bob@example.com')
    ada = a.client
    bob = b.client
    const note = async (client: HttpClient, ownerId: string, title: string, body: string | null, shared = false) =>
      ((await client.post('/api/notes', { ownerId, title, body, shared }, { prefer: 'return=representation' })).body as { id: string }[])[0]!.id
    ids.car = await note(ada, a.id, 'Garage visit', 'my car needs new tyres')
    ids.cat = await note(ada, a.id, 'Pets', 'the cat sleeps on the sofa')
    ids.tea = await note(ada, a.id, 'Groceries', 'buy tea and bread')
    ids.empty = await note(ada, a.id, 'Empty car note', null)
    // Bob's notes: nearer to "car" than Ada's (the word alone, or twice), and hidden from her.
    const many = Array.from({ length: 80 }, (_, i) => ({ ownerId: b.id, title: `Bob ${i}`, body: i % 2 === 0 ? 'car' : 'car car automobile' }))
    await bob.post('/api/notes', many)
    ids.shared = await note(bob, b.id, 'Shared ride', 'a vehicle for the trip', true)
    await app.asService().post('/api/quotes', [{ text: 'a dog is a loyal friend' }, { text: 'tea is a hug in a cup' }])
    await until(() => vectors() === 84 && vectors('quotes') === 2, 'the queue to embed the seeded rows')
  }, 30_000)
  afterAll(async () => {
    await app?.close()
    await provider?.close()
  })

  const search = async (client: HttpClient, table: string, query: string, headers: Record<string, string> = {}) => {
    const answer = await client.get(`/search/${table}?${query}`, headers)
    return { ...answer, rows: answer.body as Record<string, unknown>[] }
  }

  it('rows are embedded by the queue in batches, with the API key; a note without text gets no vector', async () => {
    expect(provider.authorizations.every((header) => header === 'Bearer sk-test')).toBe(true)
    expect(Math.max(...provider.requests.map((r) => r.length))).toBeLessThanOrEqual(8)
    expect(app.db.prepare('SELECT count(*) FROM "_koya_vec_notes" WHERE id = ?').pluck().get(ids.empty)).toBe(0)
  })

  it('semantic search finds by meaning, nearest first, only among readable rows, with full pages', async () => {
    const answer = await search(ada, 'notes', 'q=automobile&mode=semantic&select=id,body&limit=3', { prefer: 'count=exact' })
    expect(answer.status).toBe(200)
    expect(answer.headers.get('x-search-mode')).toBe('semantic')
    // 80 of Bob's notes are nearer to the query than any of Ada's: the page is still full, and hers.
    expect(answer.rows.map((r) => r.id)).toEqual([ids.car, ids.shared, expect.any(String)])
    expect(answer.rows.some((r) => String(r.body).startsWith('car'))).toBe(false)
    expect(answer.headers.get('content-range')).toBe('0-2/4')
    const ranks = answer.rows.map((r) => r.rank as number)
    expect([...ranks].sort((x, y) => y - x)).toEqual(ranks)
    // The rank is the cosine similarity of the stand-in's vectors.
    const [q, car] = [bagOfWords('automobile', 64), bagOfWords('my car needs new tyres', 64)]
    expect(ranks[0]).toBeCloseTo(q.reduce((sum, v, i) => sum + v * car[i]!, 0), 5)
    // Text search does not find it: no word in common.
    expect((await search(ada, 'notes', 'q=automobile&mode=text')).rows).toEqual([])
    // Bob sees his own nearest notes first.
    const bobs = await search(bob, 'notes', 'q=automobile&mode=semantic&select=body&limit=1')
    expect(bobs.rows[0]).toEqual({ body: expect.stringMatching(/^car/), rank: expect.closeTo(1, 5) })
  })

  it('the REST grammar applies: filters, select, offset', async () => {
    const filtered = await search(ada, 'notes', `q=kitten&mode=semantic&select=id,title&title=eq.Pets`)
    expect(filtered.rows).toEqual([{ id: ids.cat, title: 'Pets', rank: expect.any(Number) }])
    const second = await search(ada, 'notes', 'q=automobile&mode=semantic&select=id&limit=1&offset=1')
    expect(second.rows.map((r) => r.id)).toEqual([ids.shared])
  })

  it('hybrid fuses the text and vector ranks of readable rows; auto picks it, or text for operator queries', async () => {
    const hybrid = await search(ada, 'notes', 'q=car&select=id&limit=10', { prefer: 'count=exact' })
    expect(hybrid.headers.get('x-search-mode')).toBe('hybrid')
    // "car" matches Ada's car note (1st by vector, 2nd by bm25 after the shorter "Empty car note"
    // title) and the empty-bodied note (1st by bm25, no vector): 1/61 + 1/62 beats 1/61.
    expect(hybrid.rows[0]!.id).toBe(ids.car)
    expect(hybrid.rows[0]!.rank).toBeCloseTo(1 / 61 + 1 / 62, 10)
    const ranks = new Map(hybrid.rows.map((r) => [r.id, r.rank as number]))
    expect(ranks.get(ids.empty)).toBeCloseTo(1 / 61, 10)
    expect(hybrid.rows.map((r) => r.id)).not.toContain(undefined)
    expect(hybrid.headers.get('content-range')).toBe(`0-${hybrid.rows.length - 1}/5`)
    expect((await search(ada, 'notes', `q=${encodeURIComponent('"car note"')}`)).headers.get('x-search-mode')).toBe('text')
    expect((await search(ada, 'notes', 'q=car -tyres')).headers.get('x-search-mode')).toBe('text')
    const snippets = await search(ada, 'notes', 'q=car&mode=hybrid&select=id&snippet=body&limit=1')
    expect(snippets.rows[0]).toMatchObject({ id: ids.car, snippet: { body: 'my <mark>car</mark> needs new tyres' } })
    // A table with vectors only: auto is semantic.
    const quotes = await search(app.asAnonymous(), 'quotes', 'q=puppy&select=text&limit=1')
    expect(quotes.headers.get('x-search-mode')).toBe('semantic')
    expect(quotes.rows[0]!.text).toBe('a dog is a loyal friend')
  })

  it('writes re-embed only changed text; deletes drop the vector', async () => {
    const before = provider.requests.flat().length
    await ada.patch(`/api/notes?id=eq.${ids.tea}`, { title: 'Shopping' })
    await ada.patch(`/api/notes?id=eq.${ids.cat}`, { body: 'the kitten sleeps on the sofa' })
    await until(() => provider.requests.flat().includes('the kitten sleeps on the sofa'), 'the re-embedding')
    await ada.delete(`/api/notes?id=eq.${ids.car}`)
    await until(() => vectors() === 83, 'the deleted note to lose its vector')
    expect(provider.requests.flat().length - before).toBe(1)
    expect((await search(ada, 'notes', 'q=automobile&mode=semantic&select=id')).rows.map((r) => r.id)).not.toContain(ids.car)
  })

  it('provider failures: rows are retried by the queue, a query answers a coded 502', async () => {
    provider.failNext(1, 500)
    const failing = await search(ada, 'notes', 'q=completely+new+words&mode=semantic')
    expect(failing.status).toBe(502)
    expect(failing.body).toMatchObject({ code: 'KL_SEARCH_EMBEDDING_FAILED' })
    provider.failNext(1, 429)
    const a = await app.user('ada@example.com')
    const id = ((await ada.post('/api/notes', { ownerId: a.id, title: 'Retry', body: 'a puppy in the rain' }, { prefer: 'return=representation' })).body as { id: string }[])[0]!.id
    // The failed attempt waits for its backoff on the server's clock: move it on.
    for (let i = 0; i < 40 && app.db.prepare('SELECT count(*) FROM "_koya_vec_notes" WHERE id = ?').pluck().get(id) === 0; i++) {
      app.clock.advance(60_000)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(app.db.prepare('SELECT count(*) FROM "_koya_vec_notes" WHERE id = ?').pluck().get(id)).toBe(1)
  })

  it('the SDK: koya.<table>.search(q, options), typed, only on searchable tables', async () => {
    const koya = createClient({ url: app.url, token: (await app.user('ada@example.com')).token })
    const hits = await koya.notes.search('kitten', { mode: 'semantic', select: ['id', 'title'], where: { title: 'Pets' }, limit: 5 })
    expect(hits).toEqual([{ id: ids.cat, title: 'Pets', rank: expect.any(Number) }])
    const rank: number = hits[0]!.rank
    expect(rank).toBeGreaterThan(0.3)
    const text = await koya.notes.search('sofa', { mode: 'text', snippet: ['body'] })
    expect(text.map((h) => h.snippet?.body)).toEqual(['the kitten sleeps on the <mark>sofa</mark>'])
    // @ts-expect-error users has no search index
    expect(() => koya.users.search('ada')).toBeDefined()
  })

  it('coded errors for modes a table cannot serve', async () => {
    const text = await search(ada, 'quotes', 'q=dog&mode=text')
    expect([text.status, (text.body as { code: string }).code]).toEqual([400, 'KL_SEARCH_NOT_SEARCHABLE'])
    const hybrid = await search(ada, 'quotes', 'q=dog&mode=hybrid')
    expect([hybrid.status, (hybrid.body as { code: string }).code]).toEqual([400, 'KL_SEARCH_NOT_SEARCHABLE'])
    const empty = await search(ada, 'notes', 'q=%20&mode=semantic')
    expect((empty.body as { code: string }).code).toBe('KL_SEARCH_EMPTY')
    const unknown = await search(ada, 'notes', 'q=car&mode=fuzzy')
    expect(unknown.status).toBe(400)
  })
})
