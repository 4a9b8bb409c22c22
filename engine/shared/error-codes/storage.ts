import type { ErrorCodeInfo } from '../error-codes.ts'

/** Codes of the storage feature (buckets, objects, signed URLs, drivers). Part of the one registry (../error-codes.ts). */
export const STORAGE_ERROR_CODES = {
  KL_STORAGE_UNKNOWN_BUCKET: {
    description: 'The URL names a bucket the app does not declare.',
    solution: 'Use a bucket of `storage: { … }` in koyalite.ts (listed at /docs).',
  },
  KL_STORAGE_NOT_FOUND: {
    description: 'There is no such object in the bucket, or the caller may not read it.',
    solution: 'Check the object id; sign in as a user the bucket\'s read rule (or a row referencing the object) admits, or use a signed URL.',
  },
  KL_STORAGE_TOO_LARGE: {
    description: 'The upload is larger than the bucket\'s `maxSize`; it was stopped while streaming and nothing was stored.',
    solution: 'Upload a smaller file, or raise `maxSize` in the bucket\'s definition.',
  },
  KL_STORAGE_TYPE_NOT_ALLOWED: {
    description: 'The content type sniffed from the upload\'s bytes is not among the bucket\'s `types`. Nothing was stored.',
    solution: 'Upload a file of an admitted type (the message names them); the type is read from the bytes, not from the file name or Content-Type.',
  },
  KL_STORAGE_QUOTA_EXCEEDED: {
    description: 'The upload would take the user\'s (or the bucket\'s) stored bytes over its `quota`. Nothing was stored.',
    solution: 'Delete objects first (DELETE /storage/<bucket>/<id> or by prefix), or raise the quota in the bucket\'s definition.',
  },
  KL_STORAGE_SIGNATURE_INVALID: {
    description: 'A signed URL\'s signature does not match its method, path and expiry: it was altered, or signed with another secret.',
    solution: 'Use the URL exactly as POST /storage/<bucket>/<id>/sign returned it; sign a new one if the server\'s KOYA_STORAGE_SECRET changed.',
  },
  KL_STORAGE_SIGNATURE_EXPIRED: {
    description: 'A signed URL was used after its expiry.',
    solution: 'Ask for a new signed URL (POST /storage/<bucket>/<id>/sign).',
  },
  KL_STORAGE_BAD_NAME: {
    description: 'An object name or prefix is empty, too long (over 1024 bytes), has control characters (NUL included) or is not valid Unicode.',
    solution: 'Send a name of printable characters, at most 1024 bytes in UTF-8.',
  },
  KL_STORAGE_BAD_UPLOAD: {
    description: 'The upload could not be read: the body ended before its Content-Length, a multipart body had no file, or it was cut off. Nothing was stored.',
    solution: 'Send the file again, as the raw request body or as one multipart `file` field.',
  },
  KL_STORAGE_BAD_RANGE: {
    description: 'The Range header asks for bytes outside the object.',
    solution: 'Ask for `bytes=start-end` within the object\'s size (Content-Length of a HEAD or a full GET).',
  },
  KL_STORAGE_BAD_FILE: {
    description: 'A file column (`t.file`, `t.files`) was given an id that is not an object of its bucket, or one the writer neither uploaded nor may read. Nothing was written.',
    solution: 'Upload the file to /storage/<bucket> first and write the id it answers; to share another user\'s file, the bucket\'s read rule must admit you.',
  },
  KL_STORAGE_TUS_UNSUPPORTED: {
    description: 'A resumable (tus) request did not send `Tus-Resumable: 1.0.0`, the one protocol version the server speaks.',
    solution: 'Use a tus 1.0.0 client (tus-js-client, Uppy), or send the header `Tus-Resumable: 1.0.0`.',
  },
  KL_STORAGE_TUS_BAD_REQUEST: {
    description: 'A resumable (tus) request lacks a header it needs or has a malformed one: `Upload-Length` (or `Upload-Defer-Length: 1`) at creation, `Upload-Offset` on PATCH, an `Upload-Length` that contradicts the upload\'s, an `Upload-Checksum` of an algorithm the server does not offer (`Tus-Checksum-Algorithm`), or an `Upload-Metadata` that is not `key base64value` pairs.',
    solution: 'Send the headers of the tus 1.0.0 protocol (docs/storage.md, "Resumable uploads").',
  },
  KL_STORAGE_CHECKSUM_MISMATCH: {
    description: 'The bytes of a resumable upload\'s PATCH do not have the digest its `Upload-Checksum` names (tus checksum extension; status 460). None of that PATCH\'s bytes were kept.',
    solution: 'Send the same bytes again from the same `Upload-Offset` (ask HEAD if unsure); a repeated mismatch means the bytes change on the way or the digest is computed over other bytes.',
  },
  KL_STORAGE_TUS_CONTENT_TYPE: {
    description: 'A PATCH of a resumable upload was not sent as `Content-Type: application/offset+octet-stream`.',
    solution: 'Send the bytes with `Content-Type: application/offset+octet-stream`.',
  },
  KL_STORAGE_UPLOAD_NOT_FOUND: {
    description: 'There is no resumable upload with that id in the bucket for this caller (another caller\'s uploads are missing to you), or it was cancelled, refused or finished and its object deleted.',
    solution: 'Start a new upload with POST /storage/<bucket>/resumable, signed in as the same user as before.',
  },
  KL_STORAGE_UPLOAD_EXPIRED: {
    description: 'The resumable upload expired (24 hours after its creation) and its bytes were removed.',
    solution: 'Start the upload again; finish uploads within a day.',
  },
  KL_STORAGE_UPLOAD_OFFSET_MISMATCH: {
    description: 'A PATCH\'s `Upload-Offset` is not the number of bytes the server has of the upload.',
    solution: 'Ask for the offset with HEAD and send the bytes from there (tus clients do this when they resume).',
  },
  KL_STORAGE_DRIVER_CONFIG: {
    description: 'The storage driver settings are incomplete or unknown (KOYA_STORAGE_DRIVER, KOYA_S3_*). Raised at start.',
    solution: 'Set KOYA_STORAGE_DRIVER to "local" or "s3" and, for s3, every KOYA_S3_* setting docs/storage.md lists.',
  },
  KL_STORAGE_DRIVER_UNAVAILABLE: {
    description: 'The configured storage driver is not part of this build. Raised at start.',
    solution: 'Use KOYA_STORAGE_DRIVER=local, or a KoyaLite version that includes the S3 driver.',
  },
} as const satisfies Record<string, ErrorCodeInfo>
