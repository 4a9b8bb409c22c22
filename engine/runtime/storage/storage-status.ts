import type { KoyaErrorCode } from '../../shared/errors.ts'

/** The HTTP status of every KL_STORAGE_* code (merged into rest/http-errors.ts API_STATUS). */
export const STORAGE_STATUS: Record<Extract<KoyaErrorCode, `KL_STORAGE_${string}`>, number> = {
  KL_STORAGE_UNKNOWN_BUCKET: 404,
  KL_STORAGE_NOT_FOUND: 404,
  KL_STORAGE_TOO_LARGE: 413,
  KL_STORAGE_TYPE_NOT_ALLOWED: 415,
  KL_STORAGE_QUOTA_EXCEEDED: 413,
  KL_STORAGE_SIGNATURE_INVALID: 403,
  KL_STORAGE_SIGNATURE_EXPIRED: 403,
  KL_STORAGE_BAD_NAME: 400,
  KL_STORAGE_BAD_UPLOAD: 400,
  KL_STORAGE_BAD_RANGE: 416,
  KL_STORAGE_BAD_FILE: 400,
  // Raised at start, never in a response.
  KL_STORAGE_DRIVER_CONFIG: 500,
  KL_STORAGE_DRIVER_UNAVAILABLE: 500,
}
