import { KoyaError } from '../../../shared/errors.ts'

/** What an S3 client error looks like, whichever SDK class carries it. */
interface S3ErrorShape {
  readonly name?: string
  readonly code?: string
  readonly Code?: string
  readonly $metadata?: { readonly httpStatusCode?: number }
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE', 'TimeoutError', 'RequestTimeout'])
const DENIED = new Set(['AccessDenied', 'SignatureDoesNotMatch', 'InvalidAccessKeyId', 'InvalidToken', 'ExpiredToken', 'Forbidden'])

/** The HTTP status of an S3 error response, if the server answered at all. */
export function s3Status(error: unknown): number | undefined {
  return (error as S3ErrorShape | null)?.$metadata?.httpStatusCode
}

/** True when S3 answered "no such object" (GetObject's NoSuchKey, HeadObject's bodiless 404). */
export function isS3NotFound(error: unknown): boolean {
  const shape = error as S3ErrorShape | null
  if (shape?.name === 'NoSuchBucket' || shape?.Code === 'NoSuchBucket') return false
  return shape?.name === 'NoSuchKey' || shape?.name === 'NotFound' || s3Status(error) === 404
}

/**
 * One coded error for a failed S3 call: the S3 error name and status go to `details` (for logs),
 * the secret key and signature never do (the SDK does not put them on its errors).
 */
export function s3Error(error: unknown, operation: string, target: string): KoyaError {
  if (error instanceof KoyaError) return error
  const shape = (error ?? {}) as S3ErrorShape
  const name = shape.name ?? shape.Code ?? shape.code ?? 'Error'
  const status = s3Status(error)
  const details = { operation, target, s3Error: name, status }
  if (status === undefined && (NETWORK_CODES.has(shape.code ?? '') || NETWORK_CODES.has(name))) {
    return new KoyaError('KL_STORAGE_S3_UNREACHABLE', `The S3 server did not answer ${operation} of "${target}" (${shape.code ?? name}).`, { cause: error, details })
  }
  if (DENIED.has(name) || status === 403) {
    return new KoyaError('KL_STORAGE_S3_ACCESS_DENIED', `The S3 server refused ${operation} of "${target}" (${name}).`, { cause: error, details })
  }
  if (name === 'NoSuchBucket') {
    return new KoyaError('KL_STORAGE_S3_NO_BUCKET', `The S3 bucket for "${target}" does not exist.`, { cause: error, details })
  }
  if (name === 'InvalidRange' || status === 416) {
    return new KoyaError('KL_STORAGE_S3_INVALID_RANGE', `The byte range asked of "${target}" lies outside the object.`, { cause: error, details })
  }
  return new KoyaError('KL_STORAGE_S3_FAILED', `S3 ${operation} of "${target}" failed (${name}${status === undefined ? '' : `, HTTP ${status}`}).`, { cause: error, details })
}
