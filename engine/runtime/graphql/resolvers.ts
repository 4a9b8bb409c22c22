import type { FastifyRequest } from 'fastify'
import type { GraphQLFieldResolver, GraphQLResolveInfo, ValueNode } from 'graphql'
import { Kind, valueFromASTUntyped } from './graphql-js.ts'
import { graphqlNamesOf } from '../../ir/graphql/graphql-names.ts'
import type { ProjectIR, TableIR } from '../../ir/project-ir.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { Actor, DataLayer } from '../data/data-layer.ts'
import type { SelectItem, Where } from '../data/query.ts'
import { assertNever } from '../../shared/assert-never.ts'
import type { TableApi } from '../rest/routes.ts'
import { pageOf, orderOf, rowOf, whereOf } from './arguments.ts'
import { rowsSelectOf, selectOf, type SelectionContext } from './selection.ts'

/** What a resolver is given as GraphQL context: Mercurius's, with the request's reply. */
export interface GraphqlContext {
  readonly reply: { readonly request: FastifyRequest }
}

export interface ResolverOptions {
  readonly model: ProjectIR
  readonly data: DataLayer
  readonly tables: readonly TableApi[]
  readonly actorOf: (request: FastifyRequest) => Actor
  readonly pages: { readonly maxLimit: number; readonly defaultLimit: number }
}

type Args = Readonly<Record<string, unknown>>

/** Select trees kept per field of a cached query (one per set of variable values, the latest ones). */
const MAX_SELECTS_PER_FIELD = 16
type Resolver = GraphQLFieldResolver<unknown, GraphqlContext, Args>

/**
 * The resolvers of the generated schema. Each root field turns its whole selection set into one
 * neutral query (selection.ts) and runs it through the data layer as the request's actor: the
 * same policies and the same rows as REST. Below the root, fields only read what that one query
 * returned, by response key: no resolver below the root reads the database.
 */
export function createResolvers(options: ResolverOptions): Record<string, unknown> {
  const { model, data, actorOf, pages } = options
  const tables = new Map(model.tables.map((t) => [t.name, t]))
  const tableOf = (name: string): TableIR => tables.get(name)!
  const apis = new Map(options.tables.map((api) => [api.table, api]))
  const selection = (info: GraphQLResolveInfo): SelectionContext => ({ schema: info.schema, fragments: info.fragments, variables: info.variableValues, tableOf, pages })
  // Mercurius caches a query's parsed document, so a field node is the same object on every run of
  // that query: its select tree is built once per node and set of variable values.
  const selects = new WeakMap<object, Map<string, SelectItem[]>>()
  const select = (table: TableIR, info: GraphQLResolveInfo): SelectItem[] => {
    const node = info.fieldNodes[0]!
    const key = info.operation.variableDefinitions?.length ? JSON.stringify(info.variableValues) : ''
    let byVariables = selects.get(node)
    const cached = byVariables?.get(key)
    if (cached) return cached
    const built = selectOf(selection(info), table, info.fieldNodes)
    if (!byVariables) selects.set(node, (byVariables = new Map()))
    if (byVariables.size >= MAX_SELECTS_PER_FIELD) byVariables.delete(byVariables.keys().next().value!)
    byVariables.set(key, built)
    return built
  }
  const rowsSelect = (table: TableIR, info: GraphQLResolveInfo) => rowsSelectOf(selection(info), table, info.fieldNodes)
  const request = (context: GraphqlContext) => context.reply.request
  const actor = (context: GraphqlContext) => actorOf(request(context))
  const requestId = (context: GraphqlContext) => ({ requestId: request(context).id })

  /** Write inputs are checked with the JSON Schemas REST validates bodies with (generated/api), compiled once by Fastify. */
  const validate = (table: TableIR, context: GraphqlContext, which: 'insert' | 'update', rows: readonly Record<string, unknown>[]) => {
    const schema = apis.get(table.name)?.schemas[which]
    if (schema === undefined) return
    const check = request(context).compileValidationSchema(schema as Record<string, unknown>)
    rows.forEach((row, i) => {
      if (check(row)) return
      const problems = (check.errors ?? []).slice(0, 10).map((e) => `${e.instancePath || '(row)'} ${e.message ?? 'is invalid'}${e.params && 'additionalProperty' in e.params ? ` ("${String(e.params.additionalProperty)}")` : ''}`)
      throw new KoyaError('KL_API_VALIDATION', `${rows.length > 1 ? `Row ${i} of the data` : 'The data'} for "${table.name}" is invalid: ${problems.join('; ')}.`)
    })
  }
  const whereRequired = (table: TableIR, args: Args) => {
    const where = whereOf(table, tableOf, args.where as Args)
    if (where === undefined || !hasTest(where)) throw new KoyaError('KL_API_FILTER_REQUIRED', `A write to many rows of "${table.name}" needs a filter with at least one test.`, { hint: 'Give where a test; to touch every row, write a test every row passes (e.g. id: { is: ... }) on purpose.' })
    return where
  }

  const Query: Record<string, Resolver> = {}
  const Mutation: Record<string, Resolver> = {}
  const typeResolvers: Record<string, Record<string, Resolver>> = {}
  for (const table of model.tables) {
    const n = graphqlNamesOf(table)
    Query[n.list] = (_root, args, context, info) => {
      const where = whereOf(table, tableOf, args.where as Args)
      const orderBy = orderOf(args.orderBy as Args[])
      return data.list(actor(context), { table: table.name, select: select(table, info), ...(where ? { where } : {}), ...(orderBy ? { orderBy } : {}), ...pageOf(args, pages) }, { as: 'objects', ...requestId(context) }).rows
    }
    Query[n.byId] = (_root, args, context, info) => data.get(actor(context), table.name, args.id as string, select(table, info), { as: 'objects', ...requestId(context) }) ?? null
    Query[n.count] = (_root, args, context) => {
      const where = whereOf(table, tableOf, args.where as Args)
      return data.count(actor(context), { table: table.name, ...(where ? { where } : {}) }, requestId(context))
    }

    const insertOne = (args: Args, context: GraphqlContext, info: GraphQLResolveInfo, onConflict?: { columns: string[]; resolution: 'merge' | 'ignore' }) => {
      const row = rowOf(args.data as Args)
      validate(table, context, 'insert', [row])
      const result = data.insert(actor(context), { table: table.name, rows: [row], ...(onConflict ? { onConflict } : {}), returning: select(table, info) }, { as: 'objects', ...requestId(context) })
      return result.rows?.[0] ?? null
    }
    Mutation[n.create] = (_root, args, context, info) => insertOne(args, context, info)
    Mutation[n.upsert] = (_root, args, context, info) =>
      insertOne(args, context, info, { columns: (args.onConflict as string[] | null | undefined) ?? ['id'], resolution: args.action === 'IGNORE' ? 'ignore' : 'merge' })
    Mutation[n.createMany] = (_root, args, context, info) => {
      const rows = (args.data as Args[]).map(rowOf)
      if (rows.length > pages.maxLimit) throw new KoyaError('KL_API_LIMIT_EXCEEDED', `${rows.length} rows are more than one write inserts (${pages.maxLimit}).`, { hint: 'Insert them in several writes.' })
      validate(table, context, 'insert', rows)
      const returning = rowsSelect(table, info)
      const result = data.insert(actor(context), { table: table.name, rows, ...(returning ? { returning } : {}) }, { as: 'objects', ...requestId(context) })
      return { affected: result.count, rows: result.rows ?? [] }
    }
    const patchOf = (args: Args, context: GraphqlContext) => {
      const patch = rowOf(args.patch as Args)
      validate(table, context, 'update', [patch])
      return patch
    }
    Mutation[n.updateById] = (_root, args, context, info) => {
      const result = data.update(actor(context), { table: table.name, target: { id: args.id as string }, patch: patchOf(args, context), returning: select(table, info) }, { as: 'objects', ...requestId(context) })
      return result.rows?.[0] ?? null
    }
    Mutation[n.updateMany] = (_root, args, context, info) => {
      const returning = rowsSelect(table, info)
      const result = data.update(actor(context), { table: table.name, target: { where: whereRequired(table, args) }, patch: patchOf(args, context), ...(returning ? { returning } : {}) }, { as: 'objects', ...requestId(context) })
      return { affected: result.count, rows: result.rows ?? [] }
    }
    Mutation[n.deleteById] = (_root, args, context, info) => {
      const result = data.delete(actor(context), { table: table.name, target: { id: args.id as string }, returning: select(table, info) }, { as: 'objects', ...requestId(context) })
      return result.count === 0 ? null : (result.rows?.[0] ?? null)
    }
    Mutation[n.deleteMany] = (_root, args, context, info) => {
      const returning = rowsSelect(table, info)
      const result = data.delete(actor(context), { table: table.name, target: { where: whereRequired(table, args) }, ...(returning ? { returning } : {}) }, { as: 'objects', ...requestId(context) })
      return { affected: result.count, rows: result.rows ?? [] }
    }

    // Below the root, a field is the value the root's one query put under its response key.
    const byKey: Resolver = (source, _args, _context, info) => (source as Args)[info.path.key as string]
    typeResolvers[n.type] = Object.fromEntries([...table.columns.map((c) => c.name), ...table.relations.map((r) => r.name)].map((name) => [name, byKey]))
  }
  return { Query, Mutation, ...typeResolvers, ...SCALARS }
}

/** Whether a filter tests anything (`{ and: [] }` is every row, which a write by filter must not mean by accident). */
function hasTest(where: Where): boolean {
  switch (where.kind) {
    case 'and':
    case 'or':
      return where.where.some(hasTest)
    case 'not':
      return hasTest(where.where)
    case 'compare':
    case 'in':
    case 'is':
    case 'some':
    case 'every':
    case 'none':
    case 'parent':
    case 'match':
      return true
    default:
      return assertNever(where, 'filter')
  }
}

const identity = (value: unknown) => value

/**
 * The custom scalars' behaviour (the SDL declares them with their descriptions; Mercurius copies
 * these functions onto them). Stored values pass out as they are; inputs are checked by the data
 * layer against the column.
 */
export const SCALARS = {
  DateTime: { serialize: identity, parseValue: stringInput('DateTime'), parseLiteral: stringLiteral('DateTime') },
  Date: { serialize: identity, parseValue: stringInput('Date'), parseLiteral: stringLiteral('Date') },
  JSON: { serialize: identity, parseValue: identity, parseLiteral: (ast: ValueNode, variables?: Record<string, unknown> | null) => valueFromASTUntyped(ast, variables) },
}

function stringLiteral(name: string) {
  return (ast: ValueNode): string => (ast.kind === Kind.STRING ? ast.value : stringInput(name)(undefined))
}

function stringInput(name: string) {
  return (value: unknown): string => {
    if (typeof value !== 'string') throw new TypeError(`${name} takes a string.`)
    return value
  }
}
