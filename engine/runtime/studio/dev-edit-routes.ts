import type { FastifyInstance, FastifyRequest } from 'fastify'
import { EDITABLE_COLUMN_TYPES, STUDIO_DEV_ROUTE_IDS, studioDevRoutes, type StudioDevEdits, type StudioEdit } from '../../ir/routes/studio-dev-routes.ts'
import { requireAdmin, type AdminDeps } from '../admin/admin-routes.ts'
import { registerContractRoutes } from '../http/route-contract.ts'

/**
 * `GET|POST /admin/studio/edit` under `koyalite dev`: an admin's schema or policy edit goes to
 * the CLI's edit code (`devEdits`), audited. Edits run one at a time.
 */
export function registerDevEditRoutes(app: FastifyInstance, edits: StudioDevEdits, admin: AdminDeps): void {
  let queue: Promise<unknown> = Promise.resolve()
  registerContractRoutes(app, {
    ids: STUDIO_DEV_ROUTE_IDS,
    routes: studioDevRoutes().routes,
    isAnonymous: (request: FastifyRequest) => admin.requests.authOf(request).actor.kind === 'anonymous',
    handlers: {
      async studioEditState(request) {
        requireAdmin(admin, request)
        return { available: true, columnTypes: [...EDITABLE_COLUMN_TYPES] }
      },
      async studioEdit(request) {
        const { actorId } = requireAdmin(admin, request)
        const edit = request.body as StudioEdit
        const run = queue.then(() => edits.apply(edit))
        queue = run.catch(() => {})
        const result = await run
        admin.audit.record({ actorId, subjectId: null, action: 'studio.code.edit', reason: null, requestId: request.id, detail: { edit, files: result.files.map((f) => f.path), migration: result.migration?.name ?? null } })
        return result
      },
    },
  })
}
