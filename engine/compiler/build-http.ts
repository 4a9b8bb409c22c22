import { z } from 'zod'
import type { HttpDef } from '../dsl/http.ts'
import type { EnvironmentsDef } from '../dsl/config.ts'
import { ENVIRONMENT_NAMES, type EnvironmentName, type EnvironmentOverridesIR, type HttpIR, type LimitIR } from '../ir/http-ir.ts'
import { parseDurationMs } from '../shared/durations.ts'
import type { Problems } from './problems.ts'

const limit = z.strictObject({
  max: z.number().int('Expected a whole number').positive('Expected a number above 0'),
  window: z.string().regex(/^[1-9]\d*(ms|s|m|h|d)$/, 'Expected a duration such as "10s", "1m" or "1h"'),
})

/** The zod shape of `http` (part of configDefSchema). */
export const httpDefSchema = z.strictObject({
  cors: z.strictObject({ origins: z.array(z.string()).optional(), credentials: z.boolean().optional() }).optional(),
  headers: z.record(z.string(), z.union([z.string(), z.literal(false)])).optional(),
  rateLimit: z
    .strictObject({
      global: limit.optional(),
      perRoute: z.record(z.string(), limit).optional(),
      perRole: z.record(z.string(), limit).optional(),
    })
    .optional(),
})

/** The zod shape of `environments` (part of configDefSchema). */
export const environmentsDefSchema = z.strictObject(Object.fromEntries(ENVIRONMENT_NAMES.map((name) => [name, z.strictObject({ http: httpDefSchema.optional() }).optional()])))

const ROUTE_KEY = /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) \/\S*$/
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/

/**
 * `http` as model.json holds it, with every problem collected (origins that are not origins,
 * route keys that are not `METHOD /path`, roles that do not exist, header names that are not tokens).
 */
export function buildHttp(def: HttpDef, roles: readonly string[], problems: Problems, at: string): HttpIR {
  const where = problems.atConfig(at)
  const origins = (def.cors?.origins ?? []).filter((origin, i) => {
    if (URL.canParse(origin) && ['http:', 'https:'].includes(new URL(origin).protocol) && new URL(origin).origin === origin) return true
    problems.add('KL_DEF_INVALID', `${at}.cors.origins[${i}] "${origin}" is not an origin.`, where, "Write scheme, host and port only, e.g. 'https://app.example.com' (no path, no trailing slash).")
    return false
  })
  const headers: Record<string, string | false> = {}
  for (const [name, value] of Object.entries(def.headers ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    if (!HEADER_NAME.test(name)) {
      problems.add('KL_DEF_INVALID', `${at}.headers "${name}" is not a lower-case header name.`, where, "Write header names in lower case, e.g. 'permissions-policy'.")
    } else if (typeof value === 'string' && /[\r\n]/.test(value)) {
      problems.add('KL_DEF_INVALID', `${at}.headers "${name}" has a line break in its value.`, where, 'Write the value on one line.')
    } else headers[name] = value
  }
  const toLimit = (l: { max: number; window: string }): LimitIR => ({ max: l.max, windowMs: parseDurationMs(l.window) })
  const rate = def.rateLimit
  const perRoute = Object.entries(rate?.perRoute ?? {}).filter(([route]) => {
    if (ROUTE_KEY.test(route)) return true
    problems.add('KL_DEF_INVALID', `${at}.rateLimit.perRoute "${route}" is not a route.`, where, "Key each limit by method and path as registered, e.g. 'POST /api/tasks' or 'GET /api/tasks/:id'.")
    return false
  })
  const perRole = Object.entries(rate?.perRole ?? {}).filter(([role]) => {
    if (roles.includes(role)) return true
    problems.add('KL_DEF_INVALID', `${at}.rateLimit.perRole "${role}" is not a role of the app.`, where, `Use one of: ${roles.join(', ')}; or add it to roles.`)
    return false
  })
  return {
    cors: { origins: [...new Set(origins)].sort(), credentials: def.cors?.credentials ?? true },
    headers,
    rateLimit: {
      global: rate?.global ? toLimit(rate.global) : null,
      perRoute: perRoute.map(([route, l]) => ({ route, ...toLimit(l) })).sort((a, b) => a.route.localeCompare(b.route)),
      perRole: perRole.map(([role, l]) => ({ role, ...toLimit(l) })).sort((a, b) => a.role.localeCompare(b.role)),
    },
  }
}

/** `environments` as model.json holds it: only the environments that override something. */
export function buildEnvironments(def: EnvironmentsDef, roles: readonly string[], problems: Problems): Partial<Record<EnvironmentName, EnvironmentOverridesIR>> {
  const result: Partial<Record<EnvironmentName, EnvironmentOverridesIR>> = {}
  for (const name of ENVIRONMENT_NAMES) {
    const overrides = def[name]
    if (overrides?.http !== undefined) result[name] = { http: buildHttp(overrides.http, roles, problems, `environments.${name}.http`) }
  }
  return result
}
