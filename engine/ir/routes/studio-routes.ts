import type { ProjectIR } from '../project-ir.ts'
import { err } from './auth-routes.ts'
import type { RouteError, RouteGroup, RouteSchema } from './route-contract.ts'

/**
 * The endpoints Studio (`/_/`, engine/runtime/studio) needs besides the public API and the admin
 * API: first-run setup, estimated row counts and the SQL console. No SDK methods: they are
 * Studio's own, and an app's client has no use for them.
 */

export const STUDIO_ROUTE_IDS = ['studioSetupState', 'studioSetup', 'studioCounts', 'studioSql', 'studioSimulate'] as const
export type StudioRouteId = (typeof STUDIO_ROUTE_IDS)[number]

export const STUDIO_TAG = 'Studio'

/** The most rows one page of the policy simulator shows. */
export const SIMULATE_PAGE_LIMIT = 200

/** The most rows the SQL console returns (the rest is counted as cut, not read). */
export const SQL_ROW_LIMIT = 1000
/** How long a console statement may run, in milliseconds, before it is stopped. */
export const SQL_TIME_LIMIT_MS = 5000

const adminErrors: readonly RouteError[] = [
  err(401, 'Neither an admin\'s session nor the service key came with the request', 'KL_AUTH_REQUIRED'),
  err(403, 'The signed-in user is not an admin (or is impersonating), or the origin is not trusted', 'KL_AUTH_FORBIDDEN', 'KL_AUTH_CSRF'),
]

const text = (maxLength: number): RouteSchema => ({ type: 'string', minLength: 1, maxLength })

/**
 * @example
 * studioRoutes(ir).routes.map((route) => route.path) // ['/admin/studio/setup', …]
 */
export function studioRoutes(_ir: ProjectIR): RouteGroup<StudioRouteId> {
  return {
    tag: { name: STUDIO_TAG, description: 'What KoyaLite Studio (`/_/`) uses besides the public and admin APIs: first-run setup, estimated counts, the SQL console, the policy simulator.' },
    routes: [
      {
        id: 'studioSetupState',
        method: 'GET',
        path: '/admin/studio/setup',
        tag: STUDIO_TAG,
        summary: 'Whether Studio needs its first admin',
        description: 'True while no user holds the admin role; then the server printed a one-time setup link to its console. Also names the users table\'s required columns the setup form asks for.',
        auth: 'public',
        responses: [{
          status: 200,
          description: 'The setup state.',
          schema: { type: 'object', properties: { needed: { type: 'boolean' }, fields: { type: 'array', items: { type: 'string' } } }, required: ['needed', 'fields'] },
        }],
        errors: [],
      },
      {
        id: 'studioSetup',
        method: 'POST',
        path: '/admin/studio/setup',
        tag: STUDIO_TAG,
        summary: 'Create the first admin',
        description: 'With the one-time token of the setup link the server printed: creates a verified user with the admin role (then sign in with POST /auth/login). Refused once any admin exists.',
        auth: 'public',
        body: {
          description: 'The token, the admin\'s credentials and the users table\'s other required columns.',
          schema: {
            type: 'object',
            properties: { token: text(200), email: text(320), password: text(200), profile: { type: 'object' } },
            required: ['token', 'email', 'password'],
            additionalProperties: false,
          },
        },
        responses: [{ status: 201, description: 'The admin was created.', schema: { type: 'object', properties: { userId: { type: 'string' } }, required: ['userId'] } }],
        errors: [err(400, 'The body or a profile column is invalid, or the password too weak', 'KL_API_VALIDATION', 'KL_AUTH_WEAK_PASSWORD'), err(403, 'The token is wrong or used, or an admin exists', 'KL_AUTH_SETUP_REFUSED'), err(409, 'The email has an account', 'KL_AUTH_EMAIL_TAKEN')],
      },
      {
        id: 'studioCounts',
        method: 'GET',
        path: '/admin/studio/counts',
        tag: STUDIO_TAG,
        summary: 'Estimated row counts',
        description: 'Each table\'s estimated row count, read from SQLite\'s b-tree (the largest rowid), never a count(*): it answers at once on tables of millions of rows. Exact counts: `Prefer: count=exact` on /api.',
        auth: 'admin',
        responses: [{ status: 200, description: 'Estimated rows by table.', schema: { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } } }],
        errors: [...adminErrors],
      },
      {
        id: 'studioSql',
        method: 'POST',
        path: '/admin/sql',
        tag: STUDIO_TAG,
        summary: 'Run SQL (the console)',
        description: `One statement on a separate read-only connection, stopped after ${SQL_TIME_LIMIT_MS} ms, at most ${SQL_ROW_LIMIT} rows. \`write: true\` (only under \`koyalite dev\`, with \`confirm: true\`) runs it on the app's connection, audited.`,
        auth: 'admin',
        body: {
          description: 'The statement.',
          schema: { type: 'object', properties: { sql: text(100_000), write: { type: 'boolean' }, confirm: { type: 'boolean' } }, required: ['sql'], additionalProperties: false },
        },
        responses: [{
          status: 200,
          description: 'The rows.',
          schema: {
            type: 'object',
            properties: {
              columns: { type: 'array', items: { type: 'string' } },
              rows: { type: 'array', items: { type: 'array' } },
              truncated: { type: 'boolean' },
              changes: { type: ['integer', 'null'] },
              ms: { type: 'number' },
            },
            required: ['columns', 'rows', 'truncated', 'changes', 'ms'],
          },
        }],
        errors: [
          err(400, 'The body is invalid, or SQLite refused the statement', 'KL_API_VALIDATION', 'KL_API_SQL_ERROR'),
          adminErrors[0]!,
          err(403, 'Not an admin (or impersonating), an untrusted origin, or a write outside `koyalite dev` or unconfirmed', 'KL_AUTH_FORBIDDEN', 'KL_AUTH_CSRF', 'KL_API_SQL_WRITE_REFUSED'),
          err(408, 'The statement ran past the time limit and was stopped', 'KL_API_SQL_TIMEOUT'),
        ],
      },
      {
        id: 'studioSimulate',
        method: 'POST',
        path: '/admin/studio/simulate',
        tag: STUDIO_TAG,
        summary: 'Simulate policies (which rows or stored objects may this user read, update, delete?)',
        description: `A page of the table's rows (by id, at most ${SIMULATE_PAGE_LIMIT}), or with \`bucket\` instead of \`table\` of that storage bucket's objects, with, for a user (their granted roles, or \`roles\` given) or an anonymous caller, each policy's verdict on each row for the operation, and the compiled SQL predicates the runtime runs. Update and delete need the read policy too, as the API does; \`create\` judges each row as if it were the proposed row. A table's read verdicts are also what that user's realtime subscriptions receive: a change to a row they may read is delivered (after the change; a delete if they could read it before), one they may not is not (a \`leave\` when it moves out of their view).`,
        auth: 'admin',
        body: {
          description: 'Who, what, and the page.',
          schema: {
            type: 'object',
            properties: {
              table: text(200),
              bucket: text(200),
              operation: { type: 'string', enum: ['read', 'create', 'update', 'delete'] },
              userId: { type: ['string', 'null'], maxLength: 200 },
              roles: { type: 'array', items: text(200), maxItems: 50 },
              after: text(200),
              limit: { type: 'integer', minimum: 1, maximum: SIMULATE_PAGE_LIMIT },
              subscription: { type: 'object', description: 'A realtime subscription to the table (read only), its filter in the REST grammar (`status=eq.todo`, empty for none): each row then says whether it `receives` a change to that row.', properties: { filter: { type: 'string', maxLength: 2000 } }, required: ['filter'], additionalProperties: false },
            },
            required: ['operation', 'userId'],
            additionalProperties: false,
          },
        },
        responses: [{
          status: 200,
          description: 'The verdicts.',
          schema: {
            type: 'object',
            properties: {
              table: { type: 'string' },
              operation: { type: 'string' },
              actor: { type: 'object', properties: { userId: { type: ['string', 'null'] }, roles: { type: 'array', items: { type: 'string' } } }, required: ['userId', 'roles'] },
              policies: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { role: { type: 'string' }, source: { type: ['string', 'null'] }, at: { type: ['string', 'null'] }, sql: { type: ['string', 'null'] }, parameters: { type: 'array' } },
                  required: ['role', 'source', 'at', 'sql', 'parameters'],
                },
              },
              rows: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { id: { type: 'string' }, allowed: { type: 'boolean' }, verdicts: { type: 'object', additionalProperties: { type: 'boolean' } }, row: { type: 'object' }, receives: { type: 'boolean' } },
                  required: ['id', 'allowed', 'verdicts', 'row'],
                },
              },
              next: { type: ['string', 'null'] },
              subscription: { type: 'object', properties: { filter: { type: 'string' } }, required: ['filter'] },
            },
            required: ['table', 'operation', 'actor', 'policies', 'rows', 'next'],
          },
        }],
        errors: [err(400, 'The body is invalid (give one of table and bucket)', 'KL_API_VALIDATION'), ...adminErrors, err(404, 'No such table, bucket or user', 'KL_API_NOT_FOUND')],
      },
    ],
    schemas: {},
  }
}
