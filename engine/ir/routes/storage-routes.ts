import type { BucketIR, ProjectIR } from '../project-ir.ts'
import { err } from './auth-routes.ts'
import type { RouteContract, RouteGroup, RouteSchema } from './route-contract.ts'
import { RESUMABLE_OPERATIONS, resumableRoutes } from './storage-resumable-routes.ts'

/**
 * The /storage endpoints (engine/runtime/storage): for each bucket, upload, list, delete by
 * prefix, download, metadata update, delete and sign. Anyone may call them; the bucket's access
 * rules (compiled onto the `_koya_objects` table) decide, and a signed URL admits its bearer.
 */

export const STORAGE_TAG = 'Storage'

/** The operations of plain objects (object-handlers.ts). */
export const OBJECT_OPERATIONS = ['upload', 'list', 'deletePrefix', 'download', 'update', 'delete', 'sign'] as const
export const STORAGE_OPERATIONS = [...OBJECT_OPERATIONS, ...RESUMABLE_OPERATIONS] as const
export type StorageOperation = (typeof STORAGE_OPERATIONS)[number]

/** `attachments`, `upload` → `storageAttachmentsUpload`; `user-avatars` → `storageUserAvatars…`. */
export function storageRouteId(bucket: string, operation: StorageOperation): string {
  const pascal = bucket
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('')
  return `storage${pascal}${operation.charAt(0).toUpperCase()}${operation.slice(1)}`
}

const OBJECT_SCHEMA = 'StorageObject'
const objectRef: RouteSchema = { $ref: `#/components/schemas/${OBJECT_SCHEMA}` }
const idParam = { name: 'id', description: 'The object id.', schema: { type: 'string', minLength: 1, maxLength: 64 } }
const text = (description: string, extra: RouteSchema = {}): RouteSchema => ({ type: 'string', description, ...extra })

const unknown = err(404, 'No such bucket, or no such object the caller may read', 'KL_STORAGE_UNKNOWN_BUCKET', 'KL_STORAGE_NOT_FOUND')
const denied = err(403, 'The bucket\'s access rule refused the operation', 'KL_API_POLICY_DENIED')
const anonymous = err(401, 'The operation needs credentials', 'KL_API_UNAUTHORIZED', 'KL_AUTH_REQUIRED')

function bucketRoutes(bucket: BucketIR): RouteContract[] {
  const base = `/storage/${bucket.name}`
  const id = (operation: StorageOperation) => storageRouteId(bucket.name, operation)
  const types = bucket.types.length === 0 ? 'any type' : bucket.types.join(', ')
  return [
    {
      id: id('upload'),
      method: 'POST',
      path: base,
      tag: STORAGE_TAG,
      summary: `Upload to ${bucket.name}`,
      description:
        `Stores one file: the raw request body, or the \`file\` field of a multipart form. At most ${bucket.maxSizeBytes} bytes, checked while the bytes stream in; ` +
        `the content type is sniffed from the bytes and must be ${types}. The object's \`name\` comes from \`?name=\`, else the multipart file name, else its id.`,
      auth: 'public',
      query: [{ name: 'name', description: 'The object\'s name (a path such as `reports/2026.pdf` is fine; it is only a label).', schema: text('The name, at most 1024 bytes in UTF-8.') }],
      body: { description: 'The file.', schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } }, required: ['file'] }, binary: true },
      responses: [{ status: 201, description: 'The stored object.', schema: objectRef }],
      errors: [
        err(400, 'The name is not acceptable, or the upload was cut off', 'KL_STORAGE_BAD_NAME', 'KL_STORAGE_BAD_UPLOAD'),
        anonymous,
        denied,
        unknown,
        err(413, 'The file is over the bucket\'s maxSize, or over a quota', 'KL_STORAGE_TOO_LARGE', 'KL_STORAGE_QUOTA_EXCEEDED'),
        err(415, 'The bytes are of a type the bucket does not take', 'KL_STORAGE_TYPE_NOT_ALLOWED'),
      ],
    },
    {
      id: id('list'),
      method: 'GET',
      path: base,
      tag: STORAGE_TAG,
      summary: `List own objects of ${bucket.name}`,
      description: 'The caller\'s own objects (the service key: every object, or one owner\'s with `ownerId`) that the read rule admits, by name.',
      auth: 'public',
      query: [
        { name: 'prefix', description: 'Only names starting with this.', schema: text('A name prefix.') },
        // Strings: query values are not coerced (server.ts), so an integer schema refused every value.
        { name: 'limit', description: 'At most this many (1 to 1000; default 100).', schema: { type: 'string', pattern: '^(1000|[1-9][0-9]{0,2})$' } },
        { name: 'offset', description: 'Skip this many.', schema: { type: 'string', pattern: '^[0-9]{1,9}$' } },
        { name: 'ownerId', description: 'Service key only: one owner\'s objects.', schema: text('A user id.') },
      ],
      responses: [{ status: 200, description: 'The objects.', schema: { type: 'array', items: objectRef } }],
      errors: [err(400, 'The prefix is not acceptable', 'KL_STORAGE_BAD_NAME'), anonymous, unknown],
    },
    {
      id: id('deletePrefix'),
      method: 'DELETE',
      path: base,
      tag: STORAGE_TAG,
      summary: `Delete own objects of ${bucket.name} by prefix`,
      description: 'Deletes the caller\'s own objects whose names start with `prefix` (a "folder") that the delete rule admits; the service key names the owner with `ownerId`.',
      auth: 'public',
      query: [
        { name: 'prefix', description: 'The name prefix (required, may not be empty).', schema: text('A name prefix.', { minLength: 1 }), required: true },
        { name: 'ownerId', description: 'Service key only: whose objects.', schema: text('A user id.') },
      ],
      responses: [{ status: 200, description: 'How many objects were deleted.', schema: { type: 'object', properties: { deleted: { type: 'integer' } }, required: ['deleted'] } }],
      errors: [err(400, 'The prefix is not acceptable', 'KL_STORAGE_BAD_NAME'), anonymous, denied, unknown],
    },
    {
      id: id('download'),
      method: 'GET',
      path: `${base}/:id`,
      tag: STORAGE_TAG,
      summary: `Download from ${bucket.name}`,
      description:
        'The object\'s bytes, for a caller the read rule admits (or who may read a row referencing it), or with a signed URL\'s `expires` and `signature`. ' +
        'Honours `Range` (one range), `If-None-Match` (the ETag is the SHA-256); answers `Content-Disposition` (inline for images, PDF, audio, video, plain text; else attachment) and `Cache-Control`.',
      auth: 'public',
      params: [idParam],
      query: [
        { name: 'expires', description: 'A signed URL\'s expiry (unix seconds).', schema: text('Unix seconds.') },
        { name: 'signature', description: 'A signed URL\'s signature.', schema: text('The signature.') },
        { name: 'download', description: '`1`: always `Content-Disposition: attachment`.', schema: text('`1` to force a download.') },
        { name: 'width', description: 'A thumbnail of an image: its width in pixels (1-2048).', schema: text('Pixels.') },
        { name: 'height', description: 'A thumbnail of an image: its height in pixels (1-2048).', schema: text('Pixels.') },
        { name: 'fit', description: 'How the image fits the size: `cover` (default with both sides), `contain` or `inside`.', schema: text('cover, contain or inside.') },
        { name: 'format', description: 'The thumbnail\'s format: `webp` (default), `avif`, `jpeg` or `png`.', schema: text('webp, avif, jpeg or png.') },
      ],
      responses: [
        { status: 200, description: 'The bytes.', contentType: 'application/octet-stream' },
        { status: 206, description: 'The requested range.', contentType: 'application/octet-stream' },
        { status: 304, description: 'Not modified (If-None-Match).' },
      ],
      errors: [
        err(400, 'The thumbnail query is malformed or out of bounds', 'KL_STORAGE_THUMBNAIL_INVALID', 'KL_STORAGE_THUMBNAIL_SIZE_NOT_ALLOWED'),
        err(403, 'The signed URL was altered or has expired', 'KL_STORAGE_SIGNATURE_INVALID', 'KL_STORAGE_SIGNATURE_EXPIRED'),
        unknown,
        err(415, 'A thumbnail was asked of something that is not an image', 'KL_STORAGE_THUMBNAIL_NOT_IMAGE'),
        err(416, 'The range is outside the object', 'KL_STORAGE_BAD_RANGE'),
        err(422, 'The image is too large to make a thumbnail of', 'KL_STORAGE_THUMBNAIL_TOO_LARGE'),
      ],
    },
    {
      id: id('update'),
      method: 'PATCH',
      path: `${base}/:id`,
      tag: STORAGE_TAG,
      summary: `Update an object's name or metadata in ${bucket.name}`,
      description: 'Changes `name` and/or `metadata` (a JSON object, replaced whole). Needs the delete rule on the object and the create rule on the result.',
      auth: 'public',
      params: [idParam],
      body: {
        description: 'The new name and/or metadata.',
        schema: { type: 'object', properties: { name: { type: 'string', minLength: 1 }, metadata: { type: 'object' } }, additionalProperties: false, minProperties: 1 },
      },
      responses: [{ status: 200, description: 'The object.', schema: objectRef }],
      errors: [err(400, 'The body or name is not acceptable', 'KL_API_VALIDATION', 'KL_STORAGE_BAD_NAME'), anonymous, denied, unknown],
    },
    {
      id: id('delete'),
      method: 'DELETE',
      path: `${base}/:id`,
      tag: STORAGE_TAG,
      summary: `Delete an object of ${bucket.name}`,
      description: 'Deletes the object\'s row, then its bytes (after the commit).',
      auth: 'public',
      params: [idParam],
      responses: [{ status: 204, description: 'Deleted.' }],
      errors: [anonymous, denied, unknown],
    },
    {
      id: id('sign'),
      method: 'POST',
      path: `${base}/:id/sign`,
      tag: STORAGE_TAG,
      summary: `Sign a download URL for an object of ${bucket.name}`,
      description: 'A URL anyone may download the object with until it expires (`expiresIn` seconds, default 3600, at most 7 days), for a caller who may read it now.',
      auth: 'public',
      params: [idParam],
      body: { description: 'How long the URL lives.', schema: { type: 'object', properties: { expiresIn: { type: 'integer', minimum: 1, maximum: 7 * 24 * 3600 } }, additionalProperties: false } },
      responses: [{ status: 200, description: 'The signed URL (a path on this server) and its expiry.', schema: { type: 'object', properties: { url: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } }, required: ['url', 'expiresAt'] } }],
      errors: [err(400, 'The body is not acceptable', 'KL_API_VALIDATION'), unknown],
    },
    ...resumableRoutes(bucket, id),
  ]
}

/**
 * The /storage group of an app: twelve entries per bucket (seven for objects, five for resumable uploads) (none without buckets).
 *
 * @example
 * storageRoutes(ir).routes.map((route) => `${route.method} ${route.path}`) // ['POST /storage/attachments', …]
 */
export function storageRoutes(ir: ProjectIR): RouteGroup {
  return {
    tag: { name: STORAGE_TAG, description: 'Files in buckets (`storage: { … }`): uploads streamed and checked, downloads with ranges, signed URLs; access by the buckets\' rules.' },
    routes: (ir.buckets ?? []).flatMap(bucketRoutes),
    schemas: {
      [OBJECT_SCHEMA]: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          bucket: { type: 'string' },
          name: { type: 'string' },
          size: { type: 'integer' },
          contentType: { type: 'string' },
          ownerId: { type: ['string', 'null'] },
          sha256: { type: 'string' },
          metadata: { type: 'object' },
          createdAt: { type: 'string', format: 'date-time' },
        },
        required: ['id', 'bucket', 'name', 'size', 'contentType', 'ownerId', 'sha256', 'metadata', 'createdAt'],
      },
    },
  }
}
