import type { FastifyReply, FastifyRequest } from 'fastify'
import { searchRoutes } from '../../ir/routes/search-routes.ts'
import { registerContractRoutes, type RouteHandler } from '../http/route-contract.ts'
import { defineModule } from '../modules/feature-module.ts'
import { parsePrefer } from '../rest/routes.ts'
import { createEmbedder, type EmbedFunction, type Embedder } from './embedder.ts'
import { toSearchRequest } from './search-request.ts'
import { createSqliteVectorStore, type VectorStore } from './vector-store.ts'
import { defineVectorSync } from './vector-sync.ts'

export interface SearchModuleOptions {
  /** The embedding function of `embeddings: { provider: 'custom' }`: one vector per text, in order. */
  readonly embed?: EmbedFunction
  /** Where vectors are written (default: sqlite-vec in the app's database). */
  readonly store?: VectorStore
}

/**
 * `GET /search/<table>` for each table with `search.text` or (with `embeddings` configured)
 * `search.semantic` columns (the route contract's search group): full-text, semantic or hybrid
 * search through the data layer, so only rows the caller may read are ranked, counted and paged.
 * The answer is a JSON array of rows, each with `rank` (higher is better) and, with
 * `snippet=<columns>`, a `snippet` object; `Prefer: count=exact` adds the number of readable
 * matches to Content-Range, as on /api.
 *
 * Semantic indexing runs on the queue (vector-sync.ts); a request only embeds its own query
 * (cached), never a row.
 */
export const searchModule = defineModule<SearchModuleOptions | undefined>({
  name: 'search',
  systemMigrations: [],
  async register(app, runtime, options = {}) {
    const { data } = runtime
    const embeddings = runtime.model.embeddings
    const vectorTables = new Map([...data.model.tables.values()].filter((t) => t.vectorDimensions !== undefined).map((t) => [t.name, t.ir.search!.semantic] as const))
    let embedder: Embedder | undefined
    if (embeddings !== undefined && vectorTables.size > 0) {
      embedder = createEmbedder(embeddings, runtime.env, options.embed)
      const sync = defineVectorSync({ data, queue: runtime.queue(), embedder, store: options.store ?? createSqliteVectorStore(runtime.db), tables: vectorTables })
      app.addHook('onReady', async () => sync.enqueueBackfills())
      app.addHook('onClose', async () => sync.stop())
    }
    const group = searchRoutes(runtime.model)
    const handlerOf =
      (table: string): RouteHandler =>
      async (request: FastifyRequest, reply: FastifyReply) => {
        const at = request.url.indexOf('?')
        const search = toSearchRequest(data.model, embedder !== undefined, table, new URLSearchParams(at === -1 ? '' : request.url.slice(at + 1)))
        let query = search.read
        if (search.mode !== 'text') {
          const vector = await embedder!.embedQuery(search.q)
          query = { ...query, search: { ...query.search, vector } }
        }
        const prefer = parsePrefer(request.headers.prefer)
        const result = data.list(runtime.actorOf(request), query, { count: prefer.count, requestId: request.id })
        const from = query.offset ?? 0
        const range = result.rows.length === 0 ? '*' : `${from}-${from + result.rows.length - 1}`
        reply.header('content-range', `${range}/${result.total ?? '*'}`)
        reply.header('x-search-mode', search.mode)
        return reply.code(200).type('application/json; charset=utf-8').send(`[${result.rows.join(',')}]`)
      }
    const handlers = Object.fromEntries(group.routes.map((route) => [route.id, handlerOf(route.path.slice('/search/'.length))]))
    registerContractRoutes(app, { ids: group.routes.map((route) => route.id), routes: group.routes, handlers, isAnonymous: (request) => runtime.actorOf(request).kind === 'anonymous' })
    // A table without a search index, or no table: the same coded answers as before the contract.
    app.get<{ Params: { table: string } }>('/search/:table', async (request) => {
      toSearchRequest(data.model, embedder !== undefined, request.params.table, new URLSearchParams())
    })
  },
})
