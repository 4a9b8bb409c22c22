import { BUILD_ERROR_CODES } from './error-codes/build.ts'
import { OPERATE_ERROR_CODES } from './error-codes/operate.ts'
import { SERVE_ERROR_CODES } from './error-codes/serve.ts'
import { STORAGE_ERROR_CODES } from './error-codes/storage.ts'
import { COMPLIANCE_ERROR_CODES } from './error-codes/compliance.ts'

/**
 * The registry of error codes: `KL_<FAMILY>_<REASON>`, each with what it means and how to solve
 * it. `docs/errors.md` is printed from it (errors.ts, printErrorsDoc; a test keeps the two in
 * step). A code, once published, keeps its meaning; a retired code is marked `retired` and never
 * reused. The entries live by audience in error-codes/ (build, serve, operate), in this order.
 */

export interface ErrorCodeInfo {
  /** What the problem is, in one sentence. */
  readonly description: string
  /** How to solve it: the default hint when the thrower gives none. */
  readonly solution: string
  /** Set when the code is no longer emitted. Retired codes are never reused. */
  readonly retired?: true
}

export const errorCodes = {
  ...BUILD_ERROR_CODES,
  ...SERVE_ERROR_CODES,
  ...OPERATE_ERROR_CODES,
  ...STORAGE_ERROR_CODES,
  ...COMPLIANCE_ERROR_CODES,
} as const satisfies Record<string, ErrorCodeInfo>
