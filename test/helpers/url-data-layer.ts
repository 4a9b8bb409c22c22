import { createDataLayer, type Actor, type DataLayer, type ListResult, type WriteResult } from '../../engine/runtime/data/data-layer.ts'
import type { ProjectIR } from '../../engine/ir/project-ir.ts'
import type { SqliteDatabase } from '../../engine/shared/sqlite.ts'
import { toReadQuery, toSelect, toWhere } from '../../engine/runtime/rest/neutral-query.ts'
import type { ParsedQuery } from '../../engine/runtime/rest/query-grammar.ts'

/**
 * The data layer driven by PostgREST URLs, as the REST routes drive it: each call translates
 * the parsed URL into the neutral query with rest/neutral-query.ts. Lets the policy tests state
 * their cases as URLs (`q('status=eq.todo')`) while exercising the real translation and data layer.
 */
export interface UrlDataLayer {
  readonly neutral: DataLayer
  list(actor: Actor, table: string, query: ParsedQuery, options: { count: boolean }): ListResult
  get(actor: Actor, table: string, id: string, query: ParsedQuery): string | undefined
  insert(actor: Actor, table: string, rows: readonly Record<string, unknown>[], query: ParsedQuery, options: { returning: boolean; single?: boolean; resolution?: 'merge' | 'ignore' }): WriteResult
  update(actor: Actor, table: string, target: { id: string } | { filtered: true }, patch: Record<string, unknown>, query: ParsedQuery, options: { returning: boolean; single?: boolean }): WriteResult
  delete(actor: Actor, table: string, target: { id: string } | { filtered: true }, query: ParsedQuery, options: { returning: boolean; single?: boolean }): WriteResult
}

/** In dev mode, as the policy tests assert the policy's location in refusals. */
export function urlDataLayer(model: ProjectIR, db: SqliteDatabase): UrlDataLayer {
  return overUrls(createDataLayer(model, db, { dev: true }))
}

export function overUrls(data: DataLayer): UrlDataLayer {
  const select = (table: string, query: ParsedQuery) => toSelect(data.model, data.model.table(table), query)
  const target = (table: string, t: { id: string } | { filtered: true }, query: ParsedQuery) => {
    if ('id' in t) return t
    const where = toWhere(data.model.table(table), query)
    if (where === undefined) throw new Error('a write by filter needs a filter')
    return { where }
  }
  const returning = (table: string, query: ParsedQuery, wanted: boolean) => (wanted ? { returning: select(table, query) } : {})
  const single = (options: { single?: boolean }) => (options.single === undefined ? {} : { single: options.single })
  return {
    neutral: data,
    list: (actor, table, query, options) => data.list(actor, toReadQuery(data.model, table, query), options),
    get: (actor, table, id, query) => data.get(actor, table, id, select(table, query)),
    insert: (actor, table, rows, query, options) => {
      const conflict = query.onConflict ?? (options.resolution ? ['id'] : undefined)
      return data.insert(actor, { table, rows, ...(conflict ? { onConflict: { columns: conflict, ...(options.resolution ? { resolution: options.resolution } : {}) } } : {}), ...returning(table, query, options.returning) }, single(options))
    },
    update: (actor, table, t, patch, query, options) => data.update(actor, { table, target: target(table, t, query), patch, ...returning(table, query, options.returning) }, single(options)),
    delete: (actor, table, t, query, options) => data.delete(actor, { table, target: target(table, t, query), ...returning(table, query, options.returning) }, single(options)),
  }
}
