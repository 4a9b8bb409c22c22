import type { FunctionIR, JsonValue, ProjectIR } from '../project-ir.ts'
import { err } from './auth-routes.ts'
import { tsTypeOfSchema } from './json-schema-type.ts'
import { componentRef, type RouteContract, type RouteError, type RouteGroup, type RouteSchema } from './route-contract.ts'

/**
 * The edge functions' endpoints (engine/runtime/functions): `POST /functions/<name>` for each
 * function (what OpenAPI documents and, for a typed function, the SDK's
 * `koya.functions.<name>(input)`; the runtime serves any method there), and their versions and
 * invocation log under /admin/functions. Served only by an app that has functions.
 */

export const FUNCTIONS_ADMIN_ROUTE_IDS = ['listFunctions', 'listFunctionVersions', 'deployFunctionVersion', 'rollbackFunction', 'listFunctionInvocations'] as const
export type FunctionsAdminRouteId = (typeof FUNCTIONS_ADMIN_ROUTE_IDS)[number]

export const FUNCTIONS_TAG = 'Functions'

/** The most invocations one list answers with. */
export const MAX_FUNCTION_INVOCATIONS = 1000

/** `checkout` → `invokeCheckout`, the invoke entry's id and OpenAPI operationId. */
export function functionRouteId(name: string): string {
  return `invoke${name.charAt(0).toUpperCase()}${name.slice(1)}`
}

/** Whether the function takes `(input, ctx) => output` (it has an `input` or `output` schema) rather than a Request. */
export function isTypedFunction(fn: FunctionIR): boolean {
  return fn.input !== null || fn.output !== null
}

/** A zod JSON Schema as a request schema: without `$schema` (Fastify's validator compiles draft-07). */
export function requestSchemaOf(schema: JsonValue): RouteSchema {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return {}
  const { $schema: _ignored, ...rest } = schema as { readonly [key: string]: JsonValue }
  return rest
}

const adminErrors: readonly RouteError[] = [
  err(401, 'Neither an admin\'s session nor the service key came with the request', 'KL_AUTH_REQUIRED'),
  err(403, 'The signed-in user is not an admin (or is impersonating), or the origin is not trusted', 'KL_AUTH_FORBIDDEN', 'KL_AUTH_CSRF'),
]

const invokeErrors: readonly RouteError[] = [
  err(401, 'The function needs a signed-in user (or, for a `system` function, the service key)', 'KL_AUTH_REQUIRED'),
  err(403, 'A `system` function called by a user', 'KL_AUTH_FORBIDDEN'),
  err(413, 'The body is larger than functions accept', 'KL_API_PAYLOAD_TOO_LARGE'),
  err(502, 'The function threw, crashed, ran out of memory or answered with an output its schema refuses', 'KL_API_FUNCTION_FAILED', 'KL_API_FUNCTION_MEMORY'),
  err(503, 'No worker could serve the call', 'KL_API_FUNCTION_UNAVAILABLE'),
  err(504, 'The function ran past its time or CPU limit', 'KL_API_FUNCTION_TIMEOUT'),
]

function invokeRoute(fn: FunctionIR): RouteContract {
  const typed = isTypedFunction(fn)
  const who = { user: 'a signed-in user (or the service key)', public: 'anyone', system: 'the service key only' }[fn.auth]
  return {
    id: functionRouteId(fn.name),
    method: 'POST',
    path: `/functions/${fn.name}`,
    tag: FUNCTIONS_TAG,
    summary: `Call function ${fn.name}`,
    description: typed
      ? `Runs ${fn.file} on Deno with the JSON body as its input${fn.input === null ? '' : ' (validated first)'} and answers with its output as JSON. Callable by ${who}.`
      : `Runs ${fn.file} on Deno with the request as it came (any method; body and headers other than Authorization and Cookie pass through) and answers with the Response it returns. Callable by ${who}.`,
    auth: fn.auth === 'public' ? 'public' : fn.auth === 'system' ? 'admin' : 'session',
    ...(fn.input !== null ? { body: { description: `The input of ${fn.name}.`, schema: requestSchemaOf(fn.input) } } : {}),
    closedQuery: false,
    responses: [
      typed
        ? { status: 200, description: `The output of ${fn.name}.`, ...(fn.output !== null ? { schema: requestSchemaOf(fn.output) } : {}) }
        : { status: 200, description: 'What the function answers (any status, headers and body).' },
    ],
    errors: [...(fn.input !== null ? [err(400, 'The body does not match the function\'s input schema', 'KL_API_VALIDATION')] : []), ...invokeErrors],
    ...(typed
      ? {
          sdk: {
            namespace: 'functions',
            name: fn.name,
            doc: `Call the edge function ${fn.name} (POST /functions/${fn.name}).`,
            input: fn.input === null ? { kind: 'none' as const } : { kind: 'body' as const, type: tsTypeOfSchema(fn.input) },
            returns: fn.output === null ? 'unknown' : tsTypeOfSchema(fn.output),
            token: 'none' as const,
          },
        }
      : {}),
  }
}

const nameParam = (names: readonly string[]) => [{ name: 'name', description: 'The function.', schema: { type: 'string', enum: [...names] } }]

function adminRoutesOf(names: readonly string[]): RouteContract<FunctionsAdminRouteId>[] {
  return [
    {
      id: 'listFunctions',
      method: 'GET',
      path: '/admin/functions',
      tag: FUNCTIONS_TAG,
      summary: 'Functions',
      description: 'Every function of the app with the version it serves (null: the bundle `koyalite generate` wrote, no version deployed).',
      auth: 'admin',
      responses: [{ status: 200, description: 'The functions.', schema: { type: 'array', items: componentRef('FunctionSummary') } }],
      errors: adminErrors,
    },
    {
      id: 'listFunctionVersions',
      method: 'GET',
      path: '/admin/functions/:name/versions',
      tag: FUNCTIONS_TAG,
      summary: 'Versions of a function',
      description: 'The deployed versions, newest first; `active` marks the one served.',
      auth: 'admin',
      params: nameParam(names),
      responses: [{ status: 200, description: 'The versions.', schema: { type: 'array', items: componentRef('FunctionVersion') } }],
      errors: adminErrors,
    },
    {
      id: 'deployFunctionVersion',
      method: 'POST',
      path: '/admin/functions/:name/versions',
      tag: FUNCTIONS_TAG,
      summary: 'Deploy a version',
      description: 'Store a bundle (what `koyalite functions deploy` builds: one ES module, its relative imports included) as an immutable version named by its content hash, and serve it from the next call on; calls in flight finish on the version they started on. The same bytes deployed again make no new version: the existing one becomes active.',
      auth: 'admin',
      params: nameParam(names),
      body: {
        description: 'The bundle.',
        schema: { type: 'object', properties: { code: { type: 'string', minLength: 1, maxLength: 10_000_000 }, sourceMap: { type: 'string', maxLength: 20_000_000 } }, required: ['code'], additionalProperties: false },
      },
      responses: [{ status: 201, description: 'The version, now active.', schema: componentRef('FunctionVersion') }],
      errors: [err(400, 'The body is not a bundle', 'KL_API_VALIDATION'), ...adminErrors],
    },
    {
      id: 'rollbackFunction',
      method: 'POST',
      path: '/admin/functions/:name/rollback',
      tag: FUNCTIONS_TAG,
      summary: 'Roll back a function',
      description: 'Serve an earlier version from the next call on: `to` (its number, `v3` or `3`, or its hash), or else the one deployed before the active one.',
      auth: 'admin',
      params: nameParam(names),
      body: { description: 'Which version.', schema: { type: 'object', properties: { to: { type: 'string', minLength: 1, maxLength: 64 } }, additionalProperties: false } },
      responses: [{ status: 200, description: 'The version now active.', schema: componentRef('FunctionVersion') }],
      errors: [...adminErrors, err(404, 'No such version, or none before the active one', 'KL_API_NOT_FOUND')],
    },
    {
      id: 'listFunctionInvocations',
      method: 'GET',
      path: '/admin/functions/:name/invocations',
      tag: FUNCTIONS_TAG,
      summary: 'Invocations of a function',
      description: 'The invocation log, newest first: request id, version, status, duration, peak resident memory of the worker, and stdout/stderr cut at 16 KiB. Kept 7 days.',
      auth: 'admin',
      params: nameParam(names),
      query: [
        { name: 'before', description: 'Entries with a smaller id (the next page).', schema: { type: 'string', pattern: '^[0-9]{1,15}$' } },
        { name: 'limit', description: `At most this many (1 to ${MAX_FUNCTION_INVOCATIONS}; default 100).`, schema: { type: 'string', pattern: '^[0-9]{1,4}$' } },
      ],
      responses: [{ status: 200, description: 'The invocations.', schema: { type: 'array', items: componentRef('FunctionInvocation') } }],
      errors: [err(400, 'A parameter is out of range', 'KL_API_BAD_PAGINATION', 'KL_API_VALIDATION'), ...adminErrors],
    },
  ]
}

/**
 * The functions group of an app, or undefined when it has none (nothing is served then).
 *
 * @example
 * functionsRoutes(ir)?.routes.map((route) => route.path) // ['/functions/hello', '/admin/functions', …]
 */
export function functionsRoutes(ir: ProjectIR): RouteGroup | undefined {
  const functions = ir.functions ?? []
  if (functions.length === 0) return undefined
  const names = functions.map((fn) => fn.name)
  return {
    tag: { name: FUNCTIONS_TAG, description: 'Edge functions on Deno: calling them, and (admin role or service key) their versions, rollback and invocation log.' },
    routes: [...functions.map(invokeRoute), ...adminRoutesOf(names)],
    schemas: functionsSchemas(names),
  }
}

/** The /admin entries alone, typed by id (what the runtime attaches handlers to). */
export function functionsAdminRoutes(ir: ProjectIR): RouteContract<FunctionsAdminRouteId>[] {
  const names = (ir.functions ?? []).map((fn) => fn.name)
  return names.length === 0 ? [] : adminRoutesOf(names)
}

function functionsSchemas(names: readonly string[]): Record<string, RouteSchema> {
  const name = { type: 'string', enum: [...names] }
  return {
    FunctionSummary: {
      type: 'object',
      properties: { name, file: { type: 'string' }, auth: { type: 'string', enum: ['user', 'public', 'system'] }, active: { anyOf: [componentRef('FunctionVersion'), { type: 'null' }] } },
      required: ['name', 'file', 'auth', 'active'],
    },
    FunctionVersion: {
      type: 'object',
      description: 'A deployed version of a function (immutable).',
      properties: {
        function: name,
        number: { type: 'integer', description: '1 for the first deployed version.' },
        version: { type: 'string', description: 'The content hash: 12 hex digits of the bundle\'s SHA-256.' },
        bytes: { type: 'integer' },
        deployedBy: { type: 'string' },
        deployedAt: { type: 'string', format: 'date-time' },
        active: { type: 'boolean' },
        storedIn: { type: 'string', enum: ['database', 'storage'], description: 'Where its bundle and source map are kept: the database, or the storage bucket (KOYA_FUNCTIONS_VERSIONS=storage).' },
      },
      required: ['function', 'number', 'version', 'bytes', 'deployedBy', 'deployedAt', 'active', 'storedIn'],
    },
    FunctionInvocation: {
      type: 'object',
      description: 'One call of a function.',
      properties: {
        id: { type: 'integer' },
        function: name,
        version: { type: 'string', description: 'The hash of the version that ran (`source-<hash>`: the generated bundle).' },
        requestId: { type: 'string' },
        status: { type: 'integer', description: 'The HTTP status answered.' },
        durationMs: { type: 'integer' },
        memoryBytes: { type: ['integer', 'null'], description: 'Peak resident memory of the worker seen during the call.' },
        stdout: { type: 'string' },
        stderr: { type: 'string' },
        error: { type: ['string', 'null'] },
        at: { type: 'string', format: 'date-time' },
      },
      required: ['id', 'function', 'version', 'requestId', 'status', 'durationMs', 'memoryBytes', 'stdout', 'stderr', 'error', 'at'],
    },
  }
}
