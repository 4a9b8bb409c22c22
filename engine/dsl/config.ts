import type { ZodType } from 'zod'
import type { AnyTable } from './table.ts'
import type { PoliciesDef } from './policies.ts'
import type { FunctionDef } from './fn.ts'
import type { JobDef, RetryDef } from './job.ts'
import type { WebhookDef } from './webhook.ts'
import type { BucketDef } from './bucket.ts'
import type { HttpDef } from './http.ts'
import type { ComplianceDef, ConsentDef, DatabaseDef } from './compliance.ts'
import type { SecretsDef } from './secrets.ts'

/** A value read from the environment when the app runs, never at generate time. */
export interface EnvRef {
  readonly kind: 'env'
  readonly name: string
  /** A zod schema the value must pass at start (`koyalite start`, `koyalite env check`). */
  readonly schema?: ZodType
}

/**
 * Read a setting from the environment when the server starts. Secrets stay out of
 * `koyalite.ts` and out of everything `koyalite generate` writes. With a zod schema the variable
 * is declared: `koyalite start` refuses to start while it is missing (unless the schema is
 * optional) or does not pass, and reports every such variable at once.
 *
 * @example
 * oauth: { github: { clientId: env('GITHUB_CLIENT_ID'), clientSecret: env('GITHUB_CLIENT_SECRET', z.string().min(20)) } }
 * env: [env('SENTRY_DSN', z.url().optional()), env('WORKERS', z.coerce.number().int().min(1))]
 */
export function env(name: string, schema?: ZodType): EnvRef {
  return Object.freeze(schema === undefined ? { kind: 'env', name } : { kind: 'env', name, schema })
}

/** A setting given inline or read from the environment at start. */
export type Setting = string | EnvRef

export interface OAuthProviderDef {
  readonly clientId: Setting
  readonly clientSecret: Setting
}

/**
 * How the app sends email: every message (auth's verification and reset emails, `ctx.email.send`
 * in jobs) goes through the durable queue and is sent with the provider, retried on 429 and 5xx.
 * Without an API key at run time, messages are kept by the mail catcher (`GET /admin/emails`).
 *
 * @example
 * email: { from: 'Koya Tasks <tasks@example.com>', provider: 'resend', apiKey: env('RESEND_API_KEY'), retry: { attempts: 8 } }
 */
export interface EmailDef {
  /** The sender: `'Name <address@domain>'` or an address, on a domain the provider verified. */
  readonly from: string
  /** Default and only provider today: `'resend'`. */
  readonly provider?: 'resend'
  /** Always `env('NAME')`: an inline key is refused. Unset at run time: the mail catcher keeps messages. */
  readonly apiKey?: EnvRef
  /** Default: 8 runs from 30 s up to 1 h apart. */
  readonly retry?: RetryDef
  /**
   * The app's own React Email templates, by name: a `.tsx` file each (relative to the project
   * root) whose default export is the component. `koyalite generate` compiles them to plain JS
   * (generated/emails/index.js: no TypeScript at run time) and types their props for
   * `ctx.email.send({ template, props })`; a component's static `PreviewProps` feed the dev
   * preview at `/_/emails`.
   *
   * @example
   * templates: { welcome: 'emails/welcome.tsx' }
   */
  readonly templates?: Readonly<Record<string, string>>
}

/** `defineConfig({ backups })`: scheduled backups (docs/backup.md). */
export interface BackupsDef {
  readonly schedule: string
  /** IANA time zone of `schedule`; default UTC. */
  readonly timezone?: string
  /** Keep the newest n archives; default: all. */
  readonly keep?: number
  /** A bucket of the app (`storage`) the archives go to; default: the `backups/` folder beside the database. */
  readonly to?: string
}

export interface AuthDef {
  /** Email and password sign-in; `verify` sends a verification email at sign-up (the link sets `emailVerified`). */
  readonly email?: boolean | { readonly verify?: boolean }
  readonly oauth?: {
    readonly github?: OAuthProviderDef
    readonly google?: OAuthProviderDef
  }
  /** Durations such as `'30m'`, `'12h'`, `'7d'`. */
  readonly session?: {
    readonly idleTimeout?: string
    readonly absoluteTimeout?: string
  }
  /**
   * The password policy of sign-up, reset and change: `minLength` in characters (10 to 128;
   * default 10, and 12 in HIPAA mode, which refuses less).
   *
   * @example
   * password: { minLength: 14 }
   */
  readonly password?: { readonly minLength?: number }
  /**
   * The URL people reach the app at: email links are built from it and cookie writes must come
   * from its origin. Default: `$KOYA_PUBLIC_URL`, else `http://127.0.0.1:3000`.
   */
  readonly publicUrl?: Setting
  /**
   * Other origins (`'https://app.example.com'`) whose pages may call the API with the session
   * cookie (CSRF check) and read its answers (CORS). `$KOYA_TRUSTED_ORIGINS` (comma-separated) adds more.
   */
  readonly trustedOrigins?: readonly string[]
  /**
   * Where a sign-in (OAuth) may send the browser afterwards, besides the public URL's origin and
   * the trusted origins: absolute http(s) URLs; one with a path allows that path and below it.
   *
   * @example
   * redirects: ['https://app.example.com/after-login', 'http://localhost:5173']
   */
  readonly redirects?: readonly string[]
}

/** What `defineConfig` takes. */
export interface ConfigInput<Tables extends Readonly<Record<string, unknown>> = Readonly<Record<string, unknown>>> {
  /** The app's name: lower case, used for the SDK package and the Docker stack. */
  readonly name: string
  /** The module of all tables: `import * as tables from './schema'`. */
  readonly tables: Tables
  /** Roles beyond `admin`, which always exists. */
  readonly roles?: readonly string[]
  /** Row-level-security rules made by `policies()`: one set, or an array of sets split over files. */
  readonly policies?: PoliciesDef | readonly PoliciesDef[]
  readonly auth?: AuthDef
  /** Background jobs made by `job()`, by name. */
  readonly jobs?: Readonly<Record<string, JobDef<never>>>
  /** How email is sent (auth emails, `ctx.email.send`). */
  readonly email?: EmailDef
  /** Webhooks made by `webhook()`, by name. */
  readonly webhooks?: Readonly<Record<string, WebhookDef>>
  /** Edge functions made by `fn()`, by name: served at `/functions/<name>`. */
  readonly functions?: Readonly<Record<string, FunctionDef>>
  /** The GraphQL endpoint (`/graphql`): its limits and options (docs/graphql.md). */
  readonly graphql?: GraphqlDef
  /** Storage buckets made by `bucket()`, by name: served at `/storage/<name>` (docs/storage.md). */
  readonly storage?: Readonly<Record<string, BucketDef>>
  /** Environment variables the app's own code reads (jobs, functions), declared so start checks them: `[env('NAME', z.string())]`. */
  readonly env?: readonly EnvRef[]
  /** CORS, response headers and rate limits (docs/operations.md). */
  readonly http?: HttpDef
  /** Settings that replace the ones above when `KOYA_ENV` names that environment (docs/environments.md). */
  readonly environments?: EnvironmentsDef
  /** Purposes users consent to, by name (docs/compliance.md). */
  readonly consents?: Readonly<Record<string, ConsentDef>>
  /** How the database file is opened (encryption at rest). */
  readonly database?: DatabaseDef
  /**
   * Scheduled backups, a built-in job (docs/backup.md): `schedule` is a cron expression (croner's,
   * as `job({ cron })`), `keep` the newest archives kept, `to` a bucket of the app to write them
   * to through the storage driver (else `backups/` beside the database).
   *
   * @example
   * backups: { schedule: '0 3 * * *', keep: 7, to: 'backups' }
   */
  readonly backups?: BackupsDef
  /** Compliance modes (`hipaa`). */
  readonly compliance?: ComplianceDef
  /** How `search.semantic` columns and semantic queries are embedded (docs/search.md). */
  readonly embeddings?: EmbeddingsDef
  /** A secrets provider (Infisical) read at start, under the environment and over `.env` files (docs/environments.md). */
  readonly secrets?: SecretsDef
}

/**
 * The embedding provider of semantic search: a server speaking the OpenAI embeddings API
 * (`POST <url>/embeddings`: OpenAI, Ollama, vLLM, LocalAI…), or `'custom'`, whose `embed(texts)`
 * function is given to the server in code (`createServer({ search: { embed } })`). Rows are
 * embedded by the durable queue after each write, never on the request path.
 *
 * @example
 * embeddings: { provider: 'openai-compatible', url: 'https://api.openai.com/v1', model: 'text-embedding-3-small', apiKey: env('OPENAI_API_KEY'), dimensions: 1536 }
 */
export interface EmbeddingsDef {
  readonly provider: 'openai-compatible' | 'custom'
  /** The API's base URL, up to `/v1` (`/embeddings` is appended). Required for openai-compatible. */
  readonly url?: Setting
  /** The model name sent with each request; changing it re-embeds every row (at the next migration). */
  readonly model: string
  /** Always `env('NAME')`: an inline key is refused. */
  readonly apiKey?: EnvRef
  /** The vectors' length: the model's output size (also sent as `dimensions`). */
  readonly dimensions: number
  /** Texts per provider request. Default 64. */
  readonly batchSize?: number
}

/**
 * Options of the GraphQL endpoint. Every limit is checked before a query runs.
 *
 * @example
 * defineConfig({ name: 'koya-tasks', tables, graphql: { introspection: true, maxDepth: 8 } })
 */
export interface GraphqlDef {
  /** Serve /graphql at all. Default true. */
  readonly enabled?: boolean
  /** Answer introspection queries when NODE_ENV is production. Default false (always on otherwise). */
  readonly introspection?: boolean
  /** Deepest nesting of fields in a query. Default 10. */
  readonly maxDepth?: number
  /** Aliased fields in one query. Default 30. */
  readonly maxAliases?: number
  /** Estimated cost of one query (fields × the list sizes above them). Default 50000. */
  readonly maxCost?: number
  /** Largest `limit` of a list. Default 1000. */
  readonly maxLimit?: number
  /** The rows a list without `limit` returns at most (has-many relations included). Default 100. */
  readonly defaultLimit?: number
  /** Queries in one batched request (a JSON array body). Default 10. */
  readonly maxBatch?: number
  /** Automatic persisted queries (a client sends a query's SHA-256 hash instead of its text). Default false. */
  readonly persistedQueries?: boolean
}

/** The checked-by-type, not-yet-validated definition of an app: the default export of koyalite.ts. */
export interface ConfigDef {
  readonly kind: 'config'
  readonly name: string
  readonly tables: Readonly<Record<string, AnyTable>>
  readonly roles: readonly string[]
  readonly policies?: PoliciesDef | readonly PoliciesDef[]
  readonly auth?: AuthDef
  readonly jobs?: Readonly<Record<string, JobDef<never>>>
  readonly email?: EmailDef
  readonly webhooks?: Readonly<Record<string, WebhookDef>>
  readonly functions?: Readonly<Record<string, FunctionDef>>
  readonly graphql?: GraphqlDef
  readonly storage?: Readonly<Record<string, BucketDef>>
  readonly env?: readonly EnvRef[]
  readonly http?: HttpDef
  readonly environments?: EnvironmentsDef
  readonly consents?: Readonly<Record<string, ConsentDef>>
  readonly database?: DatabaseDef
  readonly backups?: BackupsDef
  readonly compliance?: ComplianceDef
  readonly embeddings?: EmbeddingsDef
  readonly secrets?: SecretsDef
}

/** The environments `KOYA_ENV` may name. */
export type EnvironmentName = 'development' | 'test' | 'staging' | 'production'

/** Per-environment overrides: each key replaces the top-level setting of the same name in that environment. */
export type EnvironmentsDef = { readonly [E in EnvironmentName]?: { readonly http?: HttpDef } }

/**
 * Describe the application. The default export of `koyalite.ts`.
 *
 * @example
 * import { defineConfig } from 'koyalite'
 * import * as tables from './schema'
 *
 * export default defineConfig({ name: 'koya-tasks', tables, roles: ['admin', 'support'] })
 */
export function defineConfig<const C extends ConfigInput<Readonly<Record<string, AnyTable>>>>(config: C): ConfigDef {
  const { name, tables, roles = [], jobs, webhooks, functions, storage, ...rest } = config
  return Object.freeze({
    ...rest,
    kind: 'config',
    name,
    tables: Object.freeze({ ...tables }),
    roles: Object.freeze([...roles]),
    ...(jobs ? { jobs: Object.freeze({ ...jobs }) } : {}),
    ...(webhooks ? { webhooks: Object.freeze({ ...webhooks }) } : {}),
    ...(functions ? { functions: Object.freeze({ ...functions }) } : {}),
    ...(storage ? { storage: Object.freeze({ ...storage }) } : {}),
  })
}
