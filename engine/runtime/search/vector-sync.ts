import { createHash } from 'node:crypto'
import type { Actor, DataLayer } from '../data/data-layer.ts'
import type { RowObject, WriteEvent } from '../data/write-events.ts'
import type { Queue } from '../queue/queue.ts'
import type { Embedder } from './embedder.ts'
import type { VectorStore } from './vector-store.ts'

/** The queue kinds of semantic indexing. */
export const EMBED_KIND = 'search:embed'
export const BACKFILL_KIND = 'search:backfill'

const SYSTEM: Actor = { kind: 'system' }

/** Embedding a batch: 8 runs from 5 s to 10 min apart; a 429's Retry-After is honoured (queue). */
const EMBED_RETRY = { attempts: 8, initialDelayMs: 5_000, maxDelayMs: 600_000 }

export interface VectorSyncOptions {
  readonly data: DataLayer
  readonly queue: Queue
  readonly embedder: Embedder
  readonly store: VectorStore
  /** Tables with a vector index, and the columns their vectors are made from. */
  readonly tables: ReadonlyMap<string, readonly string[]>
}

/**
 * Keeps each table's vectors in step with its rows, never on the request path:
 *
 * - a write of a `search.semantic` table enqueues `search:embed { table, ids }` inside its own
 *   transaction (a write event subscriber), so the job exists exactly when the write committed;
 *   an update that changes no semantic column enqueues nothing;
 * - `search:embed` reads the rows (as the system, through the data layer), skips those whose
 *   text's digest is already stored, embeds the rest in one provider call per batch and stores
 *   them; a row gone (deleted) or with no text loses its vector;
 * - `search:backfill { table }`, enqueued when the server starts, embeds rows that have no vector
 *   (a new index after a migration, rows written by another client) and drops vectors whose row is gone.
 *
 * @example
 * const sync = defineVectorSync({ data, queue, embedder, store, tables: new Map([['tasks', ['body']]]) })
 */
export function defineVectorSync(options: VectorSyncOptions): { enqueueBackfills(): void; stop(): void } {
  const { data, queue, embedder, store, tables } = options
  const textOf = (row: RowObject, columns: readonly string[]) =>
    columns
      .map((c) => row[c])
      .filter((v): v is string => typeof v === 'string' && v !== '')
      .join('\n\n')
  const digest = (text: string) => createHash('sha256').update(`${embedder.model}\0${embedder.dimensions}\0${text}`).digest('base64url')

  /** Embed (or drop) these rows' vectors. */
  const sync = async (table: string, ids: readonly string[], signal: AbortSignal): Promise<{ embedded: number; removed: number }> => {
    const columns = tables.get(table)
    if (columns === undefined || ids.length === 0) return { embedded: 0, removed: 0 }
    const rows = data.list(SYSTEM, { table, select: [{ kind: 'column', column: 'id' }, ...columns.map((column) => ({ kind: 'column' as const, column }))], where: { kind: 'in', column: 'id', values: [...ids] } }, { as: 'objects' }).rows
    const stored = await store.hashes(table, ids)
    const wanted: { id: string; text: string; hash: string }[] = []
    const gone = new Set(ids)
    for (const row of rows) {
      const id = String(row.id)
      const text = textOf(row, columns)
      if (text === '') continue
      gone.delete(id)
      const hash = digest(text)
      if (stored.get(id) !== hash) wanted.push({ id, text, hash })
    }
    const removed = [...gone].filter((id) => stored.has(id))
    await store.remove(table, removed)
    for (let at = 0; at < wanted.length; at += embedder.batchSize) {
      signal.throwIfAborted()
      const batch = wanted.slice(at, at + embedder.batchSize)
      const vectors = await embedder.embed(
        batch.map((w) => w.text),
        signal,
      )
      await store.put(
        table,
        batch.map((w, i) => ({ id: w.id, vector: vectors[i]!, hash: w.hash })),
      )
    }
    return { embedded: wanted.length, removed: removed.length }
  }

  queue.define<{ table: string; ids: string[] }>({
    name: EMBED_KIND,
    retry: EMBED_RETRY,
    timeoutMs: 120_000,
    run: (payload, run) => sync(payload.table, payload.ids, run.signal),
  })
  queue.define<{ table: string }>({
    name: BACKFILL_KIND,
    retry: EMBED_RETRY,
    timeoutMs: null,
    async run(payload, run) {
      let embedded = 0
      let removed = 0
      for (;;) {
        const orphans = await store.orphans(payload.table, 512)
        await store.remove(payload.table, orphans)
        removed += orphans.length
        if (orphans.length < 512) break
      }
      for (;;) {
        run.signal.throwIfAborted()
        const missing = await store.missing(payload.table, tables.get(payload.table) ?? [], embedder.batchSize)
        if (missing.length === 0) break
        const done = await sync(payload.table, missing, run.signal)
        embedded += done.embedded
        run.progress({ embedded, removed })
        // A row the batch could not embed (changed meanwhile) must not loop for ever.
        if (done.embedded === 0) break
      }
      return { embedded, removed }
    },
  })

  const stop = data.events.subscribe({
    phase: 'transaction',
    tables: [...tables.keys()],
    handle(events: readonly WriteEvent[]) {
      const byTable = new Map<string, string[]>()
      for (const event of events) {
        const columns = tables.get(event.table)!
        if (event.operation === 'update' && columns.every((c) => event.old?.[c] === event.new?.[c])) continue
        const id = String((event.new ?? event.old)!.id)
        const ids = byTable.get(event.table) ?? []
        ids.push(id)
        byTable.set(event.table, ids)
      }
      for (const [table, ids] of byTable) {
        for (let at = 0; at < ids.length; at += embedder.batchSize) queue.enqueue(EMBED_KIND, { table, ids: ids.slice(at, at + embedder.batchSize) })
      }
    },
  })
  return {
    enqueueBackfills() {
      for (const table of tables.keys()) queue.enqueue(BACKFILL_KIND, { table }, { uniqueKey: table })
    },
    stop,
  }
}
