import { err } from './auth-routes.ts'
import type { RouteError, RouteGroup, RouteSchema } from './route-contract.ts'
import { STUDIO_TAG } from './studio-routes.ts'

/**
 * Studio's schema-and-policies-as-code routes: served only by `koyalite dev` (the CLI hands the
 * edit code to the Studio module; `koyalite start` and `createServer` never register them), so
 * they are not part of the app's API: not in OpenAPI, no SDK method.
 */

export const STUDIO_DEV_ROUTE_IDS = ['studioEditState', 'studioEdit', 'studioEnvState', 'studioEnvWrite'] as const
export type StudioDevRouteId = (typeof STUDIO_DEV_ROUTE_IDS)[number]

/** The column types Studio offers for a new column (`t.<type>()`). */
export const EDITABLE_COLUMN_TYPES = ['text', 'int', 'real', 'bool', 'timestamp', 'date', 'json'] as const
export type EditableColumnType = (typeof EDITABLE_COLUMN_TYPES)[number]

export interface NewColumn {
  readonly name: string
  readonly type: EditableColumnType
  /** `.optional()`: the column may be null. */
  readonly optional?: boolean
  readonly unique?: boolean
}

/** One edit of the project's code. */
export type StudioEdit =
  | { readonly kind: 'addColumn'; readonly table: string; readonly column: NewColumn }
  | { readonly kind: 'renameColumn'; readonly table: string; readonly from: string; readonly to: string }
  | { readonly kind: 'addTable'; readonly table: string; readonly columns: readonly NewColumn[] }
  | { readonly kind: 'editPolicy'; readonly table: string; readonly operation: 'read' | 'create' | 'update' | 'delete'; readonly source: string }
  | { readonly kind: 'addIndex'; readonly table: string; readonly columns: readonly string[]; readonly unique?: boolean }
  /** The index on `columns` redefined as `to` (and `unique`): its derived name changes with it. */
  | { readonly kind: 'editIndex'; readonly table: string; readonly columns: readonly string[]; readonly to: readonly string[]; readonly unique?: boolean }
  | { readonly kind: 'dropIndex'; readonly table: string; readonly columns: readonly string[] }

export interface StudioEditResult {
  /** Each file the edit changed, with a unified diff of it. */
  readonly files: readonly { readonly path: string; readonly diff: string }[]
  /** The migration the regeneration wrote, when the schema changed. */
  readonly migration: { readonly name: string; readonly sql: string } | null
}

/** The `.env` file `koyalite dev` reads first: which names it holds (never their values). */
export interface StudioEnvFile {
  /** Relative to the project root: `.env`. */
  readonly file: string
  readonly names: readonly string[]
}

/** What `koyalite dev` gives the Studio module: it applies an edit, regenerates, or restores and throws. */
export interface StudioDevEdits {
  apply(edit: StudioEdit): Promise<StudioEditResult>
  /** The names the project's `.env` holds. */
  envFile(): StudioEnvFile
  /**
   * Set (a string) or remove (null) variables in `.env`, the rest of the file kept as it is; the
   * values were checked against the app's env schema by the caller. The dev loop then reloads the
   * app with them.
   */
  writeEnv(values: Readonly<Record<string, string | null>>): Promise<StudioEnvFile>
}

/** One declared variable in the `.env` editor: never its value. */
export interface StudioEnvVariable {
  readonly name: string
  readonly required: boolean
  /** Set in the environment the app runs with now. */
  readonly set: boolean
  /** Present in `.env`. */
  readonly inFile: boolean
  /** Named like a secret: the editor does not echo what is typed. */
  readonly secret: boolean
  /** Why the current value is refused (unset and required, or against its schema); null when fine. */
  readonly problem: string | null
  readonly usedBy: readonly string[]
  /** The env schema (JSON Schema subset) the value must satisfy, null without one. */
  readonly schema: Record<string, unknown> | null
}

const IDENT = '^[A-Za-z_][A-Za-z0-9_]*$'
const name: RouteSchema = { type: 'string', pattern: IDENT, maxLength: 63 }
const column: RouteSchema = {
  type: 'object',
  properties: { name, type: { type: 'string', enum: [...EDITABLE_COLUMN_TYPES] }, optional: { type: 'boolean' }, unique: { type: 'boolean' } },
  required: ['name', 'type'],
  additionalProperties: false,
}

const adminErrors: readonly RouteError[] = [
  err(401, 'Neither an admin\'s session nor the service key came with the request', 'KL_AUTH_REQUIRED'),
  err(403, 'The signed-in user is not an admin (or is impersonating), or the origin is not trusted', 'KL_AUTH_FORBIDDEN', 'KL_AUTH_CSRF'),
]

export function studioDevRoutes(): RouteGroup<StudioDevRouteId> {
  return {
    tag: { name: STUDIO_TAG, description: 'Studio' },
    routes: [
      {
        id: 'studioEditState',
        method: 'GET',
        path: '/admin/studio/edit',
        tag: STUDIO_TAG,
        summary: 'Whether schema and policy edits are available (only under `koyalite dev`)',
        description: 'Answers under `koyalite dev` only; elsewhere the route does not exist (404), and Studio shows the schema and policies read-only.',
        auth: 'admin',
        responses: [{ status: 200, description: 'Available.', schema: { type: 'object', properties: { available: { type: 'boolean' }, columnTypes: { type: 'array', items: { type: 'string' } } }, required: ['available', 'columnTypes'] } }],
        errors: [...adminErrors],
      },
      {
        id: 'studioEdit',
        method: 'POST',
        path: '/admin/studio/edit',
        tag: STUDIO_TAG,
        summary: 'Edit the schema or a policy as code',
        description: 'Writes the edit (a column added or renamed, a table added, an index added, redefined (which renames it: index names derive from their columns) or dropped, a policy set) into schema/*.ts or policies/*.ts (ts-morph, the rest of the file kept as it is), regenerates and answers the diff and the migration; the dev loop then migrates and reloads. An edit the compiler refuses is undone and its errors answered.',
        auth: 'admin',
        body: {
          description: 'The edit.',
          schema: {
            oneOf: [
              { type: 'object', properties: { kind: { const: 'addColumn' }, table: name, column }, required: ['kind', 'table', 'column'], additionalProperties: false },
              { type: 'object', properties: { kind: { const: 'renameColumn' }, table: name, from: name, to: name }, required: ['kind', 'table', 'from', 'to'], additionalProperties: false },
              { type: 'object', properties: { kind: { const: 'addTable' }, table: name, columns: { type: 'array', items: column, maxItems: 100 } }, required: ['kind', 'table', 'columns'], additionalProperties: false },
              { type: 'object', properties: { kind: { const: 'addIndex' }, table: name, columns: { type: 'array', items: name, minItems: 1, maxItems: 16 }, unique: { type: 'boolean' } }, required: ['kind', 'table', 'columns'], additionalProperties: false },
              { type: 'object', properties: { kind: { const: 'editIndex' }, table: name, columns: { type: 'array', items: name, minItems: 1, maxItems: 16 }, to: { type: 'array', items: name, minItems: 1, maxItems: 16 }, unique: { type: 'boolean' } }, required: ['kind', 'table', 'columns', 'to'], additionalProperties: false },
              { type: 'object', properties: { kind: { const: 'dropIndex' }, table: name, columns: { type: 'array', items: name, minItems: 1, maxItems: 16 } }, required: ['kind', 'table', 'columns'], additionalProperties: false },
              {
                type: 'object',
                properties: { kind: { const: 'editPolicy' }, table: name, operation: { type: 'string', enum: ['read', 'create', 'update', 'delete'] }, source: { type: 'string', minLength: 1, maxLength: 20_000 } },
                required: ['kind', 'table', 'operation', 'source'],
                additionalProperties: false,
              },
            ],
          },
        },
        responses: [{
          status: 200,
          description: 'The files changed and the migration written.',
          schema: {
            type: 'object',
            properties: {
              files: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, diff: { type: 'string' } }, required: ['path', 'diff'] } },
              migration: { type: ['object', 'null'], properties: { name: { type: 'string' }, sql: { type: 'string' } } },
            },
            required: ['files', 'migration'],
          },
        }],
        errors: [
          err(400, 'The body is invalid', 'KL_API_VALIDATION'),
          ...adminErrors,
          err(404, 'The table, column or policy is not found in the project\'s code', 'KL_API_STUDIO_EDIT_NOT_FOUND'),
          err(422, 'The compiler refused the edited project (nothing was changed), or the name is taken', 'KL_API_STUDIO_EDIT_INVALID'),
        ],
      },
      {
        id: 'studioEnvState',
        method: 'GET',
        path: '/admin/studio/env',
        tag: STUDIO_TAG,
        summary: 'The variables koyalite.ts declares and the .env file (only under `koyalite dev`)',
        description: 'Each declared variable: required, set now, present in `.env`, its problem and its schema. Never a value.',
        auth: 'admin',
        responses: [{ status: 200, description: 'The variables.', schema: envState }],
        errors: [...adminErrors],
      },
      {
        id: 'studioEnvWrite',
        method: 'POST',
        path: '/admin/studio/env',
        tag: STUDIO_TAG,
        summary: 'Set or remove variables in .env, checked with the app\'s env schema first',
        description: 'Every value is checked against its declared schema (`env(\'NAME\', zodSchema)`) before anything is written; one refused value writes nothing. `null` removes the variable from `.env`. The dev loop then reloads the app with the new values. Audited by name only.',
        auth: 'admin',
        body: {
          description: 'The variables to set (a string) or remove (null).',
          schema: { type: 'object', properties: { values: { type: 'object', additionalProperties: { type: ['string', 'null'], maxLength: 8192 }, minProperties: 1, maxProperties: 100 } }, required: ['values'], additionalProperties: false },
        },
        responses: [{ status: 200, description: 'Written: the variables as the file now holds them.', schema: envState }],
        errors: [err(400, 'A name is not declared in koyalite.ts, or a value does not satisfy its schema (nothing was written)', 'KL_API_VALIDATION'), ...adminErrors],
      },
    ],
    schemas: {},
  }
}

const envState: RouteSchema = {
  type: 'object',
  properties: {
    file: { type: 'string' },
    variables: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          required: { type: 'boolean' },
          set: { type: 'boolean' },
          inFile: { type: 'boolean' },
          secret: { type: 'boolean' },
          problem: { type: ['string', 'null'] },
          usedBy: { type: 'array', items: { type: 'string' } },
          schema: { type: ['object', 'null'], additionalProperties: true },
        },
        required: ['name', 'required', 'set', 'inFile', 'secret', 'problem', 'usedBy', 'schema'],
      },
    },
  },
  required: ['file', 'variables'],
}
