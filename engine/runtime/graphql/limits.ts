import type { DocumentNode, FragmentDefinitionNode, GraphQLNamedType, GraphQLSchema, SelectionSetNode, ValidationRule } from 'graphql'
import { GraphQLError, getNamedType, getNullableType, isListType, isObjectType } from './graphql-js.ts'
import type { KoyaErrorCode } from '../../shared/errors.ts'
import { errorCodes } from '../../shared/error-codes.ts'

/**
 * Limits against abusive queries, checked after parsing and before validation, once per query
 * text (Mercurius caches a validated document). Introspection fields are not counted: the
 * standard introspection query nests ofType deeper than any data query needs.
 */
export interface GraphqlLimits {
  readonly maxDepth: number
  readonly maxAliases: number
  readonly maxCost: number
  readonly maxLimit: number
  /** The rows a list without `limit` returns at most. */
  readonly defaultLimit: number
  readonly maxBatch: number
}

export const DEFAULT_GRAPHQL_LIMITS: GraphqlLimits = Object.freeze({ maxDepth: 10, maxAliases: 30, maxCost: 50_000, maxLimit: 1000, defaultLimit: 100, maxBatch: 10 })

/** A GraphQL error carrying a KL_* code (the error formatter keeps it). */
export function codedGraphqlError(code: KoyaErrorCode, message: string): InstanceType<typeof GraphQLError> {
  return new GraphQLError(message, { extensions: { code, hint: errorCodes[code].solution } })
}

/** What one operation asks for: its deepest field, its aliases and its estimated cost. */
export interface QueryMeasure {
  depth: number
  aliases: number
  cost: number
}

/**
 * Measure an operation's selection set. Cost counts each field once per row the lists above it
 * may return: a list's size is its `limit` when written as a literal, the largest page when it
 * is a variable (which may be anything up to it), and the default page when there is none.
 */
export function measureSelection(schema: GraphQLSchema, fragments: Readonly<Record<string, FragmentDefinitionNode>>, root: GraphQLNamedType | null | undefined, set: SelectionSetNode, pages: Pick<GraphqlLimits, 'maxLimit' | 'defaultLimit'> & { readonly maxVisits: number }): QueryMeasure {
  const measure: QueryMeasure = { depth: 0, aliases: 0, cost: 0 }
  // Fragments spread inside fragments multiply: a walk that met more selections than any query
  // within the limits has stops (the query is refused for its cost), so no document costs more
  // than that to measure.
  let visits = 0
  const walk = (selections: SelectionSetNode, type: GraphQLNamedType | null | undefined, depth: number, rows: number, path: ReadonlySet<string>) => {
    for (const selection of selections.selections) {
      if (++visits > pages.maxVisits) {
        measure.cost = Math.max(measure.cost, pages.maxVisits + 1)
        return
      }
      if (selection.kind === 'InlineFragment') walk(selection.selectionSet, type, depth, rows, path)
      else if (selection.kind === 'FragmentSpread') {
        const name = selection.name.value
        const fragment = fragments[name]
        // A cycle is refused by graphql-js's own rule; here it must only not loop.
        if (fragment && !path.has(name)) walk(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value), depth, rows, new Set([...path, name]))
      } else {
        const name = selection.name.value
        if (name.startsWith('__')) continue
        if (selection.alias !== undefined) measure.aliases++
        measure.depth = Math.max(measure.depth, depth + 1)
        measure.cost += rows
        const field = isObjectType(type) ? type.getFields()[name] : undefined
        if (selection.selectionSet === undefined || field === undefined) continue
        const limitArg = selection.arguments?.find((a) => a.name.value === 'limit')
        const written = limitArg === undefined ? pages.defaultLimit : limitArg.value.kind === 'IntValue' ? Number(limitArg.value.value) : pages.maxLimit
        const size = isListType(getNullableType(field.type)) ? Math.min(written, pages.maxLimit) : 1
        walk(selection.selectionSet, getNamedType(field.type), depth + 1, rows * Math.max(size, 1), path)
      }
    }
  }
  walk(set, root, 0, 1, new Set())
  return measure
}

/**
 * Depth, aliases and cost of every operation of a parsed document, refused with their
 * KL_API_GRAPHQL_* codes. Run before graphql-js validates (Mercurius's preValidation hook): a
 * bomb costs a parse and this walk, not graphql-js's rules, some of which grow with the square of
 * the fields.
 *
 * @throws an error whose `errors` are the coded GraphQL errors (the error formatter lists them).
 */
export function checkLimits(schema: GraphQLSchema, document: DocumentNode, limits: GraphqlLimits): void {
  const fragments: Record<string, FragmentDefinitionNode> = {}
  for (const definition of document.definitions) if (definition.kind === 'FragmentDefinition') fragments[definition.name.value] = definition
  const errors: InstanceType<typeof GraphQLError>[] = []
  for (const node of document.definitions) {
    if (node.kind !== 'OperationDefinition') continue
    const root = node.operation === 'query' ? schema.getQueryType() : node.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType()
    const m = measureSelection(schema, fragments, root, node.selectionSet, { ...limits, maxVisits: limits.maxCost })
    if (m.depth > limits.maxDepth) errors.push(codedGraphqlError('KL_API_GRAPHQL_DEPTH', `The query nests fields ${m.depth} levels deep; the server allows ${limits.maxDepth}.`))
    if (m.aliases > limits.maxAliases) errors.push(codedGraphqlError('KL_API_GRAPHQL_ALIASES', `The query uses ${m.aliases} aliases; the server allows ${limits.maxAliases}.`))
    if (m.cost > limits.maxCost) errors.push(codedGraphqlError('KL_API_GRAPHQL_COST', `The query may read up to ${m.cost} field values; the server's budget is ${limits.maxCost}. Give nested lists a smaller limit.`))
  }
  if (errors.length > 0) throw Object.assign(new Error(errors[0]!.message), { errors })
}

/** Introspection refused (production without `graphql: { introspection: true }`). */
export const noIntrospectionRule: ValidationRule = (context) => ({
  Field(node) {
    const name = node.name.value
    if (name === '__schema' || name === '__type') context.reportError(codedGraphqlError('KL_API_GRAPHQL_INTROSPECTION', `Introspection ("${name}") is off on this server.`))
  },
})
