/**
 * The columns every view of a stored object shares (a row of `_koya_objects`): what a bucket's
 * access rules see (dsl `StorageObject`) and what the storage module reads (runtime `ObjectRow`).
 */
export interface StoredObjectFields {
  readonly id: string
  readonly bucket: string
  readonly name: string
  readonly size: number
  readonly contentType: string
  /** The user who uploaded it; null when the service key did. */
  readonly ownerId: string | null
  readonly createdAt: string
}
