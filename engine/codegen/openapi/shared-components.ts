import type { KoyaErrorCode } from '../../shared/errors.ts'
import type { JsonSchema } from '../json-schema/column-schemas.ts'
import type { ParameterObject, Reference, ResponseObject } from './openapi-types.ts'

/** The parameters and error responses every table's operations share, as OpenAPI components. */

/** The largest page `limit` takes (the query grammar's DEFAULT_QUERY_LIMITS.maxLimit). */
export const MAX_LIMIT = 1000

export const FILTER_REQUIRED: KoyaErrorCode = 'KL_API_FILTER_REQUIRED'

/** The media type that asks for one row as an object instead of an array (PostgREST's). */
export const SINGLE_OBJECT = 'application/vnd.pgrst.object+json'

export type SharedParameter = 'id' | 'select' | 'order' | 'limit' | 'offset' | 'or' | 'and' | 'on_conflict' | 'columns' | 'preferCount' | 'preferCreate' | 'preferWrite'

/**
 * The error responses, by meaning. Their statuses follow the runtime's code → status map
 * (engine/runtime/rest/http-errors.ts): body validation is a 400, a broken reference or check 422.
 */
export type ErrorResponse =
  | 'BadRequest'
  | 'BadWrite'
  | 'FilterRequired'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'NotAcceptable'
  | 'Conflict'
  | 'PayloadTooLarge'
  | 'ConstraintFailed'

export const parameterRef = (name: SharedParameter): Reference => ({ $ref: `#/components/parameters/${name}` })
export const responseRef = (name: ErrorResponse): Reference => ({ $ref: `#/components/responses/${name}` })
export const schemaRef = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` })
export const json = (schema: JsonSchema) => ({ 'application/json': { schema } })

export function sharedParameters(): Record<SharedParameter, ParameterObject> {
  const query = (name: string, description: string, schema: JsonSchema): ParameterObject => ({ name, in: 'query', required: false, description, schema })
  const prefer = (description: string, examples: string[]): ParameterObject => ({ name: 'Prefer', in: 'header', required: false, description, schema: { type: 'string', examples } })
  return {
    id: { name: 'id', in: 'path', required: true, description: 'The row\'s `id`.', schema: { type: 'string', format: 'uuid' } },
    select: query(
      'select',
      'The columns to return and the related rows to embed, comma-separated: `id,title,project(name)`. Rename with `alias:column`, keep only rows with a match with `relation!inner(…)`. Default `*`.',
      { type: 'string', examples: ['*'] },
    ),
    order: query('order', 'Sort terms, comma-separated: `column`, `column.desc`, `column.asc.nullslast`.', { type: 'string', examples: ['createdAt.desc'] }),
    limit: query('limit', `At most this many rows (${MAX_LIMIT} at most).`, { type: 'integer', minimum: 0, maximum: MAX_LIMIT }),
    offset: query('offset', 'Skip this many rows.', { type: 'integer', minimum: 0 }),
    or: query('or', 'Conditions of which any must hold: `(status.eq.todo,priority.gt.1)`; nest with `and(…)`, negate one with `not.`.', { type: 'string', examples: ['(a.eq.1,b.is.null)'] }),
    and: query('and', 'Conditions that must all hold, for nesting `or(…)` inside: `(a.gte.1,or(b.eq.x,b.eq.y))`.', { type: 'string', examples: ['(a.gte.1,a.lte.9)'] }),
    on_conflict: query('on_conflict', 'The unique column(s) an upsert matches on, comma-separated; use with `Prefer: resolution=merge-duplicates`.', { type: 'string', examples: ['id'] }),
    columns: query('columns', 'The columns to take from each row of the body, comma-separated; other keys are ignored.', { type: 'string', examples: ['title,status'] }),
    preferCount: prefer('`count=exact` puts the total number of matching rows in `Content-Range`.', ['count=exact']),
    preferCreate: prefer(
      '`return=representation` answers with the created rows (otherwise the body is empty); `resolution=merge-duplicates` or `resolution=ignore-duplicates` (with `on_conflict`) makes the insert an upsert. Combine with commas.',
      ['return=representation', 'return=representation, resolution=merge-duplicates'],
    ),
    preferWrite: prefer('`return=representation` answers 200 with the affected rows; otherwise (`return=minimal`, the default) 204 without a body.', ['return=representation', 'return=minimal']),
  }
}

/** `code1`, `code2`: typed, so a code retired from the registry breaks the build here. */
function codes(...list: KoyaErrorCode[]): string {
  return list.map((code) => `\`${code}\``).join(', ')
}

const badQuery = codes(
  'KL_API_BAD_REQUEST',
  'KL_API_BAD_FILTER',
  'KL_API_BAD_SELECT',
  'KL_API_BAD_ORDER',
  'KL_API_BAD_PAGINATION',
  'KL_API_BAD_COLUMN_LIST',
  'KL_API_UNKNOWN_COLUMN',
  'KL_API_UNKNOWN_RELATION',
  'KL_API_UNSUPPORTED_SYNTAX',
  'KL_API_LIMIT_EXCEEDED',
)

export function errorResponses(errorSchema: string): Record<ErrorResponse, ResponseObject> {
  const response = (description: string): ResponseObject => ({ description, content: json(schemaRef(errorSchema)) })
  const badBody = `does not match the table's schema: a type, a required column, an enum value, a length or an unknown field (${codes('KL_API_VALIDATION')})`
  return {
    BadRequest: response(`The request cannot be read: a malformed filter, \`select\`, \`order\`, page or column list, an unknown column or relation, unsupported syntax, or a server limit. Codes: ${badQuery}.`),
    BadWrite: response(`The body ${badBody}; or the request cannot be read (${badQuery}).`),
    FilterRequired: response(`No filter was given (${codes(FILTER_REQUIRED)}): a PATCH or DELETE on a whole table needs at least one. Or the body ${badBody}; or the request cannot be read (${badQuery}).`),
    Unauthorized: response(
      `A bearer token that is no live session: empty, expired, revoked or mistyped (${codes('KL_AUTH_REQUIRED')}); or an anonymous caller where the policy needs a user (${codes('KL_API_UNAUTHORIZED')}).`,
    ),
    Forbidden: response('A policy refused the write; the message names the policy.'),
    NotFound: response(`No row has this \`id\`, or you may not read it: the two answer alike (${codes('KL_API_NOT_FOUND')}).`),
    NotAcceptable: response(`\`Accept: ${SINGLE_OBJECT}\` asked for one object, but the result has another number of rows (${codes('KL_API_NOT_ACCEPTABLE')}).`),
    Conflict: response(`The write breaks a unique constraint: a row with the same value exists (${codes('KL_API_CONFLICT')}).`),
    PayloadTooLarge: response(`The body is larger than the server accepts (${codes('KL_API_PAYLOAD_TOO_LARGE')}).`),
    ConstraintFailed: response(`The write breaks a constraint: a reference to a row that does not exist, a row still referenced, or a value check (${codes('KL_API_CONSTRAINT')}).`),
  }
}
