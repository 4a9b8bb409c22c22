import type { ProjectIR } from '../project-ir.ts'
import { err } from './auth-routes.ts'
import { componentRef, type RouteError, type RouteGroup, type RouteSchema } from './route-contract.ts'

/**
 * The privacy endpoints (engine/runtime/compliance, docs/compliance.md): a user's consents, the
 * export of their data (GDPR art. 15/20, CCPA "right to know") and its erasure (GDPR art. 17,
 * CCPA "right to delete"), for the user and for an admin. Served for an app with a users table.
 */

export const PRIVACY_ROUTE_IDS = ['listConsents', 'setConsent', 'exportMe', 'eraseMe', 'exportUser', 'eraseUser', 'exportMeArchive', 'exportUserArchive'] as const
export type PrivacyRouteId = (typeof PRIVACY_ROUTE_IDS)[number]

export const PRIVACY_TAG = 'Privacy'

const sessionErrors: readonly RouteError[] = [
  err(401, 'No session came with the request', 'KL_AUTH_REQUIRED'),
  err(403, 'The caller is not a signed-in user (a service key), or the origin is not trusted', 'KL_AUTH_FORBIDDEN', 'KL_AUTH_CSRF'),
]
const adminErrors: readonly RouteError[] = [
  err(401, 'Neither an admin\'s session nor the service key came with the request', 'KL_AUTH_REQUIRED'),
  err(403, 'The signed-in user is not an admin (or is impersonating), or the origin is not trusted', 'KL_AUTH_FORBIDDEN', 'KL_AUTH_CSRF'),
  err(404, 'No user has this id', 'KL_AUTH_USER_NOT_FOUND'),
]
const eraseErrors: readonly RouteError[] = [err(409, 'A row outside the erasure still references a row it would delete (the message names the table)', 'KL_API_CONFLICT')]

const consentState: RouteSchema = {
  type: 'object',
  properties: {
    purpose: { type: 'string' },
    description: { type: 'string' },
    version: { type: 'integer', description: 'The purpose\'s current version.' },
    granted: { type: 'boolean', description: 'Whether the user\'s latest choice grants the current version.' },
    grantedVersion: { type: ['integer', 'null'], description: 'The version the latest choice was about; null: never chosen.' },
    at: { type: ['string', 'null'], description: 'When the latest choice was made.' },
  },
  required: ['purpose', 'description', 'version', 'granted', 'grantedVersion', 'at'],
}

const exportArchive: RouteSchema = {
  type: 'object',
  description: 'Every row reachable from the user through the tables\' owner paths, one array per table, with a manifest (docs/compliance.md).',
  properties: {
    manifest: {
      type: 'object',
      properties: {
        format: { type: 'string', const: 'koyalite-export/1' },
        app: { type: 'string' },
        userId: { type: 'string' },
        exportedAt: { type: 'string' },
        tables: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, ownerPath: { type: 'string' }, rows: { type: 'integer' }, personalColumns: { type: 'array', items: { type: 'string' } } }, required: ['name', 'ownerPath', 'rows', 'personalColumns'] } },
      },
      required: ['format', 'app', 'userId', 'exportedAt', 'tables'],
    },
    tables: { type: 'object', additionalProperties: { type: 'array', items: { type: 'object' } } },
    consents: { type: 'array', items: { type: 'object' }, description: 'The history of the user\'s consent choices.' },
  },
  required: ['manifest', 'tables', 'consents'],
}

const archiveDescription =
  'The export as a gzipped tar: `manifest.json` (the JSON export\'s manifest and a `files` list), `tables/<name>.json`, `consents.json`, and the storage objects the user owns under `files/<bucket>/<id>/<name>`.'

const erasureReport: RouteSchema = {
  type: 'object',
  properties: {
    userId: { type: 'string' },
    tables: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, rule: { type: 'string' }, rows: { type: 'integer' } }, required: ['name', 'rule', 'rows'] } },
    userRow: { type: 'string', enum: ['deleted', 'anonymized'], description: 'anonymized: rows kept by their tables\' rules still reference the user.' },
    sessionsRevoked: { type: 'integer' },
    files: {
      type: 'object',
      description: "The user's uploads: removed (rows and bytes), or kept (still held by a file column of a kept row; no longer owned).",
      properties: { removed: { type: 'integer' }, kept: { type: 'integer' } },
      required: ['removed', 'kept'],
    },
    retention: { type: 'string', description: 'What still holds the data: backups taken before the erasure, until they expire.' },
  },
  required: ['userId', 'tables', 'userRow', 'sessionsRevoked', 'files', 'retention'],
}

/**
 * @example
 * privacyRoutes(ir).routes.map((route) => `${route.method} ${route.path}`)
 * // ['GET /auth/me/consents', 'POST /auth/me/consents', 'GET /auth/me/export', 'DELETE /auth/me', …]
 */
export function privacyRoutes(ir: ProjectIR): RouteGroup<PrivacyRouteId> {
  const purposes = ['doNotSell', ...(ir.consents ?? []).map((c) => c.name)].sort()
  const userId = [{ name: 'id', description: 'The user\'s id.', schema: { type: 'string' } }]
  return {
    tag: { name: PRIVACY_TAG, description: 'Consents, and the export and erasure of a user\'s data (GDPR, CCPA).' },
    routes: [
      {
        id: 'listConsents',
        method: 'GET',
        path: '/auth/me/consents',
        tag: PRIVACY_TAG,
        summary: 'The signed-in user\'s consents',
        description: 'Each declared purpose (and the CCPA `doNotSell` flag) with the user\'s latest choice. A grant of an older version of a purpose does not count.',
        auth: 'session',
        responses: [{ status: 200, description: 'One entry per purpose.', schema: { type: 'array', items: componentRef('ConsentState') } }],
        errors: [...sessionErrors],
        sdk: { namespace: 'auth', name: 'consents', doc: 'The signed-in user\'s consents, one entry per purpose.', input: { kind: 'none' }, returns: 'ConsentState[]', token: 'none' },
      },
      {
        id: 'setConsent',
        method: 'POST',
        path: '/auth/me/consents',
        tag: PRIVACY_TAG,
        summary: 'Grant or withdraw a consent',
        description: 'Records the choice (who, purpose, version, granted or withdrawn, when, from which address and user agent) in the consent history; policies testing `auth.consents` see it on the next request.',
        auth: 'session',
        body: {
          description: 'The purpose and the choice.',
          schema: { type: 'object', properties: { purpose: { type: 'string', enum: purposes }, granted: { type: 'boolean' } }, required: ['purpose', 'granted'], additionalProperties: false },
        },
        responses: [{ status: 200, description: 'Every purpose after the choice.', schema: { type: 'array', items: componentRef('ConsentState') } }],
        errors: [err(400, 'The body does not match the schema (an undeclared purpose)', 'KL_API_VALIDATION'), ...sessionErrors],
        sdk: { namespace: 'auth', name: 'consent', doc: 'Grants or withdraws consent to a purpose (`doNotSell` is the CCPA opt-out).', input: { kind: 'body', type: '{ purpose: string; granted: boolean }' }, returns: 'ConsentState[]', token: 'none' },
      },
      {
        id: 'exportMe',
        method: 'GET',
        path: '/auth/me/export',
        tag: PRIVACY_TAG,
        summary: 'Export the signed-in user\'s data',
        description: 'A machine-readable archive of every row reachable from the user through the tables\' owner paths, and their consent history. Rate limited; recorded in the audit log.',
        auth: 'session',
        responses: [{ status: 200, description: 'The archive.', schema: componentRef('PrivacyExport') }],
        errors: [...sessionErrors, err(429, 'An export was made too recently', 'KL_AUTH_RATE_LIMITED')],
        sdk: { namespace: 'auth', name: 'exportData', doc: 'Everything the app holds about the signed-in user, as one JSON archive.', input: { kind: 'none' }, returns: 'PrivacyExport', token: 'none' },
      },
      {
        id: 'eraseMe',
        method: 'DELETE',
        path: '/auth/me',
        tag: PRIVACY_TAG,
        summary: 'Erase the signed-in user',
        description: 'After re-authentication with the current password: one transaction deletes or anonymises each owned row per its table\'s `onErase` rule, deletes or anonymises the user, revokes every session and records an audit entry without personal data. Backups taken before still hold the data until they expire.',
        auth: 'session',
        body: { description: 'The current password.', schema: { type: 'object', properties: { password: { type: 'string', minLength: 1, maxLength: 1024 } }, required: ['password'], additionalProperties: false } },
        responses: [{ status: 200, description: 'What was erased.', schema: componentRef('ErasureReport') }],
        errors: [
          err(400, 'The body does not match the schema', 'KL_API_VALIDATION'),
          err(401, 'No session came with the request, or the password is wrong (or the account has none)', 'KL_AUTH_REQUIRED', 'KL_AUTH_INVALID_CREDENTIALS'),
          ...sessionErrors.filter((e) => e.status !== 401),
          ...eraseErrors,
        ],
        sdk: { namespace: 'auth', name: 'eraseAccount', doc: 'Erases the signed-in user and their data (asks for the current password again).', input: { kind: 'bodyField', field: 'password', type: 'string' }, returns: 'ErasureReport', token: 'forget' },
      },
      {
        id: 'exportUser',
        method: 'POST',
        path: '/admin/users/:id/export',
        tag: PRIVACY_TAG,
        summary: 'Export a user\'s data',
        description: 'The archive `GET /auth/me/export` gives the user, for a data subject request handled by an admin. Recorded in the audit log.',
        auth: 'admin',
        params: userId,
        responses: [{ status: 200, description: 'The archive.', schema: componentRef('PrivacyExport') }],
        errors: [...adminErrors],
        sdk: { namespace: 'admin', name: 'exportUser', doc: 'Everything the app holds about a user, as one JSON archive.', paramArgs: { id: { name: 'userId', type: 'string' } }, input: { kind: 'none' }, returns: 'PrivacyExport', token: 'none' },
      },
      {
        id: 'eraseUser',
        method: 'DELETE',
        path: '/admin/users/:id',
        tag: PRIVACY_TAG,
        summary: 'Erase a user',
        description: 'The erasure `DELETE /auth/me` performs, for a data subject request handled by an admin.',
        auth: 'admin',
        params: userId,
        responses: [{ status: 200, description: 'What was erased.', schema: componentRef('ErasureReport') }],
        errors: [...adminErrors, ...eraseErrors],
        sdk: { namespace: 'admin', name: 'eraseUser', doc: 'Erases a user and their data.', paramArgs: { id: { name: 'userId', type: 'string' } }, input: { kind: 'none' }, returns: 'ErasureReport', token: 'none' },
      },
      {
        id: 'exportMeArchive',
        method: 'GET',
        path: '/auth/me/export/archive',
        tag: PRIVACY_TAG,
        summary: 'Export the signed-in user\'s data and files as a tar',
        description: archiveDescription + ' Rate limited together with `GET /auth/me/export`; recorded in the audit log.',
        auth: 'session',
        responses: [{ status: 200, description: 'The archive (application/gzip).', contentType: 'application/octet-stream' }],
        errors: [...sessionErrors, err(429, 'An export was made too recently', 'KL_AUTH_RATE_LIMITED')],
        sdk: { namespace: 'auth', name: 'exportArchive', doc: 'Everything the app holds about the signed-in user and their files, as the bytes of a gzipped tar (manifest.json, tables/, consents.json, files/).', input: { kind: 'none' }, returns: 'Uint8Array', answer: 'bytes', token: 'none' },
      },
      {
        id: 'exportUserArchive',
        method: 'POST',
        path: '/admin/users/:id/export/archive',
        tag: PRIVACY_TAG,
        summary: 'Export a user\'s data and files as a tar',
        description: archiveDescription + ' For a data subject request handled by an admin; recorded in the audit log.',
        auth: 'admin',
        params: userId,
        responses: [{ status: 200, description: 'The archive (application/gzip).', contentType: 'application/octet-stream' }],
        errors: [...adminErrors],
        sdk: { namespace: 'admin', name: 'exportUserArchive', doc: 'Everything the app holds about a user and their files, as the bytes of a gzipped tar.', paramArgs: { id: { name: 'userId', type: 'string' } }, input: { kind: 'none' }, returns: 'Uint8Array', answer: 'bytes', token: 'none' },
      },
    ],
    schemas: { ConsentState: consentState, PrivacyExport: exportArchive, ErasureReport: erasureReport },
  }
}
