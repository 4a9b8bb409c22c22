import { searchRoutes } from '../../engine/ir/routes/search-routes.ts'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { routeGroupsOf } from '../../engine/codegen/route-groups.ts'
import type { ProjectIR } from '../../engine/ir/project-ir.ts'
import { ADMIN_ROUTE_IDS } from '../../engine/ir/routes/admin-routes.ts'
import { JOBS_ROUTE_IDS } from '../../engine/ir/routes/jobs-routes.ts'
import { AUTH_ROUTE_IDS } from '../../engine/ir/routes/auth-routes.ts'
import { META_ROUTE_IDS } from '../../engine/ir/routes/meta-routes.ts'
import { REALTIME_ROUTE_IDS } from '../../engine/ir/routes/realtime-routes.ts'
import { STUDIO_ROUTE_IDS } from '../../engine/ir/routes/studio-routes.ts'
import { OBSERVABILITY_ROUTE_IDS } from '../../engine/ir/routes/observability-routes.ts'
import { PRIVACY_ROUTE_IDS } from '../../engine/ir/routes/privacy-routes.ts'
import { FUNCTIONS_ADMIN_ROUTE_IDS, functionRouteId } from '../../engine/ir/routes/functions-routes.ts'
import type { RouteContract, RouteSchema } from '../../engine/ir/routes/route-contract.ts'
import { registerContractRoutes } from '../../engine/runtime/http/route-contract.ts'
import { authApp, call, SERVICE_KEY, signedInUser, type AuthTestApp } from '../helpers/auth-app.ts'

/**
 * The route contract (engine/ir/routes) against the server that serves it: every entry is a
 * route and every /auth and /admin route an entry; what each entry says about its body and its
 * callers holds over real HTTP. No route is listed here by hand: the tests iterate the contract.
 */

let t: AuthTestApp
beforeAll(async () => {
  t = await authApp()
})
afterAll(() => t.close())

/** The reference app with every option that adds routes: both OAuth providers. */
function fullModel(model: ProjectIR): ProjectIR {
  return { ...model, auth: { ...model.auth, oauth: { github: model.auth.oauth.github, google: model.auth.oauth.github } } }
}

function contractOf(model: ProjectIR): RouteContract[] {
  return routeGroupsOf(model).flatMap((group): readonly RouteContract[] => group.routes)
}

/** `METHOD /path` of every route Fastify serves, read from its route tree (HEAD is Fastify's own for each GET). */
function servedRoutes(tree: string): string[] {
  const served: string[] = []
  const stack: string[] = []
  for (const line of tree.split('\n')) {
    const match = /^((?:│   |    )*)(?:├── |└── )(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line)
    if (match === null) continue
    const depth = match[1]!.length / 4
    const path = (depth === 0 ? '' : stack[depth - 1]!) + match[2]!
    stack[depth] = path
    for (const method of (match[3] ?? '').split(', ').filter((m) => m !== '' && m !== 'HEAD')) served.push(`${method} ${path}`)
  }
  return served
}

/** A value the schema accepts: what a caller that gets past validation sends. */
function sample(schema: RouteSchema): unknown {
  if (Array.isArray(schema.enum)) return schema.enum[0]
  switch (schema.type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, RouteSchema>
      return Object.fromEntries(((schema.required ?? []) as string[]).map((name) => [name, sample(properties[name]!)]))
    }
    case 'integer':
    case 'number':
      return 1
    case 'boolean':
      return true
    default:
      return 'a'.repeat(Math.max(Number(schema.minLength ?? 1), 1))
  }
}

/** The entry's path with its parameters filled. */
function urlOf(route: RouteContract): string {
  const values: Record<string, string> = { id: 'no-such-user', role: 'support', provider: 'github' }
  return route.path.replace(/:(\w+)/g, (_, name: string) => values[name] ?? paramSample(route, name))
}

/** A value a path parameter's schema accepts (its first enum value, a SHA-256 hex), so a request gets past validation. */
function paramSample(route: RouteContract, name: string): string {
  const schema = route.params?.find((param) => param.name === name)?.schema
  if (schema !== undefined && Array.isArray(schema.enum)) return String(schema.enum[0])
  if (schema?.pattern === '^[0-9a-f]{64}$') return '0'.repeat(64)
  return 'x'
}

describe('the route contract', () => {
  it('has an entry for every operation id the handlers are keyed by, and no other', () => {
    const ids = contractOf(fullModel(t.model)).map((route) => route.id)
    expect(new Set(ids).size).toBe(ids.length)
    const search = searchRoutes(t.model).routes.map((route) => route.id) // one per searchable table (test/runtime/search)
    const functions = (t.model.functions ?? []).map((fn) => functionRouteId(fn.name)) // one per function of the app (test/runtime/functions)
    expect([...ids].sort()).toEqual([...AUTH_ROUTE_IDS, ...ADMIN_ROUTE_IDS, ...JOBS_ROUTE_IDS, ...META_ROUTE_IDS, ...REALTIME_ROUTE_IDS, ...STUDIO_ROUTE_IDS, ...OBSERVABILITY_ROUTE_IDS, ...PRIVACY_ROUTE_IDS, ...FUNCTIONS_ADMIN_ROUTE_IDS, ...search, ...functions].sort())
  })

  it('is what the server serves under /auth and /admin, entry for entry', async () => {
    await t.app.ready()
    const served = servedRoutes(t.app.printRoutes({ commonPrefix: false })).filter((route) => / \/(auth|admin)\//.test(route))
    expect(served.sort()).toEqual(contractOf(t.model).filter((route) => /^\/(auth|admin)\//.test(route.path)).map((route) => `${route.method} ${route.path}`).sort())
    // An app without OAuth providers serves no OAuth route, and documents none.
    expect(contractOf({ ...t.model, auth: { ...t.model.auth, oauth: { github: null, google: null } } }).some((route) => route.path.startsWith('/auth/oauth'))).toBe(false)
  })

  it('refuses to register an entry without a handler, or a handler without an entry', () => {
    const app = Fastify()
    const route: RouteContract<'ping' | 'pong'> = { id: 'ping', method: 'GET', path: '/ping', tag: 'T', summary: 's', description: 'd', auth: 'public', responses: [{ status: 204, description: 'ok' }], errors: [] }
    const handler = async () => 'ok'
    const isAnonymous = () => true
    expect(() => registerContractRoutes(app, { ids: ['ping', 'pong'], routes: [route], handlers: { pong: handler } as never, isAnonymous })).toThrow(/"ping" has no handler/)
    expect(() => registerContractRoutes(app, { ids: ['ping'], routes: [route as RouteContract<'ping'>], handlers: { ping: handler, extra: handler } as never, isAnonymous })).toThrow(/handler "extra" has no contract entry/)
  })

  it('every body-less POST accepts Content-Type: application/json with an empty body', async () => {
    const user = await signedInUser(t, 'emptybody')
    const bodyless = contractOf(t.model).filter((route) => route.method === 'POST' && route.body === undefined)
    expect(bodyless.map((route) => route.id)).toContain('logout')
    for (const route of bodyless) {
      const answer = await t.app.inject({ method: 'POST', url: urlOf(route), headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` }, payload: '' })
      expect(answer.statusCode, `${route.id}: ${answer.body}`).not.toBe(400)
      expect([...route.responses.map((r) => r.status), ...route.errors.map((e) => e.status)], route.id).toContain(answer.statusCode)
    }
    // What logout does with it: the session ends.
    expect((await call(t, 'GET', '/auth/session', { token: user.token })).status).toBe(401)
    // An endpoint that takes a body still needs one: its schema refuses the missing body.
    const login = await t.app.inject({ method: 'POST', url: '/auth/login', headers: { 'content-type': 'application/json' }, payload: '' })
    expect(login.statusCode).toBe(400)
    expect(login.json()).toMatchObject({ code: 'KL_API_VALIDATION', message: expect.stringContaining('body') })
  })

  it('every session and admin entry answers 401 KL_AUTH_REQUIRED to no credentials, an empty bearer and a dead bearer', async () => {
    const guarded = contractOf(t.model).filter((route) => route.auth !== 'public')
    expect(guarded.length).toBeGreaterThan(5)
    for (const route of guarded) {
      for (const authorization of [undefined, 'Bearer ', 'Bearer', 'Bearer not-a-session-token']) {
        const answer = await t.app.inject({
          method: route.method,
          url: urlOf(route),
          headers: authorization === undefined ? {} : { authorization },
          ...(route.body ? { payload: sample(route.body.schema) as object } : {}),
        })
        expect(answer.statusCode, `${route.id} with ${authorization}: ${answer.body}`).toBe(401)
        expect(answer.json().code).toBe('KL_AUTH_REQUIRED')
        expect(route.errors.find((e) => e.status === 401)?.codes, route.id).toContain('KL_AUTH_REQUIRED')
      }
    }
    // The service key is not anonymous: an admin entry serves it.
    expect((await call(t, 'GET', '/admin/audit', { token: SERVICE_KEY })).status).toBe(200)
  })

  it('an empty bearer token on /api is refused like a dead one, not read as anonymous', async () => {
    for (const authorization of ['Bearer ', 'Bearer', 'bearer  ']) {
      const answer = await t.app.inject({ method: 'GET', url: '/api/tasks', headers: { authorization } })
      expect(answer.statusCode, authorization).toBe(401)
      expect(answer.json().code).toBe('KL_AUTH_REQUIRED')
    }
    // No Authorization header at all is still the anonymous caller.
    expect((await t.app.inject({ method: 'GET', url: '/api/tasks' })).statusCode).toBe(200)
  })
})
