import type { BucketIR } from '../project-ir.ts'
import { err } from './auth-routes.ts'
import type { RouteContract, RouteSchema } from './route-contract.ts'

/**
 * The resumable upload endpoints of one bucket: the tus 1.0.0 protocol (https://tus.io) with its
 * creation, creation-defer-length, termination, expiration and checksum extensions, under `/storage/<bucket>/resumable`
 * (engine/runtime/storage/resumable-handlers.ts). Any tus client works (tus-js-client, Uppy):
 * its endpoint is this path. The finished upload becomes an object of the bucket, judged by the
 * same limits, rules and quotas as a plain upload.
 */

export const RESUMABLE_OPERATIONS = ['resumableOptions', 'resumableCreate', 'resumableOffset', 'resumableAppend', 'resumableCancel'] as const
export type ResumableOperation = (typeof RESUMABLE_OPERATIONS)[number]

const uploadIdParam = { name: 'uploadId', description: 'The resumable upload\'s id (the last segment of the creation\'s `Location`).', schema: { type: 'string', minLength: 1, maxLength: 64 } }
const header = (description: string, schema: RouteSchema = { type: 'string' }) => ({ description, schema })
const TUS_RESUMABLE = { 'Tus-Resumable': header('`1.0.0`, the protocol version.') }

const anonymous = err(401, 'The operation needs credentials', 'KL_API_UNAUTHORIZED', 'KL_AUTH_REQUIRED')
const version = err(412, 'The request\'s `Tus-Resumable` is not `1.0.0`', 'KL_STORAGE_TUS_UNSUPPORTED')
const gone = err(404, 'No such bucket, or no resumable upload of this caller with that id', 'KL_STORAGE_UNKNOWN_BUCKET', 'KL_STORAGE_UPLOAD_NOT_FOUND')
const expired = err(410, 'The upload expired (24 hours after its creation) and was removed', 'KL_STORAGE_UPLOAD_EXPIRED')

/**
 * The five tus entries of `bucket` (OPTIONS, POST, HEAD, PATCH, DELETE). `id` names an operation's
 * entry as the other storage entries are named (`storageAttachmentsResumableCreate`).
 *
 * @example
 * resumableRoutes(bucket, (op) => storageRouteId(bucket.name, op)).map((route) => route.method) // ['OPTIONS', 'POST', 'HEAD', 'PATCH', 'DELETE']
 */
export function resumableRoutes(bucket: BucketIR, id: (operation: ResumableOperation) => string): RouteContract[] {
  const base = `/storage/${bucket.name}/resumable`
  const tag = 'Storage'
  return [
    {
      id: id('resumableOptions'),
      method: 'OPTIONS',
      path: base,
      tag,
      summary: `Resumable uploads to ${bucket.name}: what the server supports`,
      description: 'The tus discovery answer: `Tus-Version: 1.0.0`, `Tus-Extension: creation,creation-defer-length,termination,expiration,checksum`, `Tus-Checksum-Algorithm: md5,sha1,sha256`, `Tus-Max-Size` (the bucket\'s maxSize).',
      auth: 'public',
      responses: [{ status: 204, description: 'The tus headers.', headers: { ...TUS_RESUMABLE, 'Tus-Version': header('`1.0.0`.'), 'Tus-Extension': header('The extensions served.'), 'Tus-Checksum-Algorithm': header('The algorithms `Upload-Checksum` may use.'), 'Tus-Max-Size': header('The largest upload, in bytes.', { type: 'integer' }) } }],
      errors: [err(404, 'No such bucket', 'KL_STORAGE_UNKNOWN_BUCKET')],
    },
    {
      id: id('resumableCreate'),
      method: 'POST',
      path: base,
      tag,
      summary: `Start a resumable upload to ${bucket.name}`,
      description:
        'tus creation. Headers: `Tus-Resumable: 1.0.0`, `Upload-Length` (the whole size) or `Upload-Defer-Length: 1` (the size is sent with a later PATCH\'s `Upload-Length`, and judged then), `Upload-Metadata` (`name` or `filename`, `contentType` or `filetype`, base64). ' +
        `The size is checked against maxSize (${bucket.maxSizeBytes} bytes) and the quotas, and the create rule against the object as declared, before any byte is sent. ` +
        'Answers the upload\'s URL in `Location` and its expiry in `Upload-Expires`. The bytes follow with PATCH; after the last one the object is stored as by a plain upload (type sniffed, limits, rule and quota judged again) and its id is answered in `Koya-Object-Id`.',
      auth: 'public',
      responses: [{ status: 201, description: 'The upload was created.', headers: { ...TUS_RESUMABLE, Location: header('The upload\'s URL.'), 'Upload-Expires': header('When the upload expires (an HTTP date).'), 'Koya-Object-Id': header('An empty upload (Upload-Length 0) is stored at once: its object id.') } }],
      errors: [
        err(400, 'A tus header is missing or malformed, or the name is not acceptable', 'KL_STORAGE_TUS_BAD_REQUEST', 'KL_STORAGE_BAD_NAME'),
        anonymous,
        err(403, 'The bucket\'s create rule refused the object as declared', 'KL_API_POLICY_DENIED'),
        err(404, 'No such bucket', 'KL_STORAGE_UNKNOWN_BUCKET'),
        version,
        err(413, 'Upload-Length is over the bucket\'s maxSize, or over a quota', 'KL_STORAGE_TOO_LARGE', 'KL_STORAGE_QUOTA_EXCEEDED'),
      ],
    },
    {
      id: id('resumableOffset'),
      method: 'HEAD',
      path: `${base}/:uploadId`,
      tag,
      summary: `The offset of a resumable upload to ${bucket.name}`,
      description: 'tus HEAD: how many bytes the server has (`Upload-Offset`), for the caller who created the upload. Once the last byte is in, `Koya-Object-Id` names the stored object.',
      auth: 'public',
      params: [uploadIdParam],
      responses: [{ status: 200, description: 'The upload\'s state.', headers: { ...TUS_RESUMABLE, 'Upload-Offset': header('Bytes received.', { type: 'integer' }), 'Upload-Length': header('The whole size.', { type: 'integer' }), 'Upload-Defer-Length': header('`1` while the size is not declared yet (instead of Upload-Length).'), 'Upload-Expires': header('When the upload expires.'), 'Koya-Object-Id': header('The stored object, once complete.') } }],
      errors: [gone, expired, version],
    },
    {
      id: id('resumableAppend'),
      method: 'PATCH',
      path: `${base}/:uploadId`,
      tag,
      summary: `Send bytes of a resumable upload to ${bucket.name}`,
      description:
        'tus PATCH: `Content-Type: application/offset+octet-stream`, `Upload-Offset` equal to the server\'s offset; the body is appended. Bytes received before a cut connection are kept: ask HEAD and continue. ' +
        'With `Upload-Checksum: <md5|sha1|sha256> <base64 digest>` the PATCH is all or nothing: bytes of another digest (or cut off) are dropped and the answer is 460. A deferred upload declares its `Upload-Length` on a PATCH (checked then against maxSize, the quotas and the create rule). ' +
        'The PATCH that brings the last byte stores the object and answers its id in `Koya-Object-Id`; a refusal then (type, rule, quota) removes the upload.',
      auth: 'public',
      params: [uploadIdParam],
      body: { description: 'The next bytes (`application/offset+octet-stream`).', schema: { type: 'string', format: 'binary' }, binary: true },
      responses: [{ status: 204, description: 'The bytes were stored.', headers: { ...TUS_RESUMABLE, 'Upload-Offset': header('The new offset.', { type: 'integer' }), 'Upload-Expires': header('When the upload expires.'), 'Koya-Object-Id': header('The stored object, after the last byte.') } }],
      errors: [
        err(400, 'Upload-Offset is missing or malformed, Upload-Length contradicts the upload, or Upload-Checksum names an algorithm not offered', 'KL_STORAGE_TUS_BAD_REQUEST'),
        err(403, 'The bucket\'s create rule refused the finished object', 'KL_API_POLICY_DENIED'),
        gone,
        err(409, 'Upload-Offset is not the server\'s offset', 'KL_STORAGE_UPLOAD_OFFSET_MISMATCH'),
        expired,
        version,
        err(413, 'More bytes than Upload-Length, or the finished object is over a quota', 'KL_STORAGE_TOO_LARGE', 'KL_STORAGE_QUOTA_EXCEEDED'),
        err(415, 'The Content-Type is not application/offset+octet-stream, or the finished object\'s bytes are of a type the bucket does not take', 'KL_STORAGE_TUS_CONTENT_TYPE', 'KL_STORAGE_TYPE_NOT_ALLOWED'),
        err(460, 'The bytes do not have the digest Upload-Checksum names (tus checksum extension); none were kept', 'KL_STORAGE_CHECKSUM_MISMATCH'),
      ],
    },
    {
      id: id('resumableCancel'),
      method: 'DELETE',
      path: `${base}/:uploadId`,
      tag,
      summary: `Cancel a resumable upload to ${bucket.name}`,
      description: 'tus termination: the upload and its bytes are removed (an object already stored from it stays; delete it as any object).',
      auth: 'public',
      params: [uploadIdParam],
      responses: [{ status: 204, description: 'Removed.', headers: TUS_RESUMABLE }],
      errors: [gone, version],
    },
  ]
}
