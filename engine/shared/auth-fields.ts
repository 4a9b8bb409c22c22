/**
 * The request fields of /auth and /admin as JSON Schema, in one place: the runtime validates
 * requests with them (engine/runtime/auth) and the OpenAPI document describes them
 * (engine/codegen/openapi), so the two cannot drift apart.
 */

/** NIST SP 800-63B: at least 8, allow at least 64; KoyaLite asks 10 and accepts up to 256 (code points, after NFKC). */
export const PASSWORD_MIN_LENGTH = 10
export const PASSWORD_MAX_LENGTH = 256

/**
 * @example
 * const loginBody = { type: 'object', properties: { email: AUTH_FIELDS.email, password: AUTH_FIELDS.password }, required: ['email', 'password'], additionalProperties: false }
 */
export const AUTH_FIELDS = {
  email: { type: 'string', minLength: 3, maxLength: 320 },
  /** The longest value read where a password is; the rules (PASSWORD_*_LENGTH) say less. */
  password: { type: 'string', maxLength: 1024 },
  /** The `token` of an emailed link. */
  token: { type: 'string', minLength: 1, maxLength: 128 },
  userId: { type: 'string', minLength: 1, maxLength: 64 },
  /** Why an admin impersonates: it goes into the audit log. */
  reason: { type: 'string', minLength: 1, maxLength: 500 },
} as const
