import { createReadStream } from 'node:fs'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { BucketIR } from '../../ir/project-ir.ts'
import { storageRouteId, type StorageOperation } from '../../ir/routes/storage-routes.ts'
import type { ResumableOperation } from '../../ir/routes/storage-resumable-routes.ts'
import { OBJECTS_TABLE } from '../../ir/storage-objects.ts'
import { KoyaError, isKoyaError } from '../../shared/errors.ts'
import type { Actor } from '../data/data-layer.ts'
import type { RouteHandler } from '../http/route-contract.ts'
import type { ObjectRow, StorageContext } from './object-handlers.ts'
import { checkUploadAllowed, newObjectKey, storeObject } from './object-store.ts'
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm, type ResumableStaging, type StagedUpload } from './resumable-staging.ts'

export const TUS_VERSION = '1.0.0'
/** A resumable upload lives this long after its creation (decision 163). */
export const RESUMABLE_LIFETIME_MS = 24 * 3_600_000
/** The tus extensions served (OPTIONS `Tus-Extension`). */
export const TUS_EXTENSIONS = 'creation,creation-defer-length,termination,expiration,checksum'
const OBJECT_ID_HEADER = 'Koya-Object-Id'
const SYSTEM: Actor = { kind: 'system' }

/** Who may continue an upload: the actor that created it. */
function ownerOf(actor: Actor): string {
  return actor.kind === 'user' ? `user:${actor.userId}` : actor.kind
}

/** `Upload-Metadata`: comma-separated `key base64value` pairs (the value may be absent). */
export function parseUploadMetadata(text: string | undefined): Record<string, string> {
  const pairs: Record<string, string> = {}
  if (text === undefined || text.trim() === '') return pairs
  for (const pair of text.split(',')) {
    const [key, value, extra] = pair.trim().split(' ')
    if (key === undefined || key === '' || extra !== undefined || (value !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(value))) {
      throw new KoyaError('KL_STORAGE_TUS_BAD_REQUEST', 'Upload-Metadata is not a list of `key base64value` pairs.')
    }
    pairs[key] = value === undefined ? '' : Buffer.from(value, 'base64').toString('utf8')
  }
  return pairs
}

/** `Upload-Checksum: <algorithm> <base64 digest>` of a PATCH, when sent. */
export function parseUploadChecksum(text: string | string[] | undefined): { algorithm: ChecksumAlgorithm; digest: Buffer } | undefined {
  if (text === undefined) return undefined
  const match = typeof text === 'string' ? /^\s*([a-z0-9-]+) ([A-Za-z0-9+/]+={0,2})\s*$/.exec(text) : null
  if (match === null) throw new KoyaError('KL_STORAGE_TUS_BAD_REQUEST', 'Upload-Checksum is not `<algorithm> <base64 digest>`.')
  const algorithm = match[1] as ChecksumAlgorithm
  if (!CHECKSUM_ALGORITHMS.includes(algorithm)) {
    throw new KoyaError('KL_STORAGE_TUS_BAD_REQUEST', `Upload-Checksum uses "${algorithm.slice(0, 32)}", which this server does not offer.`, { hint: `Use one of Tus-Checksum-Algorithm: ${CHECKSUM_ALGORITHMS.join(', ')}.` })
  }
  return { algorithm, digest: Buffer.from(match[2]!, 'base64') }
}

/** A non-negative integer header, or KL_STORAGE_TUS_BAD_REQUEST. */
function integerHeader(request: FastifyRequest, name: string): number {
  const text = request.headers[name.toLowerCase()]
  if (typeof text !== 'string' || !/^\d{1,16}$/.test(text)) throw new KoyaError('KL_STORAGE_TUS_BAD_REQUEST', `The ${name} header is missing or not a whole number of bytes.`)
  return Number(text)
}

/**
 * The tus 1.0.0 handlers of one bucket (creation, HEAD, PATCH, termination, OPTIONS; decision
 * 210). Bytes wait in `staging` until the last one; then the upload is stored by `storeObject`
 * exactly like a plain upload (streamed through the meter into the driver, the create rule and
 * quota judged on the real values) under the key fixed at creation, so a finish retried after a
 * crash finds the object instead of storing it twice.
 */
export function resumableHandlers(bucket: BucketIR, ctx: StorageContext & { readonly staging: ResumableStaging }): Record<string, RouteHandler> {
  const { data, db, driver, clock, actorOf, staging } = ctx
  const base = `/storage/${bucket.name}/resumable`
  const tusHeaders = (reply: FastifyReply) => reply.header('Tus-Resumable', TUS_VERSION).header('Cache-Control', 'no-store')
  const checkVersion = (request: FastifyRequest, reply: FastifyReply) => {
    tusHeaders(reply)
    if (request.headers['tus-resumable'] !== TUS_VERSION) {
      reply.header('Tus-Version', TUS_VERSION)
      throw new KoyaError('KL_STORAGE_TUS_UNSUPPORTED', `This server speaks tus ${TUS_VERSION}; the request's Tus-Resumable is "${String(request.headers['tus-resumable'] ?? '')}".`)
    }
  }
  const byKey = (key: string) => data.findOne<'objects'>(SYSTEM, { table: OBJECTS_TABLE, where: { kind: 'compare', column: 'key', operator: 'eq', value: key } }, { as: 'objects' }) as unknown as ObjectRow | undefined

  /** The caller's upload (others' uploads are missing to it); an expired one is removed. */
  const find = async (request: FastifyRequest, actor: Actor) => {
    const { uploadId } = request.params as { uploadId: string }
    const found = await staging.get(uploadId)
    if (found === undefined || found.upload.bucket !== bucket.name || found.upload.owner !== ownerOf(actor)) throw new KoyaError('KL_STORAGE_UPLOAD_NOT_FOUND', `No resumable upload "${uploadId.slice(0, 64)}" of this caller in bucket "${bucket.name}".`)
    if (found.upload.expiresAt <= clock().getTime()) {
      await staging.remove(uploadId)
      throw new KoyaError('KL_STORAGE_UPLOAD_EXPIRED', 'The resumable upload expired and was removed.', { hint: 'Start the upload again.' })
    }
    return found
  }

  /** Store a complete upload as an object (once: a second call finds it by its key). */
  const finish = (upload: StagedUpload, actor: Actor, requestId: string): Promise<ObjectRow> =>
    staging.exclusive(upload.id, async () => {
      const stored = byKey(upload.key)
      if (stored !== undefined) return stored
      if (!(await staging.hasBytes(upload.id))) throw new KoyaError('KL_STORAGE_UPLOAD_NOT_FOUND', 'The resumable upload was finished and its object is gone.')
      try {
        const row = await storeObject({ data, db, driver }, bucket, actor, createReadStream(staging.partFile(upload.id)), {
          key: upload.key,
          ...(upload.length === undefined ? {} : { declaredLength: upload.length }),
          requestId,
          ...(upload.name === undefined ? {} : { name: upload.name }),
          ...(upload.declaredType === undefined ? {} : { declaredType: upload.declaredType }),
        })
        await staging.dropBytes(upload.id)
        return row
      } catch (error) {
        // Refused for good (type, rule, quota): the upload is over. A driver failure keeps the bytes for a retry (HEAD).
        if (isKoyaError(error) && !error.code.startsWith('KL_STORAGE_S3_')) await staging.removeNow(upload.id)
        throw error
      }
    })

  const handlers: Record<ResumableOperation, RouteHandler> = {
    async resumableOptions(_request, reply) {
      return tusHeaders(reply).header('Tus-Version', TUS_VERSION).header('Tus-Extension', TUS_EXTENSIONS).header('Tus-Checksum-Algorithm', CHECKSUM_ALGORITHMS.join(',')).header('Tus-Max-Size', String(bucket.maxSizeBytes)).code(204).send()
    },

    async resumableCreate(request, reply) {
      checkVersion(request, reply)
      const actor = actorOf(request)
      // creation-defer-length: the size is declared by a later PATCH (a stream whose end is not known yet).
      const deferred = request.headers['upload-defer-length'] !== undefined
      if (deferred && (request.headers['upload-defer-length'] !== '1' || request.headers['upload-length'] !== undefined)) {
        throw new KoyaError('KL_STORAGE_TUS_BAD_REQUEST', 'Send either Upload-Length or Upload-Defer-Length: 1, not both.')
      }
      const length = deferred ? undefined : integerHeader(request, 'Upload-Length')
      const rawMetadata = request.headers['upload-metadata']
      const metadata = parseUploadMetadata(typeof rawMetadata === 'string' ? rawMetadata : undefined)
      const name = metadata.name ?? metadata.filename
      const declaredType = metadata.contentType ?? metadata.filetype
      const options = { requestId: request.id, ...(length === undefined ? {} : { declaredLength: length }), ...(name ? { name } : {}), ...(declaredType ? { declaredType } : {}) }
      checkUploadAllowed({ data, db }, bucket, actor, options)
      const upload = await staging.create({
        bucket: bucket.name,
        owner: ownerOf(actor),
        ...(length === undefined ? {} : { length }),
        expiresAt: clock().getTime() + RESUMABLE_LIFETIME_MS,
        key: newObjectKey(bucket),
        ...(name ? { name } : {}),
        ...(declaredType ? { declaredType } : {}),
        ...(typeof rawMetadata === 'string' ? { metadata: rawMetadata } : {}),
      })
      reply.header('Location', `${base}/${upload.id}`).header('Upload-Expires', new Date(upload.expiresAt).toUTCString())
      if (length === 0) reply.header(OBJECT_ID_HEADER, (await finish(upload, actor, request.id)).id)
      return reply.code(201).send()
    },

    async resumableOffset(request, reply) {
      checkVersion(request, reply)
      const actor = actorOf(request)
      const { upload, offset } = await find(request, actor)
      reply.header('Upload-Offset', String(offset)).header('Upload-Expires', new Date(upload.expiresAt).toUTCString())
      if (upload.length === undefined) reply.header('Upload-Defer-Length', '1')
      else reply.header('Upload-Length', String(upload.length))
      if (upload.metadata !== undefined) reply.header('Upload-Metadata', upload.metadata)
      // A server killed between the last byte and the stored object finishes it now.
      if (upload.length !== undefined && offset === upload.length) reply.header(OBJECT_ID_HEADER, (await finish(upload, actor, request.id)).id)
      return reply.code(200).send()
    },

    async resumableAppend(request, reply) {
      checkVersion(request, reply)
      const actor = actorOf(request)
      if (request.headers['content-type']?.split(';')[0]?.trim().toLowerCase() !== 'application/offset+octet-stream') {
        throw new KoyaError('KL_STORAGE_TUS_CONTENT_TYPE', 'A PATCH of a resumable upload must be sent as Content-Type: application/offset+octet-stream.')
      }
      const offset = integerHeader(request, 'Upload-Offset')
      const checksum = parseUploadChecksum(request.headers['upload-checksum'])
      const found = await find(request, actor)
      let upload = found.upload
      if (request.headers['upload-length'] !== undefined) {
        const length = integerHeader(request, 'Upload-Length')
        if (upload.length === undefined) {
          // A deferred upload's size, declared at last: judged as a creation's would have been.
          if (length < found.offset) throw new KoyaError('KL_STORAGE_TUS_BAD_REQUEST', `Upload-Length ${length} is less than the ${found.offset} bytes already received.`)
          checkUploadAllowed({ data, db }, bucket, actor, { declaredLength: length, requestId: request.id, ...(upload.name === undefined ? {} : { name: upload.name }), ...(upload.declaredType === undefined ? {} : { declaredType: upload.declaredType }) })
          upload = await staging.setLength(upload.id, length)
        } else if (length !== upload.length) {
          throw new KoyaError('KL_STORAGE_TUS_BAD_REQUEST', `Upload-Length ${length} contradicts the upload's length of ${upload.length} bytes.`)
        }
      }
      const appended = await staging.append(upload.id, offset, request.raw, { maxLength: upload.length ?? bucket.maxSizeBytes, ...(checksum === undefined ? {} : { checksum }) })
      if (appended.error !== undefined && isKoyaError(appended.error)) throw appended.error
      reply.header('Upload-Offset', String(appended.offset)).header('Upload-Expires', new Date(upload.expiresAt).toUTCString())
      if (appended.offset === upload.length) reply.header(OBJECT_ID_HEADER, (await finish(upload, actor, request.id)).id)
      return reply.code(204).send()
    },

    async resumableCancel(request, reply) {
      checkVersion(request, reply)
      const { upload } = await find(request, actorOf(request))
      await staging.remove(upload.id)
      return reply.code(204).send()
    },
  }
  return Object.fromEntries(Object.entries(handlers).map(([operation, handler]) => [storageRouteId(bucket.name, operation as StorageOperation), handler]))
}
