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

/** What a selection set asks for: its deepest field, its aliases and its estimated cost. */
export interface QueryMeasure {
  readonly depth: number
  readonly aliases: number
  readonly cost: number
}

const NOTHING: QueryMeasure = { depth: 0, aliases: 0, cost: 0 }
const plus = (a: QueryMeasure, b: QueryMeasure): QueryMeasure => ({ depth: Math.max(a.depth, b.depth), aliases: a.aliases + b.aliases, cost: a.cost + b.cost })

/**
 * Measure a selection set. Cost counts each field once per row the lists above it may return: a
 * list's size is its `limit` when written as a literal, the largest page when it is a variable
 * (which may be anything up to it), and the default page when there is none. Each fragment is
 * measured once and its measure reused at every spread (a cost scales with the rows above it), so
 * the work is linear in the document however its fragments multiply.
 */
export function measureSelection(schema: GraphQLSchema, fragments: Readonly<Record<string, FragmentDefinitionNode>>, root: GraphQLNamedType | null | undefined, set: SelectionSetNode, pages: Pick<GraphqlLimits, 'maxLimit' | 'defaultLimit'>): QueryMeasure {
  const measured = new Map<string, QueryMeasure | 'measuring'>()
  const fragment = (name: string): QueryMeasure => {
    const known = measured.get(name)
    // A cycle is refused by graphql-js's own rule; here it must only not loop.
    if (known === 'measuring') return NOTHING
    if (known !== undefined) return known
    const definition = fragments[name]
    if (definition === undefined) return NOTHING
    measured.set(name, 'measuring')
    const result = measure(definition.selectionSet, schema.getType(definition.typeCondition.name.value))
    measured.set(name, result)
    return result
  }
  const measure = (selections: SelectionSetNode, type: GraphQLNamedType | null | undefined): QueryMeasure => {
    let total = NOTHING
    for (const selection of selections.selections) {
      if (selection.kind === 'InlineFragment') total = plus(total, measure(selection.selectionSet, type))
      else if (selection.kind === 'FragmentSpread') total = plus(total, fragment(selection.name.value))
      else {
        const name = selection.name.value
        if (name.startsWith('__')) continue
        const field = isObjectType(type) ? type.getFields()[name] : undefined
        let below = NOTHING
        let size = 1
        if (selection.selectionSet !== undefined && field !== undefined) {
          below = measure(selection.selectionSet, getNamedType(field.type))
          const limitArg = selection.arguments?.find((a) => a.name.value === 'limit')
          const written = limitArg === undefined ? pages.defaultLimit : limitArg.value.kind === 'IntValue' ? Number(limitArg.value.value) : pages.maxLimit
          size = isListType(getNullableType(field.type)) ? Math.max(Math.min(written, pages.maxLimit), 1) : 1
        }
        total = plus(total, { depth: below.depth + 1, aliases: below.aliases + (selection.alias === undefined ? 0 : 1), cost: 1 + size * below.cost })
      }
    }
    return total
  }
  return measure(set, root)
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
    const m = measureSelection(schema, fragments, root, node.selectionSet, limits)
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
