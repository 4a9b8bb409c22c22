import Fastify, { type FastifyInstance } from 'fastify'
import { insertSchema, rowSchema, updateSchema } from '../../engine/codegen/json-schema/column-schemas.ts'
import type { ProjectIR } from '../../engine/ir/project-ir.ts'
import { createDataLayer, type Actor, type DataLayer } from '../../engine/runtime/data/data-layer.ts'
import { statusOf } from '../../engine/runtime/rest/http-errors.ts'
import { registerRestRoutes } from '../../engine/runtime/rest/routes.ts'
import { KoyaError } from '../../engine/shared/errors.ts'
import type { SqliteDatabase } from '../../engine/shared/sqlite.ts'

/**
 * The REST routes over a policy model, with a test-only way to act as a user: `x-test-user:
 * <id>` (roles in `x-test-roles`, comma-separated), `x-test-system: 1` for the system role,
 * nothing for an anonymous caller. Id formats are not validated (the seeds use ids like 't1'). Sessions belong to the auth layer; this stands in for them
 * so the data layer's HTTP answers (statuses, bodies) can be tested now. Errors are answered as
 * the server's error handler does: `{ code, message, hint }` with statusOf.
 */
export async function policyApp(model: ProjectIR, db: SqliteDatabase, data: DataLayer = createDataLayer(model, db)): Promise<FastifyInstance> {
  // validateFormats off: the seeds use short readable ids ('t1'), not the UUIDs the schemas ask for.
  const app = Fastify({ logger: false, ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: true, validateFormats: false } } })
  const actorOf = (headers: Record<string, string | string[] | undefined>): Actor => {
    if (headers['x-test-system'] === '1') return { kind: 'system' }
    const user = headers['x-test-user']
    if (typeof user !== 'string') return { kind: 'anonymous' }
    const roles = typeof headers['x-test-roles'] === 'string' && headers['x-test-roles'] !== '' ? headers['x-test-roles'].split(',') : []
    return { kind: 'user', userId: user, roles }
  }
  const tables = model.tables.map((table) => ({ table: table.name, schemas: { row: rowSchema(table), insert: insertSchema(table), update: updateSchema(table) } }))
  registerRestRoutes(app, { data, tables, actorOf: (request) => actorOf(request.headers) })
  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof KoyaError) return reply.code(statusOf(error)).send(error.toJSON())
    const status = (error as { statusCode?: number }).statusCode ?? 500
    return reply.code(status).send({ code: status < 500 ? 'KL_API_BAD_REQUEST' : 'KL_INT_UNEXPECTED', message: String((error as Error).message) })
  })
  await app.ready()
  return app
}

export const asUser = (userId: string, roles: readonly string[] = []) => ({ 'x-test-user': userId, 'x-test-roles': roles.join(',') })
export const asSystem = { 'x-test-system': '1' }
