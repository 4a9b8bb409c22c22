import type { FastifyReply, FastifyRequest } from 'fastify'
import { searchRoutes } from '../../ir/routes/search-routes.ts'
import { registerContractRoutes, type RouteHandler } from '../http/route-contract.ts'
import { defineModule } from '../modules/feature-module.ts'
import { parsePrefer } from '../rest/routes.ts'
import { toSearchQuery } from './search-request.ts'

/**
 * `GET /search/<table>` for each table with `search.text` columns (the route contract's search
 * group): full-text search through the data layer, so only rows the caller may read are ranked,
 * counted and paged. The answer is a JSON array of rows, each with `rank` (higher is better) and,
 * with `snippet=<columns>`, a `snippet` object; `Prefer: count=exact` adds the number of readable
 * matches to Content-Range, as on /api.
 */
export const searchModule = defineModule({
  name: 'search',
  systemMigrations: [],
  async register(app, runtime) {
    const { data } = runtime
    const group = searchRoutes(runtime.model)
    const handlerOf =
      (table: string): RouteHandler =>
      async (request: FastifyRequest, reply: FastifyReply) => {
        const at = request.url.indexOf('?')
        const query = toSearchQuery(data.model, table, new URLSearchParams(at === -1 ? '' : request.url.slice(at + 1)))
        const prefer = parsePrefer(request.headers.prefer)
        const result = data.list(runtime.actorOf(request), query, { count: prefer.count, requestId: request.id })
        const from = query.offset ?? 0
        const range = result.rows.length === 0 ? '*' : `${from}-${from + result.rows.length - 1}`
        reply.header('content-range', `${range}/${result.total ?? '*'}`)
        return reply.code(200).type('application/json; charset=utf-8').send(`[${result.rows.join(',')}]`)
      }
    const handlers = Object.fromEntries(group.routes.map((route) => [route.id, handlerOf(route.path.slice('/search/'.length))]))
    registerContractRoutes(app, { ids: group.routes.map((route) => route.id), routes: group.routes, handlers, isAnonymous: (request) => runtime.actorOf(request).kind === 'anonymous' })
    // A table without a search index, or no table: the same coded answers as before the contract.
    app.get<{ Params: { table: string } }>('/search/:table', async (request) => {
      toSearchQuery(data.model, request.params.table, new URLSearchParams())
    })
  },
})
