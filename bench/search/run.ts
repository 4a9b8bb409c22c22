// /search against the hand-written SQL on the same rows (test/fixtures/semantic: notes with
// full-text over title+body and 64-dimension vectors of body; the read policy "own or shared").
// KoyaLite is measured through real HTTP (/search/notes, one connection, sequential requests);
// the baselines are the same queries run in-process with better-sqlite3 on the same database:
// FTS5 MATCH + bm25 joined to the policy, and vec0 KNN (k = the page) filtered by the policy.
// Rows and vectors are seeded straight into SQLite (the queue's embedding is not measured).
// Usage: node bench/search/run.ts [--rows 20000] [--requests 300]
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createTestApp } from '../../engine/testing/index.ts'
import { uuidv7 } from '../../engine/shared/uuid.ts'
import { bagOfWords, startEmbeddingsStandIn } from '../../test/runtime/search/embeddings-stand-in.ts'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '20000' }, requests: { type: 'string', default: '300' } } })
const ROWS = Number(args.rows)
const REQUESTS = Number(args.requests)
const WORDS = 'rocket launch fuel engine orbit cat dog car tea bread garden water report plan budget review merger secret coffee board valve stars moon planet'.split(' ')

const provider = await startEmbeddingsStandIn()
const app = await createTestApp({ root: path.join(repo, 'test/fixtures/semantic'), env: { FIXTURE_EMBEDDINGS_URL: provider.url, FIXTURE_EMBEDDINGS_KEY: 'bench' } })
try {
  const ada = await app.user('ada@example.com')
  const bob = await app.user('bob@example.com')
  let seed = 42
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32)
  const sentence = (n: number) => Array.from({ length: n }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ')
  const insert = app.db.prepare('INSERT INTO notes (id, ownerId, title, body, shared) VALUES (?, ?, ?, ?, ?)')
  const vector = app.db.prepare('INSERT INTO _koya_vec_notes (id, embedding, hash) VALUES (?, ?, ?)')
  app.db.transaction(() => {
    for (let i = 0; i < ROWS; i++) {
      const id = uuidv7()
      const body = sentence(12)
      // Ada owns a quarter of the rows; a tenth of Bob's are shared.
      const owner = i % 4 === 0 ? ada.id : bob.id
      insert.run(id, owner, sentence(4), body, owner === bob.id && i % 10 === 1 ? 1 : 0)
      vector.run(id, Buffer.from(Float32Array.from(bagOfWords(body, 64)).buffer), 'bench')
    }
  })()
  const readable = `(n.ownerId = '${ada.id}' OR n.shared = 1)`
  const fts = app.db.prepare(`SELECT json_object('id', n.id, 'title', n.title, 'rank', m.r) AS row FROM (SELECT rowid, -bm25(_koya_fts_notes) AS r FROM _koya_fts_notes WHERE _koya_fts_notes MATCH ?) AS m JOIN notes n ON n.rowid = m.rowid WHERE ${readable} ORDER BY m.r DESC LIMIT 20`)
  const knn = app.db.prepare(`SELECT json_object('id', n.id, 'title', n.title, 'rank', 1 - v.distance) AS row FROM (SELECT id, distance FROM _koya_vec_notes WHERE embedding MATCH ? AND k = 80) AS v JOIN notes n ON n.id = v.id WHERE ${readable} ORDER BY v.distance LIMIT 20`)
  const time = async (name: string, run: () => Promise<unknown> | unknown) => {
    for (let i = 0; i < 20; i++) await run()
    const samples: number[] = []
    for (let i = 0; i < REQUESTS; i++) {
      const start = process.hrtime.bigint()
      await run()
      samples.push(Number(process.hrtime.bigint() - start) / 1e6)
    }
    samples.sort((a, b) => a - b)
    const p = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length
    console.log(`${name.padEnd(34)} ${(1000 / mean).toFixed(0).padStart(6)} req/s   p50 ${p(0.5).toFixed(2)} ms   p99 ${p(0.99).toFixed(2)} ms`)
    return 1000 / mean
  }
  const get = (query: string) => async () => {
    const response = await fetch(`${app.url}/search/notes?${query}`, { headers: { authorization: `Bearer ${ada.token}` } })
    if (response.status !== 200) throw new Error(`${response.status} ${await response.text()}`)
    return response.json()
  }
  console.log(`bench/search: ${ROWS} notes, ${REQUESTS} requests each, one connection (a busy shared machine: compare ratios, not absolutes)`)
  const queryVector = Buffer.from(Float32Array.from(bagOfWords('rocket fuel', 64)).buffer)
  const httpText = await time('/search mode=text (HTTP)', get('q=rocket%20fuel&mode=text&select=id,title'))
  const rawText = await time('FTS5 + policy, in-process', () => fts.all('"rocket" AND "fuel"'))
  const httpSemantic = await time('/search mode=semantic (HTTP)', get('q=rocket%20fuel&mode=semantic&select=id,title'))
  const rawKnn = await time('vec0 KNN + policy, in-process', () => knn.all(queryVector))
  await time('/search mode=hybrid (HTTP)', get('q=rocket%20fuel&mode=hybrid&select=id,title'))
  console.log(`text: ${(httpText / rawText).toFixed(2)}x of FTS5 in-process; semantic: ${(httpSemantic / rawKnn).toFixed(2)}x of vec0 KNN in-process`)
} finally {
  await app.close()
  await provider.close()
}
