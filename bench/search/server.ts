// One process for both sides of bench/search (run.ts pins it to core 0): the KoyaLite app
// (bench/search/app, 384-dimension vectors) on in-memory SQLite seeded with --rows notes, and the
// fair baseline, a minimal node:http server on the same database running the same FTS5 / vec0
// SQL in-process with better-sqlite3, with the same auth work (the bearer token's SHA-256 looked
// up in _koya_sessions). Prints one JSON line { koya, baseline, token, pid } once both listen.
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { hash } from 'node:crypto'
import { WORDS } from './words.ts'
import { createTestApp } from '../../engine/testing/index.ts'
import { uuidv7 } from '../../engine/shared/uuid.ts'
import { bagOfWords, startEmbeddingsStandIn } from '../../test/runtime/search/embeddings-stand-in.ts'

const DIMENSIONS = 384
const here = path.dirname(fileURLToPath(import.meta.url))
const ROWS = Number(process.env.BENCH_ROWS ?? '100000')

// The provider embeds only the queries (rows' vectors are seeded); KoyaLite caches a query's
// vector, as the baseline does, so after the warmup neither side calls it.
const provider = await startEmbeddingsStandIn()
const app = await createTestApp({ root: path.join(here, 'app'), env: { FIXTURE_EMBEDDINGS_URL: provider.url, FIXTURE_EMBEDDINGS_KEY: 'bench' } })
const ada = await app.user('ada@example.com')
const bob = await app.user('bob@example.com')
let seed = 42
const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32)
const sentence = (n: number) => Array.from({ length: n }, () => WORDS[Math.floor(random() * WORDS.length)]!).join(' ')
const insert = app.db.prepare('INSERT INTO notes (id, ownerId, title, body, shared) VALUES (?, ?, ?, ?, ?)')
const vector = app.db.prepare('INSERT INTO _koya_vec_notes (id, embedding, hash) VALUES (?, ?, ?)')
const started = Date.now()
app.db.transaction(() => {
  for (let i = 0; i < ROWS; i++) {
    const id = uuidv7()
    const body = sentence(12)
    // Ada owns a quarter of the rows; a tenth of Bob's are shared.
    const owner = i % 4 === 0 ? ada.id : bob.id
    insert.run(id, owner, sentence(4), body, owner === bob.id && i % 10 === 1 ? 1 : 0)
    vector.run(id, Buffer.from(Float32Array.from(bagOfWords(body, DIMENSIONS)).buffer), 'bench')
  }
})()
const seedMs = Date.now() - started

const session = app.db.prepare('SELECT "userId" FROM "_koya_sessions" WHERE "id" = ? AND "expiresAt" > ?')
const readable = '(n.ownerId = ? OR n.shared = 1)'
const fts = app.db.prepare(`SELECT n.id, n.title, m.r AS rank FROM (SELECT rowid, -bm25(_koya_fts_notes) AS r FROM _koya_fts_notes WHERE _koya_fts_notes MATCH ?) AS m JOIN notes n ON n.rowid = m.rowid WHERE ${readable} ORDER BY m.r DESC LIMIT 20`)
const knn = app.db.prepare(`SELECT n.id, n.title, 1 - v.distance AS rank FROM (SELECT id, distance FROM _koya_vec_notes WHERE embedding MATCH ? AND k = 80) AS v JOIN notes n ON n.id = v.id WHERE ${readable} ORDER BY v.distance LIMIT 20`)
const vectors = new Map<string, Buffer>()
const queryVector = (q: string) => {
  let known = vectors.get(q)
  if (known === undefined) vectors.set(q, (known = Buffer.from(Float32Array.from(bagOfWords(q, DIMENSIONS)).buffer)))
  return known
}
const baseline = http.createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://x')
  const token = (request.headers.authorization ?? '').replace(/^Bearer /, '')
  const found = session.get(hash("sha256", token, "hex"), new Date().toISOString()) as { userId: string } | undefined
  if (found === undefined) return void response.writeHead(401).end()
  const q = url.searchParams.get('q') ?? ''
  const rows = url.searchParams.get('mode') === 'semantic'
    ? knn.all(queryVector(q), found.userId)
    : fts.all(q.split(/\s+/).filter(Boolean).map((w) => `"${w.replaceAll('"', '""')}"`).join(' AND '), found.userId)
  const body = JSON.stringify({ data: rows })
  response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body)
})
await new Promise<void>((resolve) => baseline.listen(0, '127.0.0.1', resolve))
const port = (baseline.address() as { port: number }).port
process.stdout.write(`${JSON.stringify({ koya: app.url, baseline: `http://127.0.0.1:${port}`, token: ada.token, pid: process.pid, seedMs })}\n`)
process.once('SIGTERM', () => { baseline.close(); void app.close().then(() => provider.close()).then(() => process.exit(0)) })
// Bounded: a forgotten server does not keep running.
setTimeout(() => process.exit(0), 30 * 60_000).unref()
