import type { FastifyInstance } from 'fastify'
import type { ProjectIR } from '../../ir/project-ir.ts'
import { FUNCTIONS_ADMIN_ROUTE_IDS, functionsAdminRoutes, MAX_FUNCTION_INVOCATIONS, type FunctionsAdminRouteId } from '../../ir/routes/functions-routes.ts'
import { KoyaError } from '../../shared/errors.ts'
import { requireAdmin, type AdminDeps } from '../admin/admin-routes.ts'
import { registerContractRoutes, type RouteHandlers } from '../http/route-contract.ts'
import type { StorageDriver } from '../storage/driver.ts'
import type { FunctionStore } from './function-store.ts'
import { deployVersion } from './version-bundles.ts'

/** The functions group of /admin (engine/ir/routes/functions-routes.ts): versions, deploy, rollback, invocations. */
export function registerFunctionsAdmin(app: FastifyInstance, deps: FunctionsAdminDeps): void {
  registerContractRoutes(app, {
    ids: FUNCTIONS_ADMIN_ROUTE_IDS,
    routes: functionsAdminRoutes(deps.model),
    handlers: functionsAdminHandlers(deps),
    isAnonymous: (request) => deps.admin.requests.authOf(request).actor.kind === 'anonymous',
  })
}

export interface FunctionsAdminDeps {
  readonly model: ProjectIR
  readonly store: FunctionStore
  readonly admin: AdminDeps
  /** The storage driver when versions are kept in the bucket (KOYA_FUNCTIONS_VERSIONS=storage). */
  readonly bundles: (() => Promise<StorageDriver>) | undefined
}

/** Who did it, for the versions table: `user:<id>` or `service-key`. */
function byWhom(actorId: string | null): string {
  return actorId === null ? 'service-key' : `user:${actorId}`
}

function functionsAdminHandlers(deps: FunctionsAdminDeps): RouteHandlers<FunctionsAdminRouteId> {
  const { admin, store } = deps
  const functions = deps.model.functions ?? []
  return {
    async listFunctions(request) {
      requireAdmin(admin, request)
      return functions.map((fn) => ({ name: fn.name, file: fn.file, auth: fn.auth, active: store.versions(fn.name).find((v) => v.active) ?? null }))
    },
    async listFunctionVersions(request) {
      requireAdmin(admin, request)
      return store.versions((request.params as { name: string }).name)
    },
    async deployFunctionVersion(request, reply) {
      const { actorId } = requireAdmin(admin, request)
      const body = request.body as { code: string; sourceMap?: string }
      const driver = deps.bundles === undefined ? undefined : await deps.bundles()
      const { version } = await deployVersion(store, driver, (request.params as { name: string }).name, body.code, body.sourceMap ?? null, byWhom(actorId))
      return reply.code(201).send(version)
    },
    async rollbackFunction(request) {
      const { actorId } = requireAdmin(admin, request)
      const body = (request.body ?? {}) as { to?: string }
      return store.rollback((request.params as { name: string }).name, body.to, byWhom(actorId))
    },
    async listFunctionInvocations(request) {
      requireAdmin(admin, request)
      const query = request.query as { before?: string; limit?: string }
      const limit = query.limit === undefined ? 100 : Number(query.limit)
      if (limit < 1 || limit > MAX_FUNCTION_INVOCATIONS) throw new KoyaError('KL_API_BAD_PAGINATION', `limit must be between 1 and ${MAX_FUNCTION_INVOCATIONS}.`)
      return store.invocations((request.params as { name: string }).name, { limit, ...(query.before !== undefined ? { before: Number(query.before) } : {}) })
    },
  }
}
