import { KoyaError, type KoyaErrorCode } from '../../shared/errors.ts'
import type { PayloadValidator } from '../handlers/load-handlers.ts'

/**
 * A job's payload checked against its `payload` schema (job({ payload }), bundled into
 * generated/handlers/index.js): where it is enqueued (the admin API, ctx.enqueue) and again
 * when a run is claimed, so a run never starts on a payload its schema refuses.
 */

/** The most field problems one message names. */
const MAX_ISSUES = 5

/**
 * The parsed payload (with the schema's defaults and transforms), or a KoyaError with `code`
 * naming each refused field. A job without a schema takes any payload as it is.
 *
 * @example
 * const payload = checkJobPayload('digest', handlers.payloads.digest, body.payload, 'KL_API_VALIDATION')
 */
export function checkJobPayload(name: string, validator: PayloadValidator | undefined, payload: unknown, code: KoyaErrorCode): unknown {
  if (validator === undefined) return payload
  const result = validator.safeParse(payload)
  if (result.success) return result.data
  throw new KoyaError(code, `The payload of job "${name}" does not match its schema: ${describeIssues(result.error)}.`, {
    hint: `Give ${name} a payload of the shape job({ payload }) declares (see JobPayloads in the SDK, or POST /admin/jobs/${name}/run in openapi.json).`,
  })
}

/** zod's issues as `workspaceId: Invalid input: expected string, received number`; another validator's error as its message. */
function describeIssues(error: unknown): string {
  const issues = (error as { issues?: unknown } | undefined)?.issues
  if (!Array.isArray(issues) || issues.length === 0) return error instanceof Error ? error.message : 'refused'
  const lines = issues.slice(0, MAX_ISSUES).map((issue: { path?: readonly PropertyKey[]; message?: string }) => {
    const at = (issue.path ?? []).map(String).join('.')
    return `${at === '' ? '(the payload)' : at}: ${issue.message ?? 'invalid'}`
  })
  return lines.join('; ') + (issues.length > MAX_ISSUES ? ` (and ${issues.length - MAX_ISSUES} more)` : '')
}
