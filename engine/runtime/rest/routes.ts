import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { KoyaError } from '../../shared/errors.ts'
import { notOneRowError, type Actor, type DataLayer, type Target } from '../data/data-layer.ts'
import { DEFAULT_QUERY_LIMITS, parseQuery, type ParsedQuery } from './query-grammar.ts'

/**
 * What a generated route module (generated/api/<table>.ts) describes: the table and the JSON
 * Schemas its writes are validated with.
 *
 * @example
 * export default defineTableApi({ table: 'tasks', schemas: { row: {…}, insert: {…}, update: {…} } })
 */
export interface TableApi {
  readonly table: string
  readonly schemas: { readonly row: object; readonly insert: object; readonly update: object }
}

/** Identity, typed: what generated route modules call. */
export function defineTableApi(api: TableApi): TableApi {
  return api
}

export interface RestOptions {
  readonly data: DataLayer
  readonly tables: readonly TableApi[]
  readonly actorOf: (request: FastifyRequest) => Actor
}

const MAX_BULK_ROWS = DEFAULT_QUERY_LIMITS.maxLimit
const SINGLE_OBJECT = 'application/vnd.pgrst.object+json'

/** `Prefer: return=representation, count=exact, resolution=merge-duplicates` → its settings. */
export interface Preferences {
  readonly returning: boolean
  readonly count: boolean
  readonly resolution: 'merge' | 'ignore' | undefined
}

export function parsePrefer(header: string | string[] | undefined): Preferences {
  const items = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((s) => s.trim().toLowerCase())
  return {
    returning: items.includes('return=representation'),
    count: items.includes('count=exact') || items.includes('count=planned') || items.includes('count=estimated'),
    resolution: items.includes('resolution=merge-duplicates') ? 'merge' : items.includes('resolution=ignore-duplicates') ? 'ignore' : undefined,
  }
}

function queryOf(request: FastifyRequest): ParsedQuery {
  const at = request.url.indexOf('?')
  return parseQuery(new URLSearchParams(at === -1 ? '' : request.url.slice(at + 1)))
}

function wantsObject(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes(SINGLE_OBJECT)
}

/** Rows (JSON texts) as the response: an array, or one object when asked for with Accept. */
function sendRows(request: FastifyRequest, reply: FastifyReply, status: number, rows: readonly string[]): FastifyReply {
  reply.code(status).type('application/json; charset=utf-8')
  if (!wantsObject(request)) return reply.send(`[${rows.join(',')}]`)
  if (rows.length !== 1) throw notOneRowError(rows.length)
  return reply.type(`${SINGLE_OBJECT}; charset=utf-8`).send(rows[0])
}

// PostgREST's Content-Range for a write: `*/N` (N rows written) with Prefer: count=exact, `*/*`
// without; postgrest-js reads the count after the slash.
function writeRange(reply: FastifyReply, prefer: Preferences, count: number): void {
  reply.header('content-range', `*/${prefer.count ? count : '*'}`)
}

/**
 * `/api/<table>` and `/api/<table>/<id>` for every table: PostgREST's grammar for reads,
 * JSON-Schema-validated writes, every access through the data layer.
 */
export function registerRestRoutes(app: FastifyInstance, options: RestOptions): void {
  const { data, actorOf } = options
  for (const api of options.tables) {
    const base = `/api/${api.table}`
    const bulkBody = { anyOf: [api.schemas.insert, { type: 'array', items: api.schemas.insert, maxItems: MAX_BULK_ROWS }] }
    const idParams = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 64 } }, required: ['id'] }

    app.get(base, async (request, reply) => {
      const query = queryOf(request)
      const prefer = parsePrefer(request.headers.prefer)
      const result = data.list(actorOf(request), api.table, query, { count: prefer.count })
      const from = query.offset ?? 0
      const range = result.rows.length === 0 ? '*' : `${from}-${from + result.rows.length - 1}`
      reply.header('content-range', `${range}/${result.total ?? '*'}`)
      return sendRows(request, reply, prefer.count && result.total !== undefined && result.rows.length < result.total ? 206 : 200, result.rows)
    })

    app.post(base, { schema: { body: bulkBody } }, async (request, reply) => {
      const query = queryOf(request)
      const prefer = parsePrefer(request.headers.prefer)
      const body = request.body as Record<string, unknown> | Record<string, unknown>[]
      const rows = Array.isArray(body) ? body : [body]
      const result = data.insert(actorOf(request), api.table, rows, query, {
        returning: prefer.returning,
        single: wantsObject(request),
        ...(prefer.resolution ? { resolution: prefer.resolution } : {}),
      })
      writeRange(reply, prefer, result.count)
      if (!prefer.returning) return reply.code(201).send()
      return sendRows(request, reply, 201, result.rows ?? [])
    })

    const patch = (target: (request: FastifyRequest) => Target, single: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
      const query = queryOf(request)
      const prefer = parsePrefer(request.headers.prefer)
      const result = data.update(actorOf(request), api.table, target(request), request.body as Record<string, unknown>, query, {
        returning: prefer.returning || single,
        single: !single && wantsObject(request),
      })
      if (single) {
        if (result.count === 0) throw new KoyaError('KL_API_NOT_FOUND', `No row of "${api.table}" has that id.`)
        return reply.code(200).type('application/json; charset=utf-8').send(result.rows![0])
      }
      writeRange(reply, prefer, result.count)
      if (!prefer.returning) return reply.code(204).send()
      return sendRows(request, reply, 200, result.rows ?? [])
    }
    const remove = (target: (request: FastifyRequest) => Target, single: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
      const query = queryOf(request)
      const prefer = parsePrefer(request.headers.prefer)
      const result = data.delete(actorOf(request), api.table, target(request), query, { returning: prefer.returning, single: !single && wantsObject(request) })
      if (single && result.count === 0) throw new KoyaError('KL_API_NOT_FOUND', `No row of "${api.table}" has that id.`)
      writeRange(reply, prefer, result.count)
      if (!prefer.returning) return reply.code(204).send()
      return sendRows(request, reply, 200, result.rows ?? [])
    }
    const byId = (request: FastifyRequest): Target => ({ id: (request.params as { id: string }).id })
    const filtered = (): Target => ({ filtered: true })

    app.patch(base, { schema: { body: api.schemas.update } }, patch(filtered, false))
    app.delete(base, remove(filtered, false))

    app.get(`${base}/:id`, { schema: { params: idParams } }, async (request, reply) => {
      const row = data.get(actorOf(request), api.table, (request.params as { id: string }).id, queryOf(request))
      if (row === undefined) throw new KoyaError('KL_API_NOT_FOUND', `No row of "${api.table}" has that id.`)
      return reply.code(200).type('application/json; charset=utf-8').send(row)
    })
    app.patch(`${base}/:id`, { schema: { params: idParams, body: api.schemas.update } }, patch(byId, true))
    app.delete(`${base}/:id`, { schema: { params: idParams } }, remove(byId, true))
  }
}
