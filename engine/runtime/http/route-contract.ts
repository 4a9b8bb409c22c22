import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema } from 'fastify'
import type { RouteContract, RouteParameter, RouteSchema } from '../../ir/routes/route-contract.ts'
import { assertNever } from '../../shared/assert-never.ts'
import { KoyaError } from '../../shared/errors.ts'

/**
 * Serving the route contract (engine/ir/routes): each entry becomes one Fastify route whose
 * request schemas compile at registration and drive validation, answered by the handler the
 * feature attaches to the entry's id.
 */

/**
 * What answers one contract entry: a Fastify handler.
 *
 * @example
 * const getSession: RouteHandler = async (request, reply) => reply.code(200).send(sessionOf(request))
 */
export type RouteHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>

/**
 * One handler per operation id: a missing or an extra id does not compile.
 *
 * @example
 * const handlers: RouteHandlers<AdminRouteId> = { grantRole, revokeRole, revokeSessions, listAuditEntries }
 */
export type RouteHandlers<Id extends string> = { readonly [K in Id]: RouteHandler }

export interface ContractRegistration<Id extends string> {
  /** Every id the feature declares (AUTH_ROUTE_IDS…): a handler under another key is refused. */
  readonly ids: readonly Id[]
  /** The entries this app serves (the contract depends on its configuration). */
  readonly routes: readonly RouteContract<Id>[]
  readonly handlers: RouteHandlers<Id>
  /** Whether the request comes without credentials (or with a bearer token that is no session). */
  readonly isAnonymous: (request: FastifyRequest) => boolean
}

/**
 * Register the entries on `app`, in an encapsulated plugin. (The server's JSON parser reads an
 * empty body as no body, which a route without a body schema accepts and one with refuses.) An
 * anonymous caller of a `session` or `admin` entry is refused with 401 KL_AUTH_REQUIRED
 * before its handler runs.
 *
 * @throws KoyaError KL_INT_UNEXPECTED when an entry has no handler or a handler no entry.
 *
 * @example
 * registerContractRoutes(app, { ids: ADMIN_ROUTE_IDS, routes: adminRoutes(model).routes, handlers, isAnonymous: (r) => auth.authOf(r).actor.kind === 'anonymous' })
 */
export function registerContractRoutes<Id extends string>(app: FastifyInstance, registration: ContractRegistration<Id>): void {
  const { ids, routes, handlers, isAnonymous } = registration
  const known = new Set<string>(ids)
  const stray = Object.keys(handlers).filter((id) => !known.has(id))
  const missing = routes.filter((route) => typeof handlers[route.id] !== 'function').map((route) => route.id)
  if (stray.length > 0 || missing.length > 0) {
    throw new KoyaError('KL_INT_UNEXPECTED', `The route contract and its handlers disagree: ${[...missing.map((id) => `"${id}" has no handler`), ...stray.map((id) => `handler "${id}" has no contract entry`)].join(', ')}.`)
  }
  // Not awaited: the plugin loads with the server (app.ready), after the server has set its
  // error handler, so these routes answer errors the same way as every other route.
  void app.register(async (child) => {
    for (const route of routes) {
      const handler = handlers[route.id]
      child.route({
        method: route.method,
        url: route.path,
        schema: schemaOf(route),
        handler: async (request, reply) => {
          if (route.auth !== 'public' && isAnonymous(request)) throw anonymousRefusal(route, request)
          return handler(request, reply)
        },
      })
    }
  })
}

function anonymousRefusal(route: RouteContract, request: FastifyRequest): KoyaError {
  const auth = route.auth
  switch (auth) {
    case 'public':
    case 'session':
      return new KoyaError('KL_AUTH_REQUIRED', 'The request has no valid session.', { hint: 'Sign in with POST /auth/login and send the session token as `Authorization: Bearer <token>`.' })
    case 'admin':
      return new KoyaError('KL_AUTH_REQUIRED', `${request.method} ${request.url.split('?')[0]} needs an admin's session or the service key.`)
    default:
      return assertNever(auth, 'route auth')
  }
}

/**
 * The Fastify schema of an entry: its params, query and body, as JSON Schema objects.
 *
 * @example
 * schemaOf(route).body // the entry's body schema, compiled by Fastify at registration
 */
export function schemaOf(route: RouteContract): FastifySchema {
  const objectOf = (parameters: readonly RouteParameter[], closed: boolean, allRequired: boolean): RouteSchema => {
    const required = parameters.filter((p) => allRequired || p.required === true).map((p) => p.name)
    return {
      type: 'object',
      properties: Object.fromEntries(parameters.map((p) => [p.name, p.schema])),
      ...(required.length > 0 ? { required } : {}),
      ...(closed ? { additionalProperties: false } : {}),
    }
  }
  return {
    ...(route.params ? { params: objectOf(route.params, false, true) } : {}),
    ...(route.query ? { querystring: objectOf(route.query, route.closedQuery ?? true, false) } : {}),
    // A binary body is streamed by the handler, never parsed or validated as JSON.
    ...(route.body && route.body.binary !== true ? { body: route.body.schema } : {}),
  }
}
