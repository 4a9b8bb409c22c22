import type { ProjectIR } from '../ir/project-ir.ts'
import { adminRoutes } from '../ir/routes/admin-routes.ts'
import { authRoutes, usersTableOf } from '../ir/routes/auth-routes.ts'
import { jobsRoutes } from '../ir/routes/jobs-routes.ts'
import { metaRoutes } from '../ir/routes/meta-routes.ts'
import { observabilityRoutes } from '../ir/routes/observability-routes.ts'
import { realtimeRoutes } from '../ir/routes/realtime-routes.ts'
import type { RouteGroup } from '../ir/routes/route-contract.ts'
import { webhooksRoutes } from '../ir/routes/webhooks-routes.ts'
import { searchRoutes } from '../ir/routes/search-routes.ts'
import { studioRoutes } from '../ir/routes/studio-routes.ts'
import { functionsRoutes } from '../ir/routes/functions-routes.ts'
import { storageRoutes } from '../ir/routes/storage-routes.ts'
import { privacyRoutes } from '../ir/routes/privacy-routes.ts'
import { insertSchema } from './json-schema/column-schemas.ts'

/**
 * The route contract groups an app serves besides /api, in the order OpenAPI and the SDK list
 * them. A feature with hand-written endpoints (storage, functions, search, realtime) adds its
 * group here.
 *
 * @example
 * routeGroupsOf(ir).flatMap((group) => group.routes.map((route) => route.id))
 */
export function routeGroupsOf(ir: ProjectIR): RouteGroup[] {
  const users = usersTableOf(ir)
  const auth = users === undefined ? undefined : authRoutes(ir, { usersInsert: insertSchema(users) })
  const webhooks = webhooksRoutes(ir)
  const search = searchRoutes(ir)
  const functions = functionsRoutes(ir)
  const storage = storageRoutes(ir)
  return [...(auth === undefined ? [] : [auth]), adminRoutes(ir), jobsRoutes(ir), ...(webhooks === undefined ? [] : [webhooks]), ...(search.routes.length > 0 ? [search] : []), metaRoutes(ir), realtimeRoutes(ir), ...(storage.routes.length > 0 ? [storage] : []), ...(functions === undefined ? [] : [functions]), ...(users === undefined ? [] : [privacyRoutes(ir)]), observabilityRoutes(ir), studioRoutes(ir)]
}
