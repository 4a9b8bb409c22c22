import type { PolicyPredicateIR, ProjectIR } from '../../ir/project-ir.ts'
import type { SpanRunner } from '../observability/spans.ts'
import type { Actor, DataLayer } from './data-layer.ts'

/** The data layer's entry points that get a span: the neutral query's reads and writes. */
export type TracedMethods = Pick<DataLayer, 'list' | 'count' | 'get' | 'findOne' | 'insert' | 'update' | 'delete'>

type PolicyRule = 'read' | 'create' | 'update' | 'delete'

/**
 * The data layer's methods wrapped in a span each (`data.<method> <table>`), for tracing: the
 * policy decision and the query's execution between the request's span and its statements'.
 * The access policy is part of the statements (its predicate is injected into their SQL), so
 * the span names which policy applied (its source location), for whom (`koya.actor.kind`), and
 * how many rows came back or were written; a refusal marks it ERROR with its code. No value of
 * the query (id, filter, row) is recorded.
 *
 * @example
 * Object.assign(layer, tracedMethods(layer, model, spans))
 */
export function tracedMethods(plain: TracedMethods, model: ProjectIR, spans: SpanRunner): TracedMethods {
  const policies = new Map(model.policies.map((p) => [p.table, p]))
  const policyOf = (actor: Actor, table: string, rule: PolicyRule): string => {
    if (actor.kind === 'system') return 'system (no policy)'
    const rules = policies.get(table)
    const predicate: PolicyPredicateIR | null | undefined = rule === 'update' ? rules?.update?.using : rules?.[rule]
    return predicate == null ? 'none (deny by default)' : `${predicate.at.file}:${predicate.at.line}:${predicate.at.column}`
  }
  const attributes = (method: keyof TracedMethods, actor: Actor, table: string, rule: PolicyRule) => ({
    'koya.data.operation': method,
    'koya.data.table': table,
    'koya.actor.kind': actor.kind,
    'koya.policy': policyOf(actor, table, rule),
  })
  return {
    list: (actor, query, options) =>
      spans.inSpan(`data.list ${query.table}`, attributes('list', actor, query.table, 'read'), (span) => {
        const result = plain.list(actor, query, options)
        span.set('koya.data.rows', result.rows.length)
        return result
      }),
    count: (actor, query, options) =>
      spans.inSpan(`data.count ${query.table}`, attributes('count', actor, query.table, 'read'), (span) => {
        const total = plain.count(actor, query, options)
        span.set('koya.data.rows', total)
        return total
      }),
    get: (actor, table, id, select, options) =>
      spans.inSpan(`data.get ${table}`, attributes('get', actor, table, 'read'), (span) => {
        const row = plain.get(actor, table, id, select, options)
        span.set('koya.data.rows', row === undefined ? 0 : 1)
        return row
      }),
    findOne: (actor, query, options) =>
      spans.inSpan(`data.findOne ${query.table}`, attributes('findOne', actor, query.table, 'read'), (span) => {
        const row = plain.findOne(actor, query, options)
        span.set('koya.data.rows', row === undefined ? 0 : 1)
        return row
      }),
    insert: (actor, query, options) =>
      spans.inSpan(`data.insert ${query.table}`, attributes('insert', actor, query.table, 'create'), (span) => {
        const result = plain.insert(actor, query, options)
        span.set('koya.data.rows', result.count)
        return result
      }),
    update: (actor, query, options) =>
      spans.inSpan(`data.update ${query.table}`, attributes('update', actor, query.table, 'update'), (span) => {
        const result = plain.update(actor, query, options)
        span.set('koya.data.rows', result.count)
        return result
      }),
    delete: (actor, query, options) =>
      spans.inSpan(`data.delete ${query.table}`, attributes('delete', actor, query.table, 'delete'), (span) => {
        const result = plain.delete(actor, query, options)
        span.set('koya.data.rows', result.count)
        return result
      }),
  }
}
