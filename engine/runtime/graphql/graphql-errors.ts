import type { FastifyBaseLogger } from 'fastify'
import type { GraphQLError, GraphQLFormattedError } from 'graphql'
import { KoyaError, type KoyaErrorCode } from '../../shared/errors.ts'
import { errorCodes } from '../../shared/error-codes.ts'

/**
 * Every GraphQL error as `{ message, locations?, path?, extensions: { code, hint } }` with a KL_*
 * code: KoyaErrors keep theirs, graphql-js's parse and validation errors are KL_API_GRAPHQL_INVALID,
 * and anything unexpected is KL_INT_UNEXPECTED with a fixed message (the error goes to the log:
 * no SQL, stack or cause reaches a response).
 */
export function formatGraphqlError(error: GraphQLError, log: FastifyBaseLogger): GraphQLFormattedError {
  const where = { ...(error.locations ? { locations: error.locations } : {}), ...(error.path ? { path: error.path } : {}) }
  const coded = (code: KoyaErrorCode, message: string, hint?: string): GraphQLFormattedError => ({ message, ...where, extensions: { code, hint: hint ?? errorCodes[code].solution } })
  const original = error.originalError
  if (original instanceof KoyaError) {
    if (original.cause !== undefined) log.info({ err: original.cause, code: original.code }, 'graphql field refused')
    return coded(original.code, original.message, original.hint)
  }
  const code = error.extensions?.code
  if (typeof code === 'string' && code in errorCodes) return coded(code as KoyaErrorCode, error.message, typeof error.extensions.hint === 'string' ? error.extensions.hint : undefined)
  const merCode = (original as { code?: unknown } | undefined)?.code
  // Apollo-style clients look for the message "PersistedQueryNotFound": Mercurius's own is kept.
  if (typeof merCode === 'string' && merCode.startsWith('MER_ERR_GQL_PERSISTED_QUERY')) return coded('KL_API_GRAPHQL_PERSISTED_QUERY', error.message)
  // graphql-js's own, before execution (no path): a syntax or validation error, a variable that
  // does not coerce. Their messages describe the query, never the server.
  if (original === undefined || original === null || error.path === undefined || (typeof merCode === 'string' && merCode.startsWith('MER_ERR_'))) return coded('KL_API_GRAPHQL_INVALID', error.message)
  log.error({ err: original }, 'a graphql field failed')
  return coded('KL_INT_UNEXPECTED', 'The server failed to resolve this field.')
}

/** Codes that refuse a whole request (nothing ran): answered with 400 when there is no data. */
const REQUEST_LEVEL = new Set<string>(['KL_API_GRAPHQL_INVALID', 'KL_API_GRAPHQL_DEPTH', 'KL_API_GRAPHQL_ALIASES', 'KL_API_GRAPHQL_COST', 'KL_API_GRAPHQL_INTROSPECTION', 'KL_API_GRAPHQL_PERSISTED_QUERY', 'KL_API_GRAPHQL_BATCH'])

/**
 * Mercurius's errorFormatter: flattens its validation wrapper (MER_ERR_GQL_VALIDATION holds the
 * graphql-js errors) and codes every error. A request refused before execution is a 400; errors
 * during execution come with 200 and the data that could be read (GraphQL over HTTP).
 */
export function graphqlErrorFormatter(execution: { data?: unknown; errors: readonly GraphQLError[] }, context: { reply?: { log: FastifyBaseLogger }; app?: { log: FastifyBaseLogger } } | undefined) {
  const log = context?.reply?.log ?? context?.app?.log
  const flat = execution.errors.flatMap((error) => {
    const inner = (error.originalError as { errors?: unknown } | undefined)?.errors
    return Array.isArray(inner) ? (inner as GraphQLError[]) : [error]
  })
  const errors = flat.map((e) => formatGraphqlError(toGraphqlShape(e), log ?? silentLog))
  const refused = (execution.data === undefined || execution.data === null) && errors.every((e) => REQUEST_LEVEL.has(String(e.extensions?.code)))
  return { statusCode: refused ? 400 : 200, response: { data: execution.data ?? null, errors } }
}

/** Mercurius hands plain Errors in places (a syntax error it re-threw): seen as GraphQL errors without a source. */
function toGraphqlShape(error: unknown): GraphQLError {
  if (error !== null && typeof error === 'object' && 'extensions' in error && 'message' in error) return error as GraphQLError
  const plain = error as Error
  return { message: plain.message, originalError: plain, extensions: {} } as unknown as GraphQLError
}

const silentLog = { info() {}, error() {} } as unknown as FastifyBaseLogger
