import type { ProjectIR } from '../project-ir.ts'
import { err } from './auth-routes.ts'
import { componentRef, type RouteError, type RouteGroup, type RouteSchema } from './route-contract.ts'

/**
 * `/admin/meta` (engine/runtime/meta): the schema as the server runs it, and maintenance mode.
 * An admin's own session or the service key.
 */

export const META_ROUTE_IDS = ['describeMeta', 'setMaintenance'] as const
export type MetaRouteId = (typeof META_ROUTE_IDS)[number]

export const META_TAG = 'Meta'

const adminErrors: readonly RouteError[] = [
  err(401, 'Neither an admin\'s session nor the service key came with the request', 'KL_AUTH_REQUIRED'),
  err(403, 'The signed-in user is not an admin (or is impersonating), or the origin is not trusted', 'KL_AUTH_FORBIDDEN', 'KL_AUTH_CSRF'),
]

const project: RouteSchema = {
  type: 'object',
  description: 'The `_koya_project` record.',
  properties: {
    name: { type: 'string' },
    environment: { type: 'string' },
    createdAt: { type: 'string', description: 'When a server first served this database.' },
    servedAt: { type: 'string', description: 'When a server last started on it.' },
    maintenance: { type: 'boolean', description: 'Whether writes are refused (503 KL_API_MAINTENANCE).' },
    maintenanceReason: { type: ['string', 'null'] },
  },
  required: ['name', 'environment', 'createdAt', 'servedAt', 'maintenance', 'maintenanceReason'],
}

/**
 * @example
 * metaRoutes(ir).routes.map((route) => route.path) // ['/admin/meta', '/admin/maintenance']
 */
export function metaRoutes(_ir: ProjectIR): RouteGroup<MetaRouteId> {
  return {
    tag: { name: META_TAG, description: 'The schema, policies and migrations as the server runs them, and maintenance mode. Needs an admin\'s own session or the service key.' },
    routes: [
      {
        id: 'describeMeta',
        method: 'GET',
        path: '/admin/meta',
        tag: META_TAG,
        summary: 'Describe the schema',
        description: 'Tables with their columns, relations, indexes and search settings; each policy as written (source and location) and as SQL; the migrations applied to the database; the project record. What Studio draws its ERD and policy pages from.',
        auth: 'admin',
        responses: [{ status: 200, description: 'The description.', schema: componentRef('MetaDescription') }],
        errors: [...adminErrors],
        sdk: { namespace: 'admin', name: 'meta', doc: 'The schema, policies and migrations as the server runs them.', input: { kind: 'none' }, returns: 'MetaDescription', token: 'none' },
      },
      {
        id: 'setMaintenance',
        method: 'POST',
        path: '/admin/maintenance',
        tag: META_TAG,
        summary: 'Turn maintenance mode on or off',
        description: 'In maintenance mode every write of application rows answers 503 KL_API_MAINTENANCE (reads go on), for migrations and restores. Every server on the database sees it within a second. Recorded in the audit log.',
        auth: 'admin',
        body: {
          description: 'On or off, and why.',
          schema: { type: 'object', properties: { on: { type: 'boolean' }, reason: { type: 'string', minLength: 1, maxLength: 500 } }, required: ['on'], additionalProperties: false },
        },
        responses: [{ status: 200, description: 'The project record now.', schema: componentRef('MetaProject') }],
        errors: [err(400, 'The body does not match the schema', 'KL_API_VALIDATION'), ...adminErrors],
        sdk: { namespace: 'admin', name: 'setMaintenance', doc: 'Turns maintenance mode on (writes answer 503) or off.', input: { kind: 'body', type: '{ on: boolean; reason?: string }' }, returns: 'MetaProject', token: 'none' },
      },
    ],
    schemas: {
      MetaProject: project,
      MetaDescription: {
        type: 'object',
        description: 'The schema as the server runs it (model.json joined with the database): see docs/operations.md.',
        properties: {
          project: { description: 'Null until a server first served the database.', anyOf: [componentRef('MetaProject'), { type: 'null' }] },
          roles: { type: 'array', items: { type: 'string' } },
          tables: { type: 'array', items: { type: 'object', description: 'A table: name, typeName, isUsers, columns, relations, indexes, search, policies ({ read, create, update: { using, check }, delete } each { source, at, sql, params } or null; strict).' } },
          buckets: { type: 'array', description: 'The storage buckets\' names.', items: { type: 'string' } },
          migrations: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, appliedAt: { type: 'string' } }, required: ['id', 'name', 'appliedAt'] } },
          systemMigrations: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, appliedAt: { type: 'string' } }, required: ['name', 'appliedAt'] } },
        },
        required: ['project', 'roles', 'tables', 'buckets', 'migrations', 'systemMigrations'],
      },
    },
  }
}
