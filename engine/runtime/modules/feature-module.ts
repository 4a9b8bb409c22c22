import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ProjectIR } from '../../ir/project-ir.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import type { AdminDeps } from '../admin/admin-routes.ts'
import type { Env } from '../auth/auth-settings.ts'
import type { ConnectionCredentials } from '../auth/request-auth.ts'
import type { Actor, DataLayer } from '../data/data-layer.ts'
import type { Observability } from '../observability/observability.ts'
import type { Queue } from '../queue/queue.ts'
import type { Hub } from '../realtime/hub.ts'
import type { TableApi } from '../rest/routes.ts'
import type { StorageDriver } from '../storage/driver.ts'
import type { SystemMigration } from '../system/system-schema.ts'

/**
 * What every feature module is given: the app, its database and the one data layer, the clock
 * and the settings. `actorOf` is the identity a request acts as; the auth module provides it,
 * so modules listed after auth may use it (and the server refuses a list where one comes first).
 */
export interface Runtime {
  readonly model: ProjectIR
  readonly db: SqliteDatabase
  readonly data: DataLayer
  /** The generated route modules (generated/api): each table's JSON Schemas. */
  readonly tables: readonly TableApi[]
  readonly clock: () => Date
  readonly env: Env
  /** `koyalite dev`: development answers (policy locations, GraphiQL) are allowed. */
  readonly dev: boolean
  /** What the server observes of itself: its log ring, request and statement statistics (runtime/observability). */
  readonly observability: Observability
  actorOf(request: FastifyRequest): Actor
  /** The users, roles, sessions and audit log the admin module manages (provided by auth). */
  adminDeps(): AdminDeps
  /** The durable queue (provided by the queue module): modules after it define kinds and enqueue. */
  queue(): Queue
  /** How a connection that outlives its request (realtime) is authenticated and re-checked (provided by auth). */
  credentials(): ConnectionCredentials
  /** Where storage objects' bytes are (provided by storage); undefined when the app has no buckets. */
  storageDriver(): StorageDriver | undefined
  /** The local storage driver's directory (provided by storage); undefined when the app has no buckets. */
  storageRoot(): string | undefined
  /** The realtime hub (provided by the realtime module): GraphQL subscriptions are its connections too. Undefined before it registers. */
  realtime(): Hub | undefined
}

/** What a module hands to the modules registered after it. */
export interface ModuleProvides {
  readonly actorOf?: (request: FastifyRequest) => Actor
  readonly adminDeps?: AdminDeps
  readonly queue?: Queue
  readonly credentials?: ConnectionCredentials
  readonly storageDriver?: StorageDriver
  readonly storageRoot?: string
  readonly realtime?: Hub
  /** Who a request acted as, if it already resolved its caller (the request log's user id); never resolves it. */
  readonly resolvedActorOf?: (request: FastifyRequest) => Actor | undefined
}

/**
 * A feature of the runtime (rest, auth, admin, docs, health; later graphql, jobs, storage…): a
 * Fastify plugin that owns its routes, its `_koya_*` tables, its background workers and their
 * shutdown.
 *
 * - `register` runs inside the module's own encapsulated Fastify scope: hooks and decorators it
 *   adds stay there, unless `global` is set (auth's CORS, CSRF and cookie hooks must see every
 *   route, so auth is registered with fastify-plugin's skip-override).
 * - Workers start in an `onReady` hook and stop in an `onClose` hook of that scope, so
 *   `app.close()` drains them in reverse order of registration.
 * - `systemMigrations` are applied, in list order, before any module registers (and by
 *   `koyalite migrate up`); their names are unique across modules and never reused.
 *
 * @example
 * export const healthModule = defineModule({
 *   name: 'health',
 *   systemMigrations: [],
 *   async register(app, runtime) {
 *     app.get('/healthz', async () => ({ status: 'ok', app: runtime.model.name }))
 *   },
 * })
 */
export interface FeatureModule<Options = undefined> {
  readonly name: string
  readonly systemMigrations: readonly SystemMigration[]
  /** Register on the parent instance instead of an encapsulated child (hooks that must see every route). */
  readonly global?: boolean
  register(app: FastifyInstance, runtime: Runtime, options: Options): Promise<ModuleProvides | void>
}

/** Identity, typed: how a module is declared. */
export function defineModule<Options = undefined>(module: FeatureModule<Options>): FeatureModule<Options> {
  return module
}
