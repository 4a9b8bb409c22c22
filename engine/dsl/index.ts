/**
 * `koyalite`: what an application's `koyalite.ts` imports. Pure and side-effect free: it only
 * builds frozen definition objects that `koyalite generate` reads.
 */
export { t, Column } from './column.ts'
export type { AnyColumn, ColumnDef, ColumnState, ColumnType, JsonValidator, RefDef, RefOptions, RefTarget, ReferentialAction } from './column.ts'
export { table, USERS_CORE_COLUMNS } from './table.ts'
export type { AnyTable, Columns, IndexDef, SearchDef, TableDef, TableOptions } from './table.ts'
export { defineConfig, env } from './config.ts'
export type { AuthDef, ConfigDef, ConfigInput, EmailDef, EnvRef, GraphqlDef, OAuthProviderDef, Setting } from './config.ts'
export { policies } from './policies.ts'
export type { PoliciesDef, PolicyAuth, PolicyPredicate, PolicyRules, TableRules, UpdateRule } from './policies.ts'
export type { InferInsert, InferRow, InferUpdate, RelationalRow, TableNameOf, TableNamed, TablesOf } from './infer.ts'
export { job } from './job.ts'
export type { Duration, JobDef, JobOptions, JobRun, RetryDef } from './job.ts'
export { webhook } from './webhook.ts'
export type { WebhookDef, WebhookOptions } from './webhook.ts'
export { fn } from './fn.ts'
export type { FunctionAuth, FunctionDef, FunctionOptions, MemorySize } from './fn.ts'
export type { DataAs, DataFilter, DataRow, EmailMessage, EnqueueOptions, FunctionContext, HandlerLogger, JobContext, WebhookEvent, WebhookOperation } from '../shared/handler-context.ts'
export { DO_NOT_SELL_PURPOSE } from './compliance.ts'
export type { ComplianceDef, ConsentDef, DatabaseDef } from './compliance.ts'
