import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify'
import type { HttpIR, LimitIR } from '../../ir/http-ir.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { Actor } from '../data/data-layer.ts'

export interface RateLimitDeps {
  /** Who a request is (the auth module's answer, asked at request time). */
  actorOf(request: FastifyRequest): Actor
}

/** Whether any limit is configured: without one the limiter is not registered and costs nothing. */
export function hasRateLimits(limits: HttpIR['rateLimit']): boolean {
  return limits.global !== null || limits.perRoute.length > 0
}

/**
 * `http.rateLimit` on every route registered after this (so the protection module registers
 * first), with @fastify/rate-limit's in-memory store: each caller is keyed by user id when signed
 * in and by client address otherwise (behind a proxy, set KOYA_TRUST_PROXY); the service key is
 * not limited. Over the limit: 429 `KL_API_RATE_LIMITED` with `Retry-After`.
 *
 * @example
 * await registerRateLimits(app, http.rateLimit, { actorOf: runtime.actorOf })
 */
export async function registerRateLimits(app: FastifyInstance, limits: HttpIR['rateLimit'], deps: RateLimitDeps): Promise<void> {
  const actorOf = (request: FastifyRequest): Actor | undefined => {
    try {
      return deps.actorOf(request)
    } catch {
      // A dead bearer token: the route itself answers 401; the limit keys on the address.
      return undefined
    }
  }
  const perRole = limits.perRole
  const limitOf = (request: FastifyRequest): LimitIR => {
    const global = limits.global!
    if (perRole.length === 0) return global
    const actor = actorOf(request)
    if (actor?.kind !== 'user') return global
    let best: LimitIR | undefined
    for (const entry of perRole) if (actor.roles.includes(entry.role) && (best === undefined || entry.max > best.max)) best = entry
    return best ?? global
  }
  const perRoute = new Map(limits.perRoute.map((entry) => [entry.route, entry]))
  // Before the plugin's own onRoute hook: a route named in perRoute gets its own limit.
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    for (const method of methods) {
      const entry = perRoute.get(`${method} ${route.url}`)
      if (entry !== undefined) route.config = { ...(route.config as object), rateLimit: { max: entry.max, timeWindow: entry.windowMs } }
    }
  })
  // Loaded only when the app configures a limit (this function is not called otherwise).
  const { default: rateLimit } = await import('@fastify/rate-limit')
  await app.register(rateLimit, {
    global: limits.global !== null,
    ...(limits.global !== null ? { max: (request: FastifyRequest) => limitOf(request).max, timeWindow: (request: FastifyRequest) => limitOf(request).windowMs } : {}),
    keyGenerator(request) {
      const actor = actorOf(request)
      return actor?.kind === 'user' ? `user:${actor.userId}` : `address:${request.ip}`
    },
    allowList: (request) => actorOf(request)?.kind === 'system',
    errorResponseBuilder(_request, context) {
      const retryAfterSeconds = Math.max(1, Math.ceil(context.ttl / 1000))
      return new KoyaError('KL_API_RATE_LIMITED', `Too many requests: at most ${context.max} per window; retry in ${context.after}.`, {
        hint: 'Wait for the time Retry-After gives, then retry; send fewer requests per minute.',
        details: { retryAfterSeconds },
      })
    },
  })
}
