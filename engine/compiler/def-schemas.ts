import { PASSWORD_MIN_LENGTH } from '../shared/auth-fields.ts'
import { z } from 'zod'
import { environmentsDefSchema, httpDefSchema } from './build-http.ts'
import type { ConfigDef, TableDef } from '../dsl/index.ts'
import { COLUMN_TYPES } from '../shared/column-types.ts'

/**
 * zod schemas of the *Def objects the DSL builds. The DSL's types already reject most mistakes;
 * these catch what types cannot (a definition built dynamically, a cast, plain JavaScript) and
 * reject unknown keys so a typo never passes silently.
 */

const referentialAction = z.enum(['cascade', 'restrict', 'set null', 'no action'])
const isFunction = (value: unknown): value is (...args: never[]) => unknown => typeof value === 'function'

const refDef = z.strictObject({
  target: z.union([z.string(), z.custom<() => unknown>(isFunction, 'Expected a table name or a function returning a table')]),
  onDelete: referentialAction.optional(),
  inverse: z.string().optional(),
})

const jsonValidator = z.custom<{ safeParse: (value: unknown) => unknown }>(
  (value) => typeof value === 'object' && value !== null && isFunction((value as { safeParse?: unknown }).safeParse),
  'Expected a zod schema',
)

const columnDef = z.strictObject({
  kind: z.literal('column'),
  type: z.enum(COLUMN_TYPES),
  optional: z.boolean(),
  hasDefault: z.boolean(),
  default: z.unknown().optional(),
  unique: z.boolean(),
  index: z.boolean(),
  min: z.number().finite().optional(),
  max: z.number().finite().optional(),
  values: z.array(z.unknown()).optional(),
  ref: refDef.optional(),
  renamedFrom: z.string().optional(),
  schema: jsonValidator.optional(),
  maxDepth: z.number().int().min(1).max(256, 'A json column nests at most 256 levels (the request body limit)').optional(),
  file: z.strictObject({ bucket: z.string(), many: z.boolean(), max: z.number().int().min(1).max(1000).optional() }).optional(),
  personal: z.boolean().optional(),
  phi: z.boolean().optional(),
})

const column = z.object({ def: columnDef }, { error: 'Expected a column made with t.<type>()' })

const indexDef = z.union([
  z.array(z.string()).min(1, 'An index needs at least one column'),
  z.strictObject({ columns: z.array(z.string()).min(1, 'An index needs at least one column'), unique: z.boolean().optional() }),
])

export const tableDefSchema = z.strictObject({
  kind: z.literal('table'),
  name: z.string(),
  columns: z.record(z.string(), column),
  options: z.strictObject({
    indexes: z.array(indexDef).optional(),
    search: z
      .strictObject({
        text: z.array(z.string()).optional(),
        semantic: z.array(z.string()).optional(),
        tokenizer: z.enum(['unicode61', 'porter', 'trigram']).optional(),
        weights: z.record(z.string(), z.number().positive().finite()).optional(),
      })
      .optional(),
    renamedFrom: z.string().optional(),
    singular: z.string().regex(/^[a-z][A-Za-z0-9_]*$/, 'Expected a singular table name such as "person"').optional(),
    owner: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, 'Expected ref column names joined by dots, such as "projectId.ownerId"').optional(),
    onErase: z.enum(['delete', 'anonymize', 'keep']).optional(),
  }),
  users: z.boolean(),
})

const predicate = z.custom<(...args: never[]) => unknown>(isFunction, 'Expected an arrow function (row, auth) => boolean')
const tableRules = z.strictObject({
  read: predicate.optional(),
  create: predicate.optional(),
  update: z.union([predicate, z.strictObject({ using: predicate, check: predicate })]).optional(),
  delete: predicate.optional(),
  strict: z.boolean().optional(),
})
const policiesDef = z.strictObject({ kind: z.literal('policies'), rules: z.record(z.string(), tableRules) }, { error: 'Expected the result of policies(schema, { … })' })

const envRef = z.strictObject({ kind: z.literal('env'), name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'Expected an environment variable name'), schema: z.custom<unknown>((value) => typeof value === 'object' && value !== null && '_zod' in value, 'Expected a zod schema').optional() })
const setting = z.union([z.string(), envRef])
const duration = z.string().regex(/^[1-9]\d*(s|m|h|d)$/, 'Expected a duration such as "30m", "12h" or "7d"')
const oauthProvider = z.strictObject({ clientId: setting, clientSecret: setting })

/** Durations of jobs, webhooks and functions may be as short as milliseconds: `'500ms'`. */
export const DURATION_MS_PATTERN = /^[1-9]\d*(ms|s|m|h|d)$/
const durationMs = z.string().regex(DURATION_MS_PATTERN, 'Expected a duration such as "500ms", "10s" or "30m"')
const positiveInt = z.number().int('Expected a whole number').positive('Expected a number above 0')
const retry = z.strictObject({ attempts: positiveInt.optional(), initialDelay: durationMs.optional(), maxDelay: durationMs.optional() })
const handler = (what: string) => z.custom<(...args: never[]) => unknown>(isFunction, `Expected a function ${what}`)

const jobDef = z.strictObject(
  {
    kind: z.literal('job'),
    cron: z.string().optional(),
    timezone: z.string().optional(),
    retry: retry.optional(),
    retries: z.number().int('Expected a whole number').nonnegative('Expected 0 or more').optional(),
    timeout: durationMs.optional(),
    concurrency: positiveInt.optional(),
    rateLimit: z
      .strictObject({ max: positiveInt.optional(), per: durationMs.optional(), perKey: z.strictObject({ max: positiveInt, per: durationMs }).optional() })
      .refine((limit) => (limit.max === undefined) === (limit.per === undefined), 'Expected both max and per (the whole job), or neither')
      .refine((limit) => limit.max !== undefined || limit.perKey !== undefined, 'Expected { max, per }, perKey: { max, per }, or both')
      .optional(),
    payload: jsonValidator.optional(),
    run: handler('async (ctx, payload) => …'),
  },
  { error: 'Expected a job made with job({ … })' },
)

const webhookDef = z.strictObject(
  {
    kind: z.literal('webhook'),
    table: z.string(),
    on: z.array(z.enum(['create', 'update', 'delete'])).min(1, 'Expected at least one of "create", "update", "delete"'),
    url: setting,
    secret: setting.optional(),
    filter: handler('(event) => boolean').optional(),
    transform: handler('(event) => body').optional(),
    retry: retry.optional(),
  },
  { error: 'Expected a webhook made with webhook({ … })' },
)

const functionDef = z.strictObject(
  {
    kind: z.literal('function'),
    file: z.string().min(1),
    input: jsonValidator.optional(),
    output: jsonValidator.optional(),
    auth: z.enum(['user', 'public', 'system']).optional(),
    allowNet: z.array(z.string()).optional(),
    env: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'Expected an environment variable name')).optional(),
    timeout: durationMs.optional(),
    memory: z.string().regex(/^[1-9]\d*(KB|MB|GB)$/, 'Expected a size such as "128MB" or "1GB"').optional(),
  },
  { error: 'Expected a function made with fn({ … })' },
)

const byteSize = z.union([z.number().int('Expected a whole number of bytes').nonnegative('Expected 0 or more'), z.string().regex(/^[1-9]\d*(B|KB|MB|GB)$/, 'Expected a size such as "10MB" or "1GB"')])
const bucketRule = handler('(object, auth) => boolean')
const bucketDef = z.strictObject(
  {
    kind: z.literal('bucket'),
    maxSize: byteSize.optional(),
    types: z.array(z.string().regex(/^[a-z0-9][a-z0-9.+-]*\/(\*|[a-z0-9][a-z0-9.+-]*)$/, 'Expected a content type such as "image/png" or "image/*"')).optional(),
    access: z.strictObject({ read: bucketRule.optional(), create: bucketRule.optional(), delete: bucketRule.optional() }).optional(),
    quota: z.strictObject({ perUser: byteSize.optional(), total: byteSize.optional() }).optional(),
    thumbnails: z.array(z.string().regex(/^\d{1,4}x\d{1,4}$/, 'Expected a thumbnail size such as "200x200" or "800x0"')).max(64).optional(),
  },
  { error: 'Expected a bucket made with bucket({ … })' },
)

export const configDefSchema = z.strictObject({
  kind: z.literal('config'),
  name: z.string(),
  tables: z.record(z.string(), z.unknown()),
  roles: z.array(z.string()),
  policies: z.union([policiesDef, z.array(policiesDef)]).optional(),
  auth: z
    .strictObject({
      email: z.union([z.boolean(), z.strictObject({ verify: z.boolean().optional() })]).optional(),
      oauth: z.strictObject({ github: oauthProvider.optional(), google: oauthProvider.optional() }).optional(),
      session: z.strictObject({ idleTimeout: duration.optional(), absoluteTimeout: duration.optional() }).optional(),
      password: z.strictObject({ minLength: z.number().int().min(PASSWORD_MIN_LENGTH).max(128).optional() }).optional(),
      publicUrl: setting.optional(),
      trustedOrigins: z.array(z.string()).optional(),
      redirects: z.array(z.string()).optional(),
    })
    .optional(),
  jobs: z.record(z.string(), jobDef).optional(),
  email: z.strictObject({ from: z.string().min(3, 'Expected a sender address'), provider: z.literal('resend').optional(), apiKey: setting.optional(), retry: retry.optional(), templates: z.record(z.string(), z.string()).optional() }).optional(),
  webhooks: z.record(z.string(), webhookDef).optional(),
  functions: z.record(z.string(), functionDef).optional(),
  storage: z.record(z.string(), bucketDef).optional(),
  graphql: z
    .strictObject({
      enabled: z.boolean().optional(),
      introspection: z.boolean().optional(),
      maxDepth: positiveInt.optional(),
      maxAliases: z.number().int().min(0).optional(),
      maxCost: positiveInt.optional(),
      maxLimit: positiveInt.optional(),
      defaultLimit: positiveInt.optional(),
      maxBatch: positiveInt.optional(),
      persistedQueries: z.boolean().optional(),
    })
    .optional(),
  env: z.array(envRef).optional(),
  http: httpDefSchema.optional(),
  environments: environmentsDefSchema.optional(),
  consents: z.record(z.string().regex(/^[a-z][A-Za-z0-9]*$/, 'Expected a camelCase purpose name such as "marketing"'), z.strictObject({ version: positiveInt, description: z.string().min(1) })).optional(),
  backups: z.strictObject({ schedule: z.string().min(1), timezone: z.string().optional(), keep: z.number().int().min(1).optional(), to: z.string().optional() }).optional(),
  database: z.strictObject({ encryption: z.strictObject({ key: setting }).optional(), synchronous: z.enum(['normal', 'full']).optional(), replicate: z.literal('litestream').optional() }).optional(),
  compliance: z.strictObject({ hipaa: z.boolean().optional() }).optional(),
  embeddings: z
    .strictObject({
      provider: z.enum(['openai-compatible', 'custom']),
      url: setting.optional(),
      model: z.string().min(1),
      apiKey: setting.optional(),
      dimensions: z.number().int().min(1).max(8192),
      batchSize: z.number().int().min(1).max(2048).optional(),
    })
    .optional(),
  secrets: z
    .strictObject({
      provider: z.literal('infisical'),
      siteUrl: setting.optional(),
      projectId: setting,
      clientId: setting,
      clientSecret: setting,
      environment: z.union([z.string().min(1), z.strictObject({ development: z.string().min(1).optional(), test: z.string().min(1).optional(), staging: z.string().min(1).optional(), production: z.string().min(1).optional() })]).optional(),
      path: z.string().regex(/^\/([\w.-]+(\/[\w.-]+)*)?\/?$/, 'Expected a folder path such as "/" or "/api/keys"').optional(),
      refresh: z.union([duration, z.literal(false)]).optional(),
      timeout: durationMs.optional(),
    })
    .optional(),
})

/** Describe a zod issue for a person: where in the object, and what is wrong. */
export function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length > 0 ? issue.path.map(String).join('.') : 'the object'
  if (issue.code === 'unrecognized_keys') return `${where} has unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
  return `${where}: ${issue.message}`
}

/**
 * The path of the value an issue is about, with the first unknown key appended for unknown-key
 * issues: `['auth', 'session', 'absoluteTimout']`. Only object keys: array positions end it.
 */
export function issuePath(issue: z.core.$ZodIssue): string[] {
  const keys: string[] = []
  for (const part of issue.path) {
    if (typeof part !== 'string') return keys
    keys.push(part)
  }
  if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined) keys.push(issue.keys[0])
  return keys
}

export type ValidConfigDef = Omit<ConfigDef, 'tables'> & { readonly tables: Readonly<Record<string, unknown>> }
export type ValidTableDef = TableDef
