import type { StoredObjectFields } from '../shared/storage-object.ts'
import type { PolicyAuth } from './policies.ts'

/** A size: `'10MB'`, `'512KB'`, `'1GB'` (1 MB = 2^20 bytes), or a number of bytes. */
export type ByteSize = `${number}${'B' | 'KB' | 'MB' | 'GB'}` | number

/** A thumbnail size, `'<width>x<height>'` in pixels (1-2048); 0 for a side that follows the image's aspect ratio: `'200x200'`, `'800x0'`. */
export type ThumbnailSize = `${number}x${number}`

/** A JSON value in an object's metadata. */
export type StorageJson = null | boolean | number | string | readonly StorageJson[] | { readonly [key: string]: StorageJson }

/**
 * A stored object as a bucket's access rules see it: one row of the `_koya_objects` system table.
 * `ownerId` is the user who uploaded it (null when the service key did).
 */
export interface StorageObject extends StoredObjectFields {
  readonly metadata: { readonly [key: string]: StorageJson }
}

/** An access rule of a bucket: a plain arrow from the object and the caller, compiled like a table policy. */
export type BucketRule = (object: StorageObject, auth: PolicyAuth) => boolean

/** What `bucket()` takes. */
export interface BucketOptions {
  /** The largest object, enforced while the bytes stream in. Default `'10MB'`. */
  readonly maxSize?: ByteSize
  /** Content types admitted, sniffed from the bytes: `'image/png'`, `'image/*'`. Default: any. */
  readonly types?: readonly string[]
  /**
   * Who may read (download, sign, list), create (upload) and delete objects. Deny by default: an
   * operation without a rule is for the service key only. A file column's object is also readable
   * by whoever may read a row that references it.
   */
  readonly access?: {
    readonly read?: BucketRule
    readonly create?: BucketRule
    readonly delete?: BucketRule
  }
  /** The bytes one user may keep in this bucket, checked at upload. */
  readonly quota?: { readonly perUser?: ByteSize; readonly total?: ByteSize }
  /**
   * The only thumbnail sizes downloads may ask for (`?width=&height=`); any other is refused with
   * KL_STORAGE_THUMBNAIL_SIZE_NOT_ALLOWED. Default: any size up to 2048×2048.
   *
   * @example
   * bucket({ types: ['image/*'], thumbnails: ['100x100', '400x0'] })
   */
  readonly thumbnails?: readonly ThumbnailSize[]
}

/** A bucket definition, as `defineConfig({ storage })` holds it. */
export interface BucketDef extends BucketOptions {
  readonly kind: 'bucket'
}

/**
 * Declare a storage bucket: objects uploaded to `/storage/<name>`, with limits and access rules.
 *
 * @example
 * storage: {
 *   attachments: bucket({
 *     maxSize: '10MB',
 *     types: ['image/*', 'application/pdf'],
 *     access: { read: (o, auth) => o.ownerId === auth.userId, create: (o, auth) => auth.userId !== null },
 *     quota: { perUser: '1GB' },
 *   }),
 * }
 */
export function bucket(options: BucketOptions = {}): BucketDef {
  return Object.freeze({
    ...options,
    kind: 'bucket',
    ...(options.types ? { types: Object.freeze([...options.types]) } : {}),
    ...(options.access ? { access: Object.freeze({ ...options.access }) } : {}),
    ...(options.quota ? { quota: Object.freeze({ ...options.quota }) } : {}),
    ...(options.thumbnails ? { thumbnails: Object.freeze([...options.thumbnails]) } : {}),
  })
}
