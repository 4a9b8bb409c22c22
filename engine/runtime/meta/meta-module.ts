import type { FastifyRequest } from 'fastify'
import { META_ROUTE_IDS, metaRoutes } from '../../ir/routes/meta-routes.ts'
import { requireAdmin } from '../admin/admin-routes.ts'
import { registerContractRoutes } from '../http/route-contract.ts'
import { defineModule } from '../modules/feature-module.ts'
import { describeProject } from './describe.ts'
import { createMaintenanceGuard } from './maintenance.ts'
import { environmentOf, PROJECT_MIGRATIONS, recordStart, setMaintenance } from './project-record.ts'

/**
 * The project's metadata: `_koya_project` (recorded when the server starts), `GET /admin/meta`
 * (the schema, policies and migrations as the server runs them, which Studio reads) and
 * maintenance mode (writes refused with 503 while it is on; `POST /admin/maintenance`,
 * `koyalite maintenance`). After auth and admin: its routes are admin routes.
 */
export const metaModule = defineModule({
  name: 'meta',
  systemMigrations: PROJECT_MIGRATIONS,
  async register(app, runtime) {
    const environment = environmentOf(runtime.env, runtime.dev)
    recordStart(runtime.db, { name: runtime.model.name, environment }, runtime.clock())
    const forced = /^(1|on|true)$/i.test(runtime.env.KOYA_MAINTENANCE ?? '')
    const guard = createMaintenanceGuard(runtime.db, runtime.data.events, forced, (error) => app.log.error({ err: error }, 'reading the maintenance flag failed'))
    guard.start()
    app.addHook('onClose', async () => guard.close())

    const admin = runtime.adminDeps()
    registerContractRoutes(app, {
      ids: META_ROUTE_IDS,
      routes: metaRoutes(runtime.model).routes,
      isAnonymous: (request: FastifyRequest) => admin.requests.authOf(request).actor.kind === 'anonymous',
      handlers: {
        async describeMeta(request) {
          requireAdmin(admin, request)
          return describeProject(runtime.model, runtime.db)
        },
        async setMaintenance(request) {
          const { actorId } = requireAdmin(admin, request)
          const { on, reason } = request.body as { on: boolean; reason?: string }
          const record = setMaintenance(runtime.db, { name: runtime.model.name, environment }, on, reason ?? null, runtime.clock())
          guard.refresh()
          admin.audit.record({ actorId, subjectId: null, action: on ? 'maintenance.on' : 'maintenance.off', reason: reason ?? null, requestId: request.id, detail: null })
          return record
        },
      },
    })
  },
})
