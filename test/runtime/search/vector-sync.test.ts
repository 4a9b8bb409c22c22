import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { applyMigrations, readMigrations } from '../../../engine/migrate/index.ts'
import { createDataLayer } from '../../../engine/runtime/data/data-layer.ts'
import { applySystemSchema, loadModel, systemMigrations } from '../../../engine/runtime/index.ts'
import { createQueue, type Queue } from '../../../engine/runtime/queue/index.ts'
import { createEmbedder } from '../../../engine/runtime/search/embedder.ts'
import { createSqliteVectorStore } from '../../../engine/runtime/search/vector-store.ts'
import { defineVectorSync } from '../../../engine/runtime/search/vector-sync.ts'
import { openDatabase, type SqliteDatabase } from '../../../engine/shared/sqlite.ts'
import { fixturesDir } from '../../helpers/paths.ts'
import { bagOfWords } from './embeddings-stand-in.ts'

// The backfill and the custom embedder, on test/fixtures/semantic's migrations: rows that were
// there before vector sync existed (written with no subscriber listening) are embedded by
// `search:backfill`, vectors of rows that are gone are dropped, rows without text get none.
const root = path.join(fixturesDir, 'semantic')
const SYSTEM = { kind: 'system' } as const
let db: SqliteDatabase | undefined
let queue: Queue | undefined
afterEach(async () => {
  await queue?.close(1000)
  db?.close()
})

const until = async (done: () => boolean, what: string) => {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 25))
  if (!done()) throw new Error(`timed out waiting for ${what}`)
}

describe('vector sync', () => {
  it('the backfill embeds rows written before it, with a custom embedder, and drops orphans', async () => {
    const model = loadModel(root)
    db = openDatabase(':memory:')
    applyMigrations(db, readMigrations(root).migrations)
    applySystemSchema(db, systemMigrations())
    const data = createDataLayer(model, db)
    const user = data.insert(SYSTEM, { table: 'users', rows: [{ email: 'ada@example.com' }], returning: [{ kind: 'column', column: 'id' }] }, { as: 'objects' }).rows![0]!
    const texts = ['the cat sleeps', 'a car in the rain', null, 'tea time', 'dogs bark', 'the kitten plays']
    data.insert(SYSTEM, { table: 'notes', rows: texts.map((body, i) => ({ ownerId: user.id, title: `n${i}`, body })) })
    const store = createSqliteVectorStore(db)
    await store.put('notes', [{ id: 'gone', vector: Float32Array.from(bagOfWords('gone', 64)), hash: 'x' }])
    const calls: string[][] = []
    const embedder = createEmbedder({ ...model.embeddings!, provider: 'custom', batchSize: 4 }, {}, async (batch) => {
      calls.push([...batch])
      return batch.map((text) => bagOfWords(text, 64))
    })
    queue = createQueue(db, { pollMs: 20 })
    const sync = defineVectorSync({ data, queue, embedder, store, tables: new Map([['notes', ['body']]]) })
    sync.enqueueBackfills()
    sync.enqueueBackfills() // unique per table: one backfill
    queue.start()
    const count = () => db!.prepare('SELECT count(*) FROM "_koya_vec_notes"').pluck().get() as number
    await until(() => count() === 5 && queue!.list({ kind: 'search:backfill' })[0]?.status === 'done', 'the backfill')
    expect(queue.list({ kind: 'search:backfill' })).toHaveLength(1)
    expect(queue.list({ kind: 'search:backfill' })[0]!.result).toEqual({ embedded: 5, removed: 1 })
    expect(calls.map((c) => c.length)).toEqual([4, 1])
    expect(db.prepare('SELECT count(*) FROM "_koya_vec_notes" WHERE id = ?').pluck().get('gone')).toBe(0)
    // The stored vectors are the embedder's, and the data layer ranks by them.
    const page = data.list(SYSTEM, { table: 'notes', select: [{ kind: 'column', column: 'body' }], search: { vector: Float32Array.from(bagOfWords('feline', 64)), rank: true }, limit: 2 }, { as: 'objects' })
    expect(page.rows.map((r) => r.body)).toEqual(['the cat sleeps', 'the kitten plays'])
    // A write after sync started is enqueued in its transaction and embedded.
    data.update(SYSTEM, { table: 'notes', target: { where: { kind: 'compare', column: 'title', operator: 'eq', value: 'n2' } }, patch: { body: 'puppy' } })
    expect(queue.list({ kind: 'search:embed' })).toHaveLength(1)
    await until(() => count() === 6, 'the update to be embedded')
    sync.stop()
  })
})
