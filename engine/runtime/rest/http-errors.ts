import { KoyaError, type KoyaErrorCode } from '../../shared/errors.ts'

type ApiCode = Extract<KoyaErrorCode, `KL_API_${string}`>

/** Every API error code's HTTP status, in one place. A new KL_API_ code does not build until it is here. */
export const API_STATUS: Record<ApiCode, number> = {
  KL_API_BAD_REQUEST: 400,
  KL_API_BAD_FILTER: 400,
  KL_API_BAD_SELECT: 400,
  KL_API_BAD_ORDER: 400,
  KL_API_BAD_PAGINATION: 400,
  KL_API_BAD_COLUMN_LIST: 400,
  KL_API_UNSUPPORTED_SYNTAX: 400,
  KL_API_LIMIT_EXCEEDED: 400,
  KL_API_UNKNOWN_COLUMN: 400,
  KL_API_UNKNOWN_RELATION: 400,
  KL_API_VALIDATION: 400,
  KL_API_FILTER_REQUIRED: 400,
  KL_API_UNAUTHORIZED: 401,
  KL_API_NOT_FOUND: 404,
  KL_API_NOT_ACCEPTABLE: 406,
  KL_API_CONFLICT: 409,
  KL_API_PAYLOAD_TOO_LARGE: 413,
  KL_API_CONSTRAINT: 422,
}

export function statusOf(error: KoyaError): number {
  return (API_STATUS as Record<string, number>)[error.code] ?? 500
}
