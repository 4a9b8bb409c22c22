import helmet, { type HelmetOptions } from 'helmet'
import { KoyaError } from '../../shared/errors.ts'

/** Response headers by lower-case name, computed once and set on every answer. */
export type HeaderSet = Readonly<Record<string, string>>

/** GraphiQL (dev only) loads its scripts and styles from unpkg and runs an inline bootstrap. */
const GRAPHIQL_SOURCES = ['https://unpkg.com']

/**
 * The security headers every answer carries: helmet's, computed once here (helmet rebuilds them
 * on every call, which costs a measurable part of a fast request), then the app's `http.headers`
 * merged over them (a string sets or replaces one, `false` removes one).
 *
 * Under `koyalite dev` (plain http on localhost) HSTS and `upgrade-insecure-requests` are left
 * out: a browser would then refuse the dev server's http pages on that host. Answers are
 * readable cross-origin as resources (`cross-origin-resource-policy: cross-origin`): CORS and the
 * session cookie's SameSite decide who reads data, and a front end on another origin shows images
 * the API serves.
 *
 * @example
 * const headers = securityHeadersOf({ 'x-frame-options': 'DENY' }, { dev: false })
 * reply.headers(headers.api)
 */
export function securityHeadersOf(custom: Readonly<Record<string, string | false>>, options: { readonly dev: boolean }): { readonly api: HeaderSet; readonly graphiql: HeaderSet } {
  const base: HelmetOptions = {
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    ...(options.dev ? { strictTransportSecurity: false } : {}),
    contentSecurityPolicy: { directives: options.dev ? { upgradeInsecureRequests: null } : {} },
  }
  const graphiql: HelmetOptions = {
    ...base,
    contentSecurityPolicy: {
      directives: {
        ...(options.dev ? { upgradeInsecureRequests: null } : {}),
        scriptSrc: ["'self'", "'unsafe-inline'", ...GRAPHIQL_SOURCES],
        styleSrc: ["'self'", "'unsafe-inline'", ...GRAPHIQL_SOURCES],
        connectSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', ...GRAPHIQL_SOURCES],
        fontSrc: ["'self'", 'data:', ...GRAPHIQL_SOURCES],
      },
    },
  }
  return { api: withCustom(helmetHeaders(base), custom), graphiql: withCustom(helmetHeaders(graphiql), custom) }
}

/** Run helmet once against a response that only records the headers it sets. */
function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {}
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()]
    },
  }
  let failure: unknown
  helmet(options)({} as never, response as never, (error?: unknown) => {
    failure = error
  })
  if (failure !== undefined) throw new KoyaError('KL_INT_UNEXPECTED', `The security headers could not be computed: ${String(failure)}`, { cause: failure })
  return headers
}

function withCustom(headers: Record<string, string>, custom: Readonly<Record<string, string | false>>): HeaderSet {
  const result = { ...headers }
  for (const [name, value] of Object.entries(custom)) {
    if (value === false) delete result[name]
    else result[name] = value
  }
  return Object.freeze(result)
}
