import { defineModule } from '../modules/feature-module.ts'

/**
 * `GET /healthz`: 200 while the database answers, 503 when it does not (for load balancers and
 * Docker's HEALTHCHECK).
 */
export const healthModule = defineModule({
  name: 'health',
  systemMigrations: [],
  async register(app, runtime) {
    const ping = runtime.db.prepare('SELECT 1 AS ok')
    app.get('/healthz', async (request, reply) => {
      try {
        ping.all()
        return { status: 'ok', app: runtime.model.name }
      } catch (cause) {
        request.log.error({ err: cause }, 'database health check failed')
        return reply.code(503).send({ status: 'unavailable', app: runtime.model.name })
      }
    })
  },
})
