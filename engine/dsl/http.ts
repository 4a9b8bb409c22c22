/**
 * Protection settings of the HTTP server: which browser origins may call it (CORS), the response
 * headers every answer carries, and request rate limits.
 *
 * @example
 * http: {
 *   cors: { origins: ['https://app.example.com'] },
 *   headers: { 'x-frame-options': 'DENY', 'permissions-policy': 'camera=()' },
 *   rateLimit: { global: { max: 600, window: '1m' }, perRoute: { 'POST /api/comments': { max: 20, window: '1m' } }, perRole: { admin: { max: 5000, window: '1m' } } },
 * }
 */
export interface HttpDef {
  readonly cors?: CorsDef
  /**
   * Response headers, by lower-case name, merged over the security headers every answer carries
   * (helmet's defaults): a string sets or replaces one, `false` removes one.
   */
  readonly headers?: Readonly<Record<string, string | false>>
  readonly rateLimit?: RateLimitDef
}

export interface CorsDef {
  /**
   * Origins (`'https://app.example.com'`) whose pages may call the API and read its answers, and
   * send writes with the session cookie. Beside `auth.publicUrl` and `auth.trustedOrigins`; under
   * `koyalite dev` every `http://localhost:<port>` and `http://127.0.0.1:<port>` origin is admitted too.
   */
  readonly origins?: readonly string[]
  /** Let browsers send the session cookie on cross-origin requests from those origins. Default true. */
  readonly credentials?: boolean
}

/** A number of requests per time window, per caller (a signed-in user, else a client address). */
export interface LimitDef {
  readonly max: number
  /** `'10s'`, `'1m'`, `'1h'`. */
  readonly window: string
}

export interface RateLimitDef {
  /** Every route's limit, per caller. Absent: no limit (the limiter does no work at all). */
  readonly global?: LimitDef
  /** Limits of single routes, keyed `'METHOD /path'` as registered (`'POST /api/tasks'`, `'GET /api/tasks/:id'`). */
  readonly perRoute?: Readonly<Record<string, LimitDef>>
  /** The global limit for signed-in users holding a role (the highest of their roles' limits applies). */
  readonly perRole?: Readonly<Record<string, LimitDef>>
}
