/**
 * `koyalite/runtime`: what generated code and the server import. Never loads the TypeScript
 * compiler.
 */
export type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'
export { createServer, type CreateServerOptions } from './server.ts'
export { applySystemSchema, type SystemMigration } from './system/system-schema.ts'
export { defineModule, type FeatureModule, type ModuleProvides, type Runtime } from './modules/feature-module.ts'
export { FEATURE_MODULES, systemMigrations, type ModuleName, type ModuleOptions } from './modules/index.ts'
export { DEFAULT_AUTH_RATE_LIMITS, type AuthRateLimits, type OAuthRouteDeps } from './auth/auth-context.ts'
export { loadGeneratedDocs, loadModel, loadTableApis, type GeneratedDocs } from './model.ts'
export { loadHandlers, type Handlers, type JobHandler, type LoadHandlersOptions, type WebhookHandlers } from './handlers/load-handlers.ts'
export { createDataLayer, type Actor, type DataLayer, type DataLayerOptions, type ListResult, type RowFormat, type WriteResult } from './data/data-layer.ts'
export type { CompareOperator, DeleteQuery, FilterScalar, InsertQuery, OrderBy, ReadQuery, SelectItem, UpdateQuery, Where, WriteTarget } from './data/query.ts'
export type { RowObject, WriteEvent, WriteEvents, WriteOperation, WriteSubscriber, WriteTransaction } from './data/write-events.ts'
export { statementsOf, type StatementCache } from './data/statement-cache.ts'
export { defineTableApi, type TableApi } from './rest/routes.ts'
export { parseQuery } from './rest/query-grammar.ts'
export { createQueue, doNotRetry, DEFAULT_RETRY, retryPolicy, backoffMs, type EnqueueOptions, type JobKind, type JobRunContext, type JobRunView, type ListRunsFilter, type Queue, type QueueOptions, type RetryPolicy, type JobStatus } from './queue/index.ts'
export { enqueueEmail, sendEmail, type EmailPayload } from './email/index.ts'
export { needsStudioSetup, newSetupToken, setupPath } from './studio/setup.ts'
export type { StudioModuleOptions } from './studio/studio-module.ts'
