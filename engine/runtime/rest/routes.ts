import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { KoyaError } from '../../shared/errors.ts'
import { notOneRowError, type Actor, type DataLayer } from '../data/data-layer.ts'
import type { SelectItem, WriteTarget } from '../data/query.ts'
import { personalParamsOf, withoutPersonalValues, type PersonalParams } from '../compliance/personal-redaction.ts'
import { toReadQuery, toSelect, toWhere } from './neutral-query.ts'
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

function queryOf(request: FastifyRequest, personal?: PersonalParams): ParsedQuery {
  const at = request.url.indexOf('?')
  try {
    return parseQuery(new URLSearchParams(at === -1 ? '' : request.url.slice(at + 1)))
  } catch (error) {
    // A grammar error quotes the text it could not read: not when it is a personal value.
    throw personal === undefined ? error : withoutPersonalValues(error, request.url, personal)
  }
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
 * JSON-Schema-validated writes, every access through the data layer as a neutral query.
 */
export function registerRestRoutes(app: FastifyInstance, options: RestOptions): void {
  const { data, actorOf } = options
  const { model } = data
  const personal = personalParamsOf({ tables: [...model.tables.values()].map((t) => t.ir) })
  for (const api of options.tables) {
    const base = `/api/${api.table}`
    // One row or an array of rows: chosen by the body's shape (if/then/else, not anyOf), so a
    // refusal lists only the problems of the form that was sent.
    const bulkBody = { if: { type: 'array' }, then: { type: 'array', items: api.schemas.insert, maxItems: MAX_BULK_ROWS }, else: api.schemas.insert }
    const idParams = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 64 } }, required: ['id'] }
    const context = (request: FastifyRequest) => ({ requestId: request.id })
    /** The select a write reads back with, when it reads back. */
    const returning = (parsed: ParsedQuery, wanted: boolean): { returning?: SelectItem[] } => (wanted ? { returning: toSelect(model, model.table(api.table), parsed) } : {})

    app.get(base, async (request, reply) => {
      const parsed = queryOf(request, personal)
      const prefer = parsePrefer(request.headers.prefer)
      const result = data.list(actorOf(request), toReadQuery(model, api.table, parsed), { count: prefer.count, ...context(request) })
      const from = parsed.offset ?? 0
      const range = result.rows.length === 0 ? '*' : `${from}-${from + result.rows.length - 1}`
      reply.header('content-range', `${range}/${result.total ?? '*'}`)
      return sendRows(request, reply, prefer.count && result.total !== undefined && result.rows.length < result.total ? 206 : 200, result.rows)
    })

    app.post(base, { schema: { body: bulkBody } }, async (request, reply) => {
      const parsed = queryOf(request, personal)
      const prefer = parsePrefer(request.headers.prefer)
      const body = request.body as Record<string, unknown> | Record<string, unknown>[]
      const rows = Array.isArray(body) ? body : [body]
      const conflict = parsed.onConflict ?? (prefer.resolution ? ['id'] : undefined)
      const result = data.insert(
        actorOf(request),
        {
          table: api.table,
          rows,
          ...(conflict ? { onConflict: { columns: conflict, ...(prefer.resolution ? { resolution: prefer.resolution } : {}) } } : {}),
          ...returning(parsed, prefer.returning),
        },
        { single: wantsObject(request), ...context(request) },
      )
      writeRange(reply, prefer, result.count)
      if (!prefer.returning) return reply.code(201).send()
      return sendRows(request, reply, 201, result.rows ?? [])
    })

    /** The rows a PATCH or DELETE names: by id, or by the URL's filters (one is required). */
    const targetOf = (request: FastifyRequest, parsed: ParsedQuery, single: boolean, verb: 'PATCH' | 'DELETE'): WriteTarget => {
      if (single) return { id: (request.params as { id: string }).id }
      // Filters on embedded levels must name an embed of select (they shape the read-back), and
      // only the table's own filters pick rows: without one, no write of every row.
      toSelect(model, model.table(api.table), parsed)
      const where = toWhere(model.table(api.table), parsed)
      if (where === undefined) throw new KoyaError('KL_API_FILTER_REQUIRED', `${verb} /api/${api.table} needs a filter.`)
      return { where }
    }
    const patch = (single: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
      const parsed = queryOf(request, personal)
      const prefer = parsePrefer(request.headers.prefer)
      const target = targetOf(request, parsed, single, 'PATCH')
      const result = data.update(
        actorOf(request),
        { table: api.table, target, patch: request.body as Record<string, unknown>, ...returning(parsed, prefer.returning || single) },
        { single: !single && wantsObject(request), ...context(request) },
      )
      if (single) {
        if (result.count === 0) throw new KoyaError('KL_API_NOT_FOUND', `No row of "${api.table}" has that id.`)
        return reply.code(200).type('application/json; charset=utf-8').send(result.rows![0])
      }
      writeRange(reply, prefer, result.count)
      if (!prefer.returning) return reply.code(204).send()
      return sendRows(request, reply, 200, result.rows ?? [])
    }
    const remove = (single: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
      const parsed = queryOf(request, personal)
      const prefer = parsePrefer(request.headers.prefer)
      const target = targetOf(request, parsed, single, 'DELETE')
      const result = data.delete(actorOf(request), { table: api.table, target, ...returning(parsed, prefer.returning) }, { single: !single && wantsObject(request), ...context(request) })
      if (single && result.count === 0) throw new KoyaError('KL_API_NOT_FOUND', `No row of "${api.table}" has that id.`)
      writeRange(reply, prefer, result.count)
      if (!prefer.returning) return reply.code(204).send()
      return sendRows(request, reply, 200, result.rows ?? [])
    }

    app.patch(base, { schema: { body: api.schemas.update } }, patch(false))
    app.delete(base, remove(false))

    app.get(`${base}/:id`, { schema: { params: idParams } }, async (request, reply) => {
      const select = toSelect(model, model.table(api.table), queryOf(request, personal))
      const row = data.get(actorOf(request), api.table, (request.params as { id: string }).id, select, context(request))
      if (row === undefined) throw new KoyaError('KL_API_NOT_FOUND', `No row of "${api.table}" has that id.`)
      return reply.code(200).type('application/json; charset=utf-8').send(row)
    })
    app.patch(`${base}/:id`, { schema: { params: idParams, body: api.schemas.update } }, patch(true))
    app.delete(`${base}/:id`, { schema: { params: idParams } }, remove(true))
  }
}
