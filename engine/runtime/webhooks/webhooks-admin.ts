import type { FastifyInstance } from 'fastify'
import type { ProjectIR } from '../../ir/project-ir.ts'
import { MAX_WEBHOOK_DELIVERIES, WEBHOOKS_ROUTE_IDS, webhooksRoutes, type WebhooksRouteId } from '../../ir/routes/webhooks-routes.ts'
import { KoyaError } from '../../shared/errors.ts'
import { requireAdmin, type AdminDeps } from '../admin/admin-routes.ts'
import { registerContractRoutes, type RouteHandlers } from '../http/route-contract.ts'
import type { Queue } from '../queue/queue.ts'
import type { DeliveryLog } from './delivery-log.ts'
import type { Endpoints } from './endpoints.ts'
import type { WebhookMessage } from './webhook-events.ts'

export interface WebhooksAdminDeps {
  readonly model: ProjectIR
  readonly queue: Queue
  readonly log: DeliveryLog
  readonly endpoints: Endpoints
  readonly admin: AdminDeps
}

/** The webhooks group of /admin (engine/ir/routes/webhooks-routes.ts): the delivery log and replay. */
export function registerWebhooksAdmin(app: FastifyInstance, deps: WebhooksAdminDeps): void {
  const group = webhooksRoutes(deps.model)
  if (group === undefined) return
  registerContractRoutes(app, {
    ids: WEBHOOKS_ROUTE_IDS,
    routes: group.routes,
    handlers: webhooksHandlers(deps),
    isAnonymous: (request) => deps.admin.requests.authOf(request).actor.kind === 'anonymous',
  })
}

function webhooksHandlers(deps: WebhooksAdminDeps): RouteHandlers<WebhooksRouteId> {
  const { admin, log, queue } = deps
  return {
    async listWebhookDeliveries(request) {
      requireAdmin(admin, request)
      const query = request.query as { webhook?: string; ok?: string; jobId?: string; before?: string; limit?: string }
      const limit = query.limit === undefined ? 100 : Number(query.limit)
      if (limit < 1 || limit > MAX_WEBHOOK_DELIVERIES) throw new KoyaError('KL_API_BAD_PAGINATION', `limit must be between 1 and ${MAX_WEBHOOK_DELIVERIES}.`)
      return log.list({
        ...(query.webhook !== undefined ? { webhook: query.webhook } : {}),
        ...(query.ok !== undefined ? { ok: query.ok === 'true' } : {}),
        ...(query.jobId !== undefined ? { jobId: Number(query.jobId) } : {}),
        ...(query.before !== undefined ? { before: Number(query.before) } : {}),
        limit,
      })
    },
    async replayWebhookDelivery(request, reply) {
      requireAdmin(admin, request)
      const { id } = request.params as { id: string }
      const delivery = log.get(Number(id))
      if (delivery === undefined) throw new KoyaError('KL_API_NOT_FOUND', `No webhook delivery has id ${id}.`)
      const run = queue.get(delivery.jobId)
      if (run === undefined) throw new KoyaError('KL_API_NOT_FOUND', `The event of delivery ${id} is no longer kept (finished runs are deleted after their retention).`)
      if (run.status === 'pending' || run.status === 'running') throw new KoyaError('KL_API_CONFLICT', `The event of delivery ${id} is ${run.status}: only a delivered or dead event can be replayed.`, { hint: 'Wait for its current attempt, or read its attempts with ?jobId=.' })
      // An admin replaying says the receiver is back: a disabled endpoint is enabled again.
      deps.endpoints.enable(delivery.webhook)
      queue.retry(delivery.jobId)
      return reply.code(202).send({ jobId: delivery.jobId, webhook: delivery.webhook, messageId: (run.payload as WebhookMessage).id, status: 'pending' })
    },
  }
}
