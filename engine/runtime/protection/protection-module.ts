import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { defineModule } from '../modules/feature-module.ts'
import { httpSettingsOf } from './http-settings.ts'
import { hasRateLimits, registerRateLimits } from './rate-limits.ts'
import { securityHeadersOf } from './security-headers.ts'

/**
 * The protection settings of `http` (docs/operations.md): security headers on every route and the
 * rate limits. Global and first in FEATURE_MODULES, because both attach to routes as they are
 * registered (onRoute). CORS is the auth module's, beside the CSRF check that shares its origins.
 */
export const protectionModule = defineModule({
  name: 'protection',
  systemMigrations: [],
  global: true,
  async register(app, runtime) {
    const http = httpSettingsOf(runtime.model, runtime.env, runtime.dev)
    const headers = securityHeadersOf(http.headers, { dev: runtime.dev })
    // One synchronous hook that sets a header set computed once: the cheapest way to put a dozen
    // headers on every answer, errors and 404s included (a later reply.header of a route, such as
    // /docs' own CSP, replaces one). GraphiQL's pages get their own set on top.
    const api = headers.api
    app.addHook('onRequest', (_request, reply, done) => {
      reply.headers(api)
      done()
    })
    const graphiql = headers.graphiql
    const graphiqlHeaders = (_request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      reply.headers(graphiql)
      done()
    }
    app.addHook('onRoute', (route: RouteOptions) => {
      if (!route.url.startsWith('/graphiql')) return
      route.onRequest = route.onRequest === undefined ? [graphiqlHeaders] : [...(Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]), graphiqlHeaders]
    })
    if (hasRateLimits(http.rateLimit)) await registerRateLimits(app, http.rateLimit, { actorOf: (request) => runtime.actorOf(request) })
  },
})
