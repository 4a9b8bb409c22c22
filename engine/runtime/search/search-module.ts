import { parsePrefer } from '../rest/routes.ts'
import { defineModule } from '../modules/feature-module.ts'
import { toSearchQuery } from './search-request.ts'

/**
 * `GET /search/<table>`: full-text search over a table's `search.text` columns, through the data
 * layer (only rows the caller may read are ranked, counted and paged). The answer is a JSON array
 * of rows, each with `rank` (higher is better) and, with `snippet=<columns>`, a `snippet` object;
 * `Prefer: count=exact` adds the number of readable matches to Content-Range, as on /api.
 */
export const searchModule = defineModule({
  name: 'search',
  systemMigrations: [],
  async register(app, runtime) {
    const { data } = runtime
    app.get<{ Params: { table: string } }>('/search/:table', async (request, reply) => {
      const at = request.url.indexOf('?')
      const params = new URLSearchParams(at === -1 ? '' : request.url.slice(at + 1))
      const query = toSearchQuery(data.model, request.params.table, params)
      const prefer = parsePrefer(request.headers.prefer)
      const result = data.list(runtime.actorOf(request), query, { count: prefer.count, requestId: request.id })
      const from = query.offset ?? 0
      const range = result.rows.length === 0 ? '*' : `${from}-${from + result.rows.length - 1}`
      reply.header('content-range', `${range}/${result.total ?? '*'}`)
      return reply.code(200).type('application/json; charset=utf-8').send(`[${result.rows.join(',')}]`)
    })
  },
})
