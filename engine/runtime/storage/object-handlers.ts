import type { Readable } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { BucketIR } from '../../ir/project-ir.ts'
import { storageRouteId, type OBJECT_OPERATIONS, type StorageOperation } from '../../ir/routes/storage-routes.ts'
import { OBJECTS_TABLE } from '../../ir/storage-objects.ts'
import { KoyaError, isKoyaError } from '../../shared/errors.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import type { StoredObjectFields } from '../../shared/storage-object.ts'
import type { Actor, DataLayer } from '../data/data-layer.ts'
import type { Where } from '../data/query.ts'
import type { RouteHandler } from '../http/route-contract.ts'
import { contentDisposition, matchesEtag, parseRange } from './download-headers.ts'
import type { StorageDriver } from './driver.ts'
import { MAX_SIGNED_SECONDS, type UrlSigner } from './signed-urls.ts'
import { storeObject } from './object-store.ts'
import { thumbnailResponder } from './thumbnail-download.ts'
import { DEFAULT_THUMBNAIL_LIMITS, parseThumbnailQuery } from './thumbnail-query.ts'

/** An object row as the data layer returns it. */
export interface ObjectRow extends StoredObjectFields {
  readonly sha256: string
  /** Where the driver keeps the bytes; never answered. */
  readonly key: string
  readonly metadata: Record<string, unknown>
}

export interface StorageContext {
  readonly data: DataLayer
  readonly db: SqliteDatabase
  readonly driver: StorageDriver
  readonly signer: UrlSigner
  readonly clock: () => Date
  readonly actorOf: (request: FastifyRequest) => Actor
}

const SYSTEM: Actor = { kind: 'system' }
const MAX_NAME_BYTES = 1024
const MAX_METADATA_TEXT = 16 * 1024
const MAX_METADATA_DEPTH = 16

/** The object as answered: everything but the driver's key. */
export function objectJson(row: ObjectRow): Omit<ObjectRow, 'key'> {
  const { key: _key, ...rest } = row
  return rest
}

/**
 * An object name: a label (it never becomes a path; the driver's key is random), so `../` is
 * harmless, but it must be printable, valid Unicode and at most 1024 bytes.
 */
export function checkName(name: string, what = 'name'): string {
  // eslint-disable-next-line no-control-regex
  if (name.length === 0 || Buffer.byteLength(name) > MAX_NAME_BYTES || /[\u0000-\u001f\u007f]/.test(name) || !isWellFormed(name)) {
    throw new KoyaError('KL_STORAGE_BAD_NAME', `The object ${what} is empty, over ${MAX_NAME_BYTES} bytes, has control characters or is not valid Unicode.`)
  }
  return name.normalize('NFC')
}

/** No lone surrogate (String.prototype.isWellFormed, which the compile target's lib does not type). */
function isWellFormed(text: string): boolean {
  return !/\p{Surrogate}/u.test(text)
}

function checkMetadata(value: unknown): Record<string, unknown> {
  const text = JSON.stringify(value)
  if (typeof value !== 'object' || value === null || Array.isArray(value) || text.length > MAX_METADATA_TEXT) {
    throw new KoyaError('KL_API_VALIDATION', `metadata must be a JSON object of at most ${MAX_METADATA_TEXT} characters.`)
  }
  // Bounded far below SQLite's JSON depth limit (PITFALLS), iteratively.
  const stack: [unknown, number][] = [[value, 1]]
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!
    if (depth > MAX_METADATA_DEPTH) throw new KoyaError('KL_API_VALIDATION', `metadata is nested deeper than ${MAX_METADATA_DEPTH} levels.`)
    if (typeof item === 'object' && item !== null) for (const child of Object.values(item)) stack.push([child, depth + 1])
  }
  return value as Record<string, unknown>
}

const eq = (column: string, value: string): Where => ({ kind: 'compare', column, operator: 'eq', value })
/** Names starting with `prefix`, as a range an index serves (U+10FFFF sorts after every other character). */
const startsWith = (prefix: string): Where => ({ kind: 'and', where: [{ kind: 'compare', column: 'name', operator: 'gte', value: prefix }, { kind: 'compare', column: 'name', operator: 'lt', value: `${prefix}\u{10FFFF}` }] })

function notFound(bucket: BucketIR): KoyaError {
  return new KoyaError('KL_STORAGE_NOT_FOUND', `No such object in bucket "${bucket.name}".`)
}

export function refusal(actor: Actor, bucket: BucketIR, operation: string): KoyaError {
  if (actor.kind === 'anonymous') return new KoyaError('KL_API_UNAUTHORIZED', `${operation} in bucket "${bucket.name}" needs credentials.`)
  return new KoyaError('KL_API_POLICY_DENIED', `The ${operation} rule of bucket "${bucket.name}" refused the operation. Nothing was written.`, { hint: `See the rules of "${OBJECTS_TABLE}" in generated/access.md.` })
}

/**
 * The handlers of one bucket's contract entries. Every read and write of object rows goes
 * through the data layer as the caller, so the bucket's compiled rules decide.
 */
export function bucketHandlers(bucket: BucketIR, ctx: StorageContext): Record<string, RouteHandler> {
  const { data, db, driver, signer, clock, actorOf } = ctx
  const thumbnailLimits = bucket.thumbnails === undefined ? DEFAULT_THUMBNAIL_LIMITS : { ...DEFAULT_THUMBNAIL_LIMITS, sizes: bucket.thumbnails }
  const thumbnails = thumbnailResponder(driver, thumbnailLimits)
  const inBucket = (id: string): Where => ({ kind: 'and', where: [eq('id', id), eq('bucket', bucket.name)] })
  const pathOf = (id: string) => `/storage/${bucket.name}/${id}`
  const readable = (actor: Actor, id: string): ObjectRow | undefined => {
    try {
      return data.findOne<'objects'>(actor, { table: OBJECTS_TABLE, where: inBucket(id) }, { as: 'objects' }) as unknown as ObjectRow | undefined
    } catch (error) {
      // No bucket has a read rule at all: to this caller every object is missing.
      if (isKoyaError(error) && (error.code === 'KL_API_UNAUTHORIZED' || error.code === 'KL_API_POLICY_DENIED')) return undefined
      throw error
    }
  }
  const ownerWhere = (actor: Actor, request: FastifyRequest): Where[] => {
    const ownerId = (request.query as { ownerId?: string }).ownerId
    if (actor.kind === 'system') return ownerId === undefined ? [] : [eq('ownerId', ownerId)]
    if (actor.kind !== 'user') throw refusal(actor, bucket, 'listing')
    return [eq('ownerId', actor.userId)]
  }
  const handlers: Record<(typeof OBJECT_OPERATIONS)[number], RouteHandler> = {
    async upload(request, reply) {
      const actor = actorOf(request)
      // Deny by default before a byte is read: a bucket without a create rule is the service key's.
      if (actor.kind !== 'system' && bucket.access.create === null) throw refusal(actor, bucket, 'create')
      let source: Readable
      let name = (request.query as { name?: string }).name
      let declaredType = request.headers['content-type']
      let declaredLength = Number(request.headers['content-length'])
      if (request.isMultipart()) {
        const part = await request.file({ limits: { fileSize: bucket.maxSizeBytes + 1, files: 1 } })
        if (part === undefined) throw new KoyaError('KL_STORAGE_BAD_UPLOAD', 'The multipart body has no file field.')
        source = part.file
        name ??= part.filename === '' ? undefined : part.filename
        declaredType = part.mimetype
        declaredLength = Number.NaN
      } else {
        source = request.raw
      }
      const row = await storeObject({ data, db, driver }, bucket, actor, source, {
        name,
        declaredType,
        declaredLength,
        requestId: request.id,
        complete: () => (request.raw as { complete?: boolean }).complete !== false,
      })
      return reply.code(201).send(objectJson(row))
    },

    async list(request, reply) {
      const actor = actorOf(request)
      const query = request.query as { prefix?: string; limit?: string; offset?: string }
      const where: Where[] = [eq('bucket', bucket.name), ...ownerWhere(actor, request), ...(query.prefix === undefined || query.prefix === '' ? [] : [startsWith(checkName(query.prefix, 'prefix'))])]
      const page = data.list<'objects'>(actor, { table: OBJECTS_TABLE, where: { kind: 'and', where }, orderBy: [{ column: 'name' }, { column: 'id' }], limit: query.limit === undefined ? 100 : Number(query.limit), offset: query.offset === undefined ? 0 : Number(query.offset) }, { as: 'objects', requestId: request.id })
      return reply.code(200).send(page.rows.map((row) => objectJson(row as unknown as ObjectRow)))
    },

    async deletePrefix(request, reply) {
      const actor = actorOf(request)
      const prefix = checkName((request.query as { prefix: string }).prefix, 'prefix')
      const where: Where = { kind: 'and', where: [eq('bucket', bucket.name), ...ownerWhere(actor, request), startsWith(prefix)] }
      if (actor.kind !== 'system' && bucket.access.delete === null) throw refusal(actor, bucket, 'delete')
      const result = data.delete(actor, { table: OBJECTS_TABLE, target: { where } }, { requestId: request.id })
      return reply.code(200).send({ deleted: result.count })
    },

    async download(request, reply) {
      const { id } = request.params as { id: string }
      const query = request.query as { expires?: string; signature?: string; download?: string }
      const signed = query.signature !== undefined || query.expires !== undefined
      let row: ObjectRow | undefined
      if (signed) {
        signer.verify('GET', pathOf(id), query, clock())
        row = readable(SYSTEM, id)
      } else {
        row = readable(actorOf(request), id)
      }
      if (row === undefined) throw notFound(bucket)
      // Checked before anything is read: a bad thumbnail query is a coded 400 for every caller.
      const thumbnail = parseThumbnailQuery(request.query as Record<string, unknown>, thumbnailLimits)
      const etag = thumbnail === undefined ? `"${row.sha256}"` : thumbnails.etagOf(row, thumbnail)
      reply.header('etag', etag)
      reply.header('accept-ranges', 'bytes')
      reply.header('x-content-type-options', 'nosniff')
      // Never run as a page of this origin, whatever the bytes are.
      reply.header('content-security-policy', "default-src 'none'; sandbox")
      reply.header('cache-control', signed ? `private, max-age=${Math.max(0, Number(query.expires) - Math.floor(clock().getTime() / 1000))}` : 'private, no-cache')
      if (matchesEtag(request.headers['if-none-match'], etag)) return reply.code(304).send()
      if (thumbnail !== undefined) {
        const sent = await thumbnails.send(reply, row, thumbnail)
        if (sent === undefined) throw notFound(bucket)
        return sent
      }
      let range
      try {
        range = parseRange(request.headers.range, row.size)
      } catch (error) {
        reply.header('content-range', `bytes */${row.size}`)
        throw error
      }
      const body = await driver.get(row.key, range)
      if (body === undefined) throw notFound(bucket)
      reply.header('content-type', row.contentType)
      reply.header('content-disposition', contentDisposition(row.name, row.contentType, query.download === '1'))
      if (range !== undefined) {
        reply.header('content-range', `bytes ${range.start}-${range.end}/${row.size}`)
        reply.header('content-length', range.end - range.start + 1)
        return reply.code(206).send(body)
      }
      reply.header('content-length', row.size)
      return reply.code(200).send(body)
    },

    async update(request, reply) {
      const actor = actorOf(request)
      const { id } = request.params as { id: string }
      const body = request.body as { name?: string; metadata?: unknown }
      const patch = { ...(body.name !== undefined ? { name: checkName(body.name) } : {}), ...(body.metadata !== undefined ? { metadata: checkMetadata(body.metadata) } : {}) }
      if (readable(actor, id) === undefined) throw notFound(bucket)
      if (actor.kind !== 'system' && (bucket.access.delete === null || bucket.access.create === null)) throw refusal(actor, bucket, 'update')
      const result = data.update(actor, { table: OBJECTS_TABLE, target: { where: inBucket(id) }, patch }, { requestId: request.id })
      if (result.count === 0) throw refusal(actor, bucket, 'update')
      return reply.code(200).send(objectJson(readable(SYSTEM, id)!))
    },

    async delete(request, reply) {
      const actor = actorOf(request)
      const { id } = request.params as { id: string }
      if (readable(actor, id) === undefined) throw notFound(bucket)
      if (actor.kind !== 'system' && bucket.access.delete === null) throw refusal(actor, bucket, 'delete')
      const result = data.delete(actor, { table: OBJECTS_TABLE, target: { where: inBucket(id) } }, { requestId: request.id })
      if (result.count === 0) throw refusal(actor, bucket, 'delete')
      return reply.code(204).send()
    },

    async sign(request, reply) {
      const actor = actorOf(request)
      const { id } = request.params as { id: string }
      const expiresIn = (request.body as { expiresIn?: number } | undefined)?.expiresIn ?? 3600
      if (expiresIn > MAX_SIGNED_SECONDS) throw new KoyaError('KL_API_VALIDATION', `expiresIn is over ${MAX_SIGNED_SECONDS} seconds.`)
      if (readable(actor, id) === undefined) throw notFound(bucket)
      return reply.code(200).send(signer.sign('GET', pathOf(id), clock(), expiresIn))
    },
  }
  return Object.fromEntries(Object.entries(handlers).map(([operation, handler]) => [storageRouteId(bucket.name, operation as StorageOperation), handler]))
}
