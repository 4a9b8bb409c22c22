/**
 * ProjectIR: the checked, normalized application. Serialized as generated/model.json; the
 * runtime boots from it without TypeScript. Other layers import these types only (`import type`).
 *
 * Every array here has a defined order (declaration order for columns, name order for tables and
 * indexes) so the JSON is deterministic.
 */

export const PROJECT_IR_VERSION = 1

import type { ColumnType } from '../shared/column-types.ts'
import type { EnvironmentName, EnvironmentOverridesIR, HttpIR } from './http-ir.ts'
import type { EnvVarIR } from './env-ir.ts'
import type { SecretsIR } from './secrets-ir.ts'

export type { ColumnType }

export type ReferentialAction = 'cascade' | 'restrict' | 'set null' | 'no action'

/** A JSON value, as it appears in model.json. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue }

export type DefaultIR =
  /** A constant the user gave with `.default(v)`. */
  | { readonly kind: 'value'; readonly value: JsonValue }
  /** The current instant (createdAt, updatedAt). */
  | { readonly kind: 'now' }
  /** A new UUIDv7 (id). */
  | { readonly kind: 'uuidv7' }

export interface ReferenceIR {
  readonly table: string
  readonly column: 'id'
  readonly onDelete: ReferentialAction
}

export interface ColumnIR {
  readonly name: string
  readonly type: ColumnType
  readonly nullable: boolean
  readonly default: DefaultIR | null
  readonly unique: boolean
  /** Length for text, value for int and real. */
  readonly min: number | null
  readonly max: number | null
  /** The allowed values of an enum column. */
  readonly values: readonly string[] | null
  readonly references: ReferenceIR | null
  /** Set by the system (id, createdAt, updatedAt); never written by inserts or updates. */
  readonly readOnly: boolean
  /** The JSON Schema of a json column's validator, when it has one. */
  readonly jsonSchema: JsonValue | null
  readonly renamedFrom: string | null
  /** A json column's nesting limit, when `t.json(…, { maxDepth })` set one (else the runtime's 64). */
  readonly maxDepth?: number
  /**
   * Files on rows: `t.file(bucket)` (a text column holding one object id) or `t.files(bucket, { max })`
   * (a json array of object ids). Absent on every other column.
   */
  readonly file?: { readonly bucket: string; readonly many: boolean; readonly max: number | null }
  /** `.personal()` (or `.phi()`, or the users table's email); absent when not personal. */
  readonly personal?: true
  /** `.phi()`: protected health information; absent otherwise. */
  readonly phi?: true
}

export interface IndexIR {
  readonly name: string
  readonly columns: readonly string[]
  readonly unique: boolean
  /** Why the index exists: declared on a column, in the table options, or added for a foreign key. */
  readonly origin: 'column' | 'table' | 'foreignKey'
}

export type RelationIR =
  /** `task.project`: this table's `column` points at `table`. */
  | { readonly kind: 'belongsTo'; readonly name: string; readonly table: string; readonly column: string; readonly nullable: boolean }
  /** `project.tasks`: rows of `table` whose `column` points here. */
  | { readonly kind: 'hasMany'; readonly name: string; readonly table: string; readonly column: string }

export type SearchTokenizer = 'unicode61' | 'porter' | 'trigram'

export interface SearchIR {
  readonly text: readonly string[]
  readonly semantic: readonly string[]
  /** The FTS5 tokenizer of the `text` columns (default `unicode61`, diacritics removed). */
  readonly tokenizer: SearchTokenizer
  /** bm25 weight per `text` column, in `text` order (default 1 each). */
  readonly weights: readonly number[]
}

export interface TableIR {
  readonly name: string
  /** Singular PascalCase name for generated types: `tasks` → `Task`. */
  readonly typeName: string
  /** The auth-managed users table (`table.users`). */
  readonly isUsers: boolean
  readonly columns: readonly ColumnIR[]
  readonly primaryKey: 'id'
  readonly indexes: readonly IndexIR[]
  readonly relations: readonly RelationIR[]
  readonly search: SearchIR | null
  readonly renamedFrom: string | null
  /**
   * How the table's rows relate to a user, for export and erasure (docs/compliance.md); absent
   * when the table has no path to the users table and declares nothing.
   */
  readonly privacy?: TablePrivacyIR
}

/** What erasing a user does to the rows it owns. */
export type EraseRuleIR = 'delete' | 'anonymize' | 'keep'

export interface TablePrivacyIR {
  /**
   * Ref columns followed from a row to the users table: `['createdBy']`, `['projectId',
   * 'ownerId']`; empty for the users table itself (the row is the user). null: no path.
   */
  readonly owner: readonly string[] | null
  /** Declared with `{ owner }`, or inferred as the shortest path of refs. */
  readonly ownerDeclared: boolean
  readonly onErase: EraseRuleIR
}

/** A setting resolved when the server starts: from the environment, or inline (never a secret). */
export type SettingIR = { readonly env: string } | { readonly value: string }

export interface OAuthProviderIR {
  readonly clientId: SettingIR
  readonly clientSecret: SettingIR
}

export interface AuthIR {
  readonly email: { readonly enabled: boolean; readonly verify: boolean }
  readonly oauth: { readonly github: OAuthProviderIR | null; readonly google: OAuthProviderIR | null }
  readonly session: { readonly idleTimeoutSeconds: number; readonly absoluteTimeoutSeconds: number }
  /** `auth.password`, when configured (else the default policy: see passwordMinLengthOf). */
  readonly password?: { readonly minLength: number }
  /** `auth.publicUrl`; null: `$KOYA_PUBLIC_URL`, else `http://127.0.0.1:3000`. */
  readonly publicUrl: SettingIR | null
  /** `auth.trustedOrigins`, each an origin (`https://app.example.com`), sorted. */
  readonly trustedOrigins: readonly string[]
  /** `auth.redirects`: absolute http(s) URLs without query or fragment, sorted. */
  readonly redirects: readonly string[]
}

// ── Policies ──────────────────────────────────────────────────────────────────────────────────

export type PolicyOperation = 'read' | 'create' | 'update' | 'delete'

/** A literal a policy compares with. Booleans compare with bool columns (stored 0/1). */
export type PolicyLiteral = string | number | boolean

/**
 * A value inside a policy predicate.
 *
 * Scopes are numbered from the outside in: 0 is the policy's row, 1 the variable of the outermost
 * `.some/.every`, 2 the one nested in it, and so on. `path` follows belongs-to relations from
 * that row first (`task.project.workspace.ownerId` is scope 0, path `['project', 'workspace']`,
 * column `ownerId`). A path through a missing parent (a null ref) has no value: every comparison
 * and null test on it is false.
 */
export type PolicyValueIR =
  | { readonly kind: 'column'; readonly scope: number; readonly path: readonly string[]; readonly column: string }
  | { readonly kind: 'literal'; readonly value: PolicyLiteral }
  /** `auth.userId`: null for an anonymous caller. */
  | { readonly kind: 'authUserId' }

export type CompareOperator = '=' | '<>' | '<' | '<=' | '>' | '>='

/**
 * A policy predicate, compiled from the TypeScript arrow. Two-valued: the null rule makes every
 * comparison with a null side false (not unknown), so `not` is plain negation.
 */
export type PolicyExprIR =
  | { readonly kind: 'constant'; readonly value: boolean }
  /** True only when both sides are non-null and the comparison holds. */
  | { readonly kind: 'compare'; readonly operator: CompareOperator; readonly left: PolicyValueIR; readonly right: PolicyValueIR }
  /** `x === null` (or `!==` when negated): the only test that sees null. */
  | { readonly kind: 'isNull'; readonly value: PolicyValueIR; readonly negated: boolean }
  /** `['a', 'b'].includes(x)`: x is non-null and one of the values. */
  | { readonly kind: 'in'; readonly value: PolicyValueIR; readonly list: readonly PolicyLiteral[] }
  /** `auth.roles.includes('admin')`. */
  | { readonly kind: 'hasRole'; readonly role: string }
  /**
   * `auth.consents.includes('marketing')`: the caller's latest choice for the purpose is a grant
   * of at least `version` (the declared one). False for anonymous callers.
   */
  | { readonly kind: 'hasConsent'; readonly purpose: string; readonly version: number }
  /** A bool column used as a condition (`project.archived`): true only when it is true. */
  | { readonly kind: 'truthy'; readonly value: PolicyValueIR }
  | { readonly kind: 'not'; readonly expr: PolicyExprIR }
  | { readonly kind: 'and'; readonly exprs: readonly PolicyExprIR[] }
  | { readonly kind: 'or'; readonly exprs: readonly PolicyExprIR[] }
  /** `test ? then : otherwise`. */
  | { readonly kind: 'conditional'; readonly test: PolicyExprIR; readonly then: PolicyExprIR; readonly otherwise: PolicyExprIR }
  /**
   * `.some(v => predicate)` / `.every(…)` over the has-many `relation` reached from scope `scope`
   * through belongs-to `path`. Inside `predicate` the relation's row is scope `scope`'s depth + 1,
   * i.e. the number of enclosing some/every plus one.
   */
  | {
      readonly kind: 'some' | 'every'
      readonly scope: number
      readonly path: readonly string[]
      readonly relation: string
      readonly predicate: PolicyExprIR
    }
  /**
   * A row of `table` the caller may read (`predicate`: that table's read policy, over that row as
   * its scope 0) holds the policy row's id in `column` (`many`: a JSON array of ids). Made only by
   * ir/storage-objects.ts for files on rows (an object is readable through a readable row that
   * references it), never by the policy compiler.
   */
  | { readonly kind: 'referencedBy'; readonly table: string; readonly column: string; readonly many: boolean; readonly predicate: PolicyExprIR }

export interface PolicyPredicateIR {
  /** The arrow function as the user wrote it. */
  readonly source: string
  readonly at: { readonly file: string; readonly line: number; readonly column: number }
  /**
   * The predicate; model.json holds no SQL: the runtime prints it for its dialect at boot, and
   * access.md shows the same printer's text (engine/ir/policy-printer.ts).
   */
  readonly expr: PolicyExprIR
}

/**
 * The policies of one table. `null`: no rule for that operation, so only the system role may
 * perform it (deny by default). `create` is checked on the new row; `update.using` selects the
 * rows that may be changed and `update.check` must hold for the changed row (the same predicate
 * when the user wrote a plain arrow).
 */
export interface TablePoliciesIR {
  readonly table: string
  readonly read: PolicyPredicateIR | null
  readonly create: PolicyPredicateIR | null
  readonly update: { readonly using: PolicyPredicateIR; readonly check: PolicyPredicateIR } | null
  readonly delete: PolicyPredicateIR | null
  /**
   * Evaluate the policy before every caller filter, even those that cannot fail: the filters then
   * cannot use the table's indexes, but how long a query takes says nothing about how many hidden
   * rows match (issue 10). For tables whose filterable columns are secret. Absent: false.
   */
  readonly strict?: boolean
}

export interface ProjectIR {
  readonly version: typeof PROJECT_IR_VERSION
  readonly name: string
  /** Sorted by name. */
  readonly tables: readonly TableIR[]
  /** One entry per table that has at least one rule, sorted by table name. */
  readonly policies: readonly TablePoliciesIR[]
  /** Sorted; always contains `admin`. */
  readonly roles: readonly string[]
  readonly auth: AuthIR
  /** Sorted by name; absent when the project has none (so model.json of a project without them is unchanged). */
  readonly jobs?: readonly JobIR[]
  /** `defineConfig({ email })`; absent when not configured (emails are then kept by the mail catcher). */
  readonly email?: EmailIR
  /** Sorted by name; absent when the project has none. */
  readonly webhooks?: readonly WebhookIR[]
  /** Sorted by name; absent when the project has none. */
  readonly functions?: readonly FunctionIR[]
  /** `graphql: { … }` as configured (defaults apply at run time); absent when not configured. */
  readonly graphql?: GraphqlIR
  /** `consents: { … }`, sorted by name; absent when the project declares none. */
  readonly consents?: readonly ConsentIR[]
  /** `database: { encryption }`; absent when not configured. */
  readonly database?: DatabaseIR
  /** Absent when not configured. */
  readonly backups?: BackupsIR
  /** `compliance: { hipaa }`; absent when not configured. */
  readonly compliance?: ComplianceIR
  /** `http: { cors, headers, rateLimit }`; absent when not configured (DEFAULT_HTTP applies). */
  readonly http?: HttpIR
  /** Every `env(…)` koyalite.ts reads, sorted by name; absent when none. */
  readonly env?: readonly EnvVarIR[]
  /** Per-environment overrides chosen by KOYA_ENV at start; absent when none. */
  readonly environments?: Partial<Record<EnvironmentName, EnvironmentOverridesIR>>
  /** Storage buckets, sorted by name; absent when the project has none. */
  readonly buckets?: readonly BucketIR[]
  /** `defineConfig({ embeddings })`: semantic search's provider; absent when not configured. */
  readonly embeddings?: EmbeddingsIR
  /** `defineConfig({ secrets })`: the secrets provider read at start; absent when not configured. */
  readonly secrets?: SecretsIR
}

/** A purpose users consent to (docs/compliance.md). */
export interface ConsentIR {
  readonly name: string
  readonly version: number
  readonly description: string
}

/** `backups` of defineConfig: the built-in backup job (runtime/backup/backup-job.ts). */
export interface BackupsIR {
  readonly schedule: string
  readonly timezone: string | null
  readonly keep: number | null
  /** A bucket of the app; null: the `backups/` folder beside the database. */
  readonly to: string | null
}

export interface DatabaseIR {
  /** SQLCipher encryption at rest; the key is always read from the environment. */
  readonly encryption: { readonly key: { readonly env: string } } | null
  /** `synchronous` as written; absent: 'full' in HIPAA mode, else 'normal' (ir/privacy.ts synchronousOf). */
  readonly synchronous?: 'normal' | 'full'
  /** Continuous replication in the Docker stack (codegen/stack: a Litestream service); absent: none. */
  readonly replicate?: 'litestream'
}

export interface ComplianceIR {
  readonly hipaa: boolean
}

/**
 * A storage bucket (`storage: { <name>: bucket(…) }`). Its access rules are predicates over the
 * rows of the `_koya_objects` system table (ir/storage-objects.ts), enforced by the data layer.
 */
export interface BucketIR {
  readonly name: string
  readonly maxSizeBytes: number
  /** Admitted content types (`image/*` allowed), sorted; empty: any type. */
  readonly types: readonly string[]
  /** null: no rule, the service key only (deny by default). */
  readonly access: { readonly read: PolicyPredicateIR | null; readonly create: PolicyPredicateIR | null; readonly delete: PolicyPredicateIR | null }
  /** Bytes per user and in all; null: no limit. */
  readonly quota: { readonly perUserBytes: number | null; readonly totalBytes: number | null }
  /** The thumbnail sizes downloads may ask for (`WxH`, 0 for a side that follows the image), sorted; absent: any size within the maxima. */
  readonly thumbnails?: readonly string[]
}

/** The embedding provider (dsl EmbeddingsDef), checked: the key is always an env reference. */
export interface EmbeddingsIR {
  readonly provider: 'openai-compatible' | 'custom'
  readonly url: SettingIR | null
  readonly model: string
  readonly apiKey: { readonly env: string } | null
  readonly dimensions: number
  readonly batchSize: number
}

/** The GraphQL endpoint's settings as written in `defineConfig({ graphql })` (dsl GraphqlDef). */
export interface GraphqlIR {
  readonly enabled?: boolean
  readonly introspection?: boolean
  readonly maxDepth?: number
  readonly maxAliases?: number
  readonly maxCost?: number
  readonly maxLimit?: number
  readonly defaultLimit?: number
  readonly maxBatch?: number
  readonly persistedQueries?: boolean
}

// ── Jobs, webhooks, functions: user code, bundled to plain JavaScript by `koyalite generate` ──

/**
 * generated/handlers/index.js: the jobs' `run` and the webhooks' `filter`/`transform`, bundled
 * with a source map. Written only when a project has at least one of them.
 */
export const HANDLERS_BUNDLE_PATH = 'generated/handlers/index.js'

/** generated/functions/<name>.js: one function's file and its relative imports, for Deno. */
export function functionBundlePath(name: string): string {
  return `generated/functions/${name}.js`
}

/**
 * A retry schedule as declared. A field left out is `null`: the feature's default applies (the
 * queue's for jobs, the Standard Webhooks schedule for webhooks).
 */
export interface RetryIR {
  /** Runs in all, the first included. */
  readonly attempts: number | null
  readonly initialDelayMs: number | null
  readonly maxDelayMs: number | null
}

export interface EmailIR {
  readonly from: string
  readonly provider: 'resend'
  /** Always from the environment; null: no key, the mail catcher keeps messages. */
  readonly apiKey: { readonly env: string } | null
  /** null: the email default (8 runs, 30 s to 1 h). */
  readonly retry: RetryIR | null
  /** The app's React Email templates (email.templates), sorted by name; absent: none. */
  readonly templates?: readonly EmailTemplateIR[]
}

/** One app email template: its name and its `.tsx` file, relative to the project root. */
export interface EmailTemplateIR {
  readonly name: string
  readonly file: string
}

/** generated/emails/index.js: the app's email templates compiled to plain JS, with a source map. */
export const EMAIL_TEMPLATES_BUNDLE_PATH = 'generated/emails/index.js'

export interface JobIR {
  readonly name: string
  /** A cron expression croner accepts (5 or 6 fields, or a nickname such as `@daily`); null: enqueued only. */
  readonly cron: string | null
  /** IANA time zone of `cron`; null: UTC. */
  readonly timezone: string | null
  /** null: the queue's default schedule. */
  readonly retry: RetryIR | null
  readonly timeoutMs: number | null
  /** Runs of this job at once; null: the queue's default. */
  readonly concurrency: number | null
  /** Absent: not rate limited. */
  readonly rateLimit?: JobRateLimitIR
  /** JSON Schema of the zod `payload` (job({ payload })); absent: any JSON value. */
  readonly payload?: JsonValue
}

/** Runs started per window of `perMs`, of the whole job (`kind`) and of each group key (`perKey`). */
export interface JobRateLimitIR {
  readonly kind: { readonly max: number; readonly perMs: number } | null
  readonly perKey: { readonly max: number; readonly perMs: number } | null
}

export type WebhookOperationIR = 'create' | 'update' | 'delete'

export interface WebhookIR {
  readonly name: string
  readonly table: string
  /** Sorted, without repeats: create, delete, update. */
  readonly on: readonly WebhookOperationIR[]
  readonly url: SettingIR
  /** Always from the environment: a secret is never written into generated/. */
  readonly secret: { readonly env: string }
  /** Whether the handlers bundle has a `filter` / `transform` for this webhook. */
  readonly hasFilter: boolean
  readonly hasTransform: boolean
  /** null: the Standard Webhooks schedule. */
  readonly retry: RetryIR | null
}

export type FunctionAuthIR = 'user' | 'public' | 'system'

export interface FunctionIR {
  readonly name: string
  /** The source file, relative to the project root, forward slashes. */
  readonly file: string
  /** The bundle the runtime (Deno) loads, relative to the project root: `functionBundlePath(name)`. */
  readonly bundle: string
  /** JSON Schema of the zod `input`/`output`, when given. */
  readonly input: JsonValue | null
  readonly output: JsonValue | null
  readonly auth: FunctionAuthIR
  /** Sorted, without repeats. */
  readonly allowNet: readonly string[]
  /** Sorted, without repeats. */
  readonly env: readonly string[]
  readonly timeoutMs: number | null
  readonly memoryBytes: number | null
}
