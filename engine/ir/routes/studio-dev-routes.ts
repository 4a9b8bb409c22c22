import { err } from './auth-routes.ts'
import type { RouteError, RouteGroup, RouteSchema } from './route-contract.ts'
import { STUDIO_TAG } from './studio-routes.ts'

/**
 * Studio's schema-and-policies-as-code routes: served only by `koyalite dev` (the CLI hands the
 * edit code to the Studio module; `koyalite start` and `createServer` never register them), so
 * they are not part of the app's API: not in OpenAPI, no SDK method.
 */

export const STUDIO_DEV_ROUTE_IDS = ['studioEditState', 'studioEdit'] as const
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

export interface StudioEditResult {
  /** Each file the edit changed, with a unified diff of it. */
  readonly files: readonly { readonly path: string; readonly diff: string }[]
  /** The migration the regeneration wrote, when the schema changed. */
  readonly migration: { readonly name: string; readonly sql: string } | null
}

/** What `koyalite dev` gives the Studio module: it applies an edit, regenerates, or restores and throws. */
export interface StudioDevEdits {
  apply(edit: StudioEdit): Promise<StudioEditResult>
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
        description: 'Writes the edit (a column added or renamed, a table or an index added, a policy set) into schema/*.ts or policies/*.ts (ts-morph, the rest of the file kept as it is), regenerates and answers the diff and the migration; the dev loop then migrates and reloads. An edit the compiler refuses is undone and its errors answered.',
        auth: 'admin',
        body: {
          description: 'The edit.',
          schema: {
            oneOf: [
              { type: 'object', properties: { kind: { const: 'addColumn' }, table: name, column }, required: ['kind', 'table', 'column'], additionalProperties: false },
              { type: 'object', properties: { kind: { const: 'renameColumn' }, table: name, from: name, to: name }, required: ['kind', 'table', 'from', 'to'], additionalProperties: false },
              { type: 'object', properties: { kind: { const: 'addTable' }, table: name, columns: { type: 'array', items: column, maxItems: 100 } }, required: ['kind', 'table', 'columns'], additionalProperties: false },
              { type: 'object', properties: { kind: { const: 'addIndex' }, table: name, columns: { type: 'array', items: name, minItems: 1, maxItems: 16 }, unique: { type: 'boolean' } }, required: ['kind', 'table', 'columns'], additionalProperties: false },
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
    ],
    schemas: {},
  }
}
