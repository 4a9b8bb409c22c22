import { adminModule } from '../admin/admin-module.ts'
import { authModule } from '../auth/auth-module.ts'
import { docsModule } from '../docs/docs-module.ts'
import { emailModule } from '../email/email-module.ts'
import { functionsModule } from '../functions/functions-module.ts'
import { graphqlModule } from '../graphql/graphql-module.ts'
import { healthModule } from '../health/health-module.ts'
import { jobsModule } from '../jobs/jobs-module.ts'
import { metaModule } from '../meta/meta-module.ts'
import { observabilityModule } from '../observability/observability-module.ts'
import { protectionModule } from '../protection/protection-module.ts'
import { queueModule } from '../queue/queue-module.ts'
import { realtimeModule } from '../realtime/realtime-module.ts'
import { restModule } from '../rest/rest-module.ts'
import { searchModule } from '../search/search-module.ts'
import { storageModule } from '../storage/storage-module.ts'
import type { SystemMigration } from '../system/system-schema.ts'
import { webhooksModule } from '../webhooks/webhooks-module.ts'
import { studioModule } from '../studio/studio-module.ts'
import { complianceModule } from '../compliance/compliance-module.ts'
import type { FeatureModule } from './feature-module.ts'
import { tracingModule } from '../observability/tracing-module.ts'

/**
 * The runtime's feature modules, in the order they register. Order matters: auth comes before
 * every module that asks who a request is (`runtime.actorOf`), and its CORS and CSRF hooks must
 * exist before any route. A new feature (graphql, jobs, storage…) is added here, with its options
 * in CreateServerOptions under its name.
 */
export const FEATURE_MODULES = {
  // Before every route: its request hooks must see them all (nothing at all unless OTLP is configured).
  tracing: tracingModule,
  // First: its security headers and rate limits attach to every route as it is registered.
  protection: protectionModule,
  health: healthModule,
  docs: docsModule,
  auth: authModule,
  admin: adminModule,
  // Project metadata and maintenance mode (its guard refuses writes of every module after it).
  meta: metaModule,
  // The queue before the features that define kinds on it (email, jobs; later webhooks), after
  // auth (whose outbox the email module's migration moves into it, and whose admin services the
  // jobs' admin routes use).
  queue: queueModule,
  email: emailModule,
  jobs: jobsModule,
  // After the queue (its kinds) and auth (the audit log its admin events go to).
  webhooks: webhooksModule,
  rest: restModule,
  // After rest: object rows go through the same data layer; buckets' rules are its policies.
  storage: storageModule,
  // After rest: functions' ctx.client calls reach /api in process.
  functions: functionsModule,
  // After rest: search and GraphQL read and write through the same data layer and policies.
  search: searchModule,
  // Before graphql: GraphQL subscriptions are connections of its hub.
  realtime: realtimeModule,
  graphql: graphqlModule,
  // After auth (identity, sessions, audit log); its writes go through the one data layer.
  compliance: complianceModule,
  // Metrics and the admin API's logs, monitor, performance, configuration and CLI history
  // (after auth: its admin check). What it reads the core keeps from the first request on.
  observability: observabilityModule,
  // Studio at /_/ and its admin routes (after auth and admin: it asks who a request is).
  studio: studioModule,
} as const

export type ModuleName = keyof typeof FEATURE_MODULES

/** Each module's options, by module name (what CreateServerOptions groups). */
export type ModuleOptions = { readonly [N in ModuleName]?: (typeof FEATURE_MODULES)[N] extends FeatureModule<infer O> ? O : never }

/**
 * Every module's `_koya_*` migrations, in module order: what the server and `koyalite migrate up`
 * apply.
 *
 * @example
 * applySystemSchema(db, systemMigrations())
 */
export function systemMigrations(): readonly SystemMigration[] {
  return Object.values(FEATURE_MODULES).flatMap((module): readonly SystemMigration[] => module.systemMigrations)
}
