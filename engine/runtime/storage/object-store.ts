import { randomBytes } from 'node:crypto'
import type { Readable } from 'node:stream'
import type { BucketIR } from '../../ir/project-ir.ts'
import { OBJECTS_TABLE } from '../../ir/storage-objects.ts'
import { KoyaError, isKoyaError } from '../../shared/errors.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import type { Actor, DataLayer } from '../data/data-layer.ts'
import type { StorageDriver } from './driver.ts'
import { checkName, refusal, type ObjectRow } from './object-handlers.ts'
import { UploadMeter } from './upload-meter.ts'

const SYSTEM: Actor = { kind: 'system' }
/** Thrown to roll back the create rule's trial insert. */
const ROLLBACK = Symbol('rollback')

export interface StoreOptions {
  /** The object's name; default: its key's random part. */
  readonly name?: string | undefined
  /** The Content-Type the client declared (only a hint: the type is sniffed). */
  readonly declaredType?: string | undefined
  /** The Content-Length, or NaN when unknown (chunked, multipart). */
  readonly declaredLength?: number
  readonly requestId?: string
  /** The driver key to store under (a resumable upload fixes it at creation); default: a new random one. */
  readonly key?: string
  /** Whether the source delivered all it announced (an HTTP request: `complete`). Default: yes. */
  readonly complete?: () => boolean
}

/**
 * Store one object of `bucket` from a stream, as `actor`: the create rule tried on the object as
 * declared before a byte is stored, the bytes streamed through the UploadMeter (size limit,
 * SHA-256, sniffed type) into the driver under a new random key, then the quota checked and the
 * row inserted through the data layer in one transaction (the create rule judged on the real
 * values). Any failure leaves no row and no bytes. Used by the upload route and the CLI.
 *
 * @example
 * const row = await storeObject({ data, db, driver }, bucket, { kind: 'system' }, createReadStream('a.pdf'), { name: 'a.pdf' })
 */
export async function storeObject(deps: { readonly data: DataLayer; readonly db: SqliteDatabase; readonly driver: StorageDriver }, bucket: BucketIR, actor: Actor, source: Readable, options: StoreOptions = {}): Promise<ObjectRow> {
  const { data, db, driver } = deps
  const declaredLength = options.declaredLength ?? Number.NaN
  const declaredType = options.declaredType
  checkUploadAllowed(deps, bucket, actor, options)
  const ownerId = actor.kind === 'user' ? actor.userId : null
  const key = options.key ?? newObjectKey(bucket)
  const checkedName = options.name === undefined ? undefined : checkName(options.name)
  const rowOf = (size: number, contentType: string, sha256: string) => ({ bucket: bucket.name, name: checkedName ?? key.slice(bucket.name.length + 1), size, contentType, ownerId, sha256, key, metadata: {} })
  const insert = insertAs(data, bucket, actor, options.requestId)
  const meter = new UploadMeter({ maxSize: bucket.maxSizeBytes, types: bucket.types, declaredType })
  const cutOff = () => meter.destroy(new KoyaError('KL_STORAGE_BAD_UPLOAD', 'The upload was cut off before its end; nothing was stored.'))
  source.on('error', cutOff)
  source.on('aborted', cutOff)
  // A client gone mid-body may close the request without an error event.
  source.on('close', () => {
    if (!source.readableEnded) cutOff()
  })
  source.pipe(meter)
  await driver.put(key, meter, { contentType: declaredType ?? 'application/octet-stream', ...(Number.isFinite(declaredLength) ? { size: declaredLength } : {}) })
  if (options.complete !== undefined && !options.complete()) {
    await driver.delete(key)
    throw new KoyaError('KL_STORAGE_BAD_UPLOAD', 'The upload was cut off before its end; nothing was stored.')
  }
  const metered = meter.result()
  try {
    // Quota and insert in one transaction: two uploads at once cannot both fit the last bytes.
    return db.transaction(() => {
      checkQuota(db, bucket, ownerId, metered.size)
      insert(rowOf(metered.size, metered.contentType, metered.sha256))
      return data.findOne<'objects'>(SYSTEM, { table: OBJECTS_TABLE, where: { kind: 'compare', column: 'key', operator: 'eq', value: key } }, { as: 'objects' }) as unknown as ObjectRow
    })()
  } catch (error) {
    await driver.delete(key)
    throw error
  }
}

/** A new random driver key for an object of `bucket` (`<bucket>/<random>`, decision 109). */
export function newObjectKey(bucket: BucketIR): string {
  return `${bucket.name}/${randomBytes(18).toString('base64url')}`
}

/**
 * What can be judged of an upload before a byte is stored, from what the client declared: the
 * bucket has a create rule (or the caller is the service key), the declared length fits `maxSize`
 * and the quotas, and the create rule admits the object as declared (its length and type as the
 * client says; tried as an insert in a transaction rolled back). The real values are judged again
 * when the object is stored. Used by the upload route and by resumable (TUS) uploads at creation.
 *
 * @throws KoyaError KL_API_POLICY_DENIED / KL_API_UNAUTHORIZED, KL_STORAGE_TOO_LARGE, KL_STORAGE_QUOTA_EXCEEDED, KL_STORAGE_BAD_NAME.
 *
 * @example
 * checkUploadAllowed({ data, db }, bucket, actor, { name: 'a.pdf', declaredLength: 2_000_000, declaredType: 'application/pdf' })
 */
export function checkUploadAllowed(deps: { readonly data: DataLayer; readonly db: SqliteDatabase }, bucket: BucketIR, actor: Actor, options: Pick<StoreOptions, 'name' | 'declaredType' | 'declaredLength' | 'requestId'>): void {
  const { data, db } = deps
  if (actor.kind !== 'system' && bucket.access.create === null) throw refusal(actor, bucket, 'create')
  const ownerId = actor.kind === 'user' ? actor.userId : null
  const declaredLength = options.declaredLength ?? Number.NaN
  if (Number.isFinite(declaredLength)) {
    if (declaredLength > bucket.maxSizeBytes) throw new KoyaError('KL_STORAGE_TOO_LARGE', `The upload (${declaredLength} bytes) is larger than the bucket's limit of ${bucket.maxSizeBytes} bytes; nothing was stored.`)
    checkQuota(db, bucket, ownerId, declaredLength)
  }
  const name = options.name === undefined ? undefined : checkName(options.name)
  if (actor.kind === 'system') return
  const key = `${bucket.name}/${randomBytes(18).toString('base64url')}`
  const contentType = options.declaredType?.split(';')[0]?.trim() || 'application/octet-stream'
  try {
    db.transaction(() => {
      insertAs(data, bucket, actor, options.requestId)({ bucket: bucket.name, name: name ?? key.slice(bucket.name.length + 1), size: Number.isFinite(declaredLength) ? declaredLength : 0, contentType, ownerId, sha256: '', key, metadata: {} })
      throw ROLLBACK
    })()
  } catch (error) {
    if (error !== ROLLBACK) throw error
  }
}

/** Insert one object row as `actor`; a refusal is the bucket's coded refusal. */
function insertAs(data: DataLayer, bucket: BucketIR, actor: Actor, requestId: string | undefined): (values: Record<string, unknown>) => void {
  return (values) => {
    try {
      const written = data.insert(actor, { table: OBJECTS_TABLE, rows: [values] }, requestId === undefined ? {} : { requestId })
      if (written.count !== 1) throw refusal(actor, bucket, 'create')
    } catch (error) {
      throw isKoyaError(error) && error.code === 'KL_API_POLICY_DENIED' && actor.kind === 'anonymous' ? refusal(actor, bucket, 'create') : error
    }
  }
}

/** @throws KoyaError KL_STORAGE_QUOTA_EXCEEDED when `adding` bytes would pass the user's or the bucket's quota. */
function checkQuota(db: SqliteDatabase, bucket: BucketIR, ownerId: string | null, adding: number): void {
  const { perUserBytes, totalBytes } = bucket.quota
  if (perUserBytes === null && totalBytes === null) return
  const used = db
    .prepare(`SELECT COALESCE(SUM("size"), 0) AS "total", COALESCE(SUM(CASE WHEN "ownerId" IS ? THEN "size" END), 0) AS "user" FROM "${OBJECTS_TABLE}" WHERE "bucket" = ?`)
    .all(ownerId, bucket.name)[0] as { user: number; total: number }
  if (perUserBytes !== null && ownerId !== null && used.user + adding > perUserBytes) {
    throw new KoyaError('KL_STORAGE_QUOTA_EXCEEDED', `The upload would take this user's bytes in bucket "${bucket.name}" to ${used.user + adding}, over the quota of ${perUserBytes}. Nothing was stored.`)
  }
  if (totalBytes !== null && used.total + adding > totalBytes) {
    throw new KoyaError('KL_STORAGE_QUOTA_EXCEEDED', `The upload would take bucket "${bucket.name}" to ${used.total + adding} bytes, over its quota of ${totalBytes}. Nothing was stored.`)
  }
}
