import { createReadStream, createWriteStream, statSync } from 'node:fs'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { KoyaError } from '../../shared/errors.ts'
import type { StorageDriver } from '../storage/driver.ts'
import type { BackupManifest } from './snapshot.ts'

/** The object that lists a bucket's backups (the drivers have no listing): `<bucket>/koya-backup-index`. */
const INDEX = 'koya-backup-index'
/** Object ids the storage module makes are [A-Za-z0-9_-]; a backup's is its instant. */
const BACKUP_ID = /^koya-backup-[0-9TZ-]+$/

/** One backup in a bucket, as its index lists it. */
export interface BucketBackup {
  /** The storage key: `<bucket>/koya-backup-<instant>`; `restore --from` takes it. */
  readonly key: string
  readonly createdAt: string
  readonly bytes: number
  readonly sha256: string
  readonly encrypted: boolean
}

/**
 * Write a backup archive to a storage bucket through the storage driver (the local disk or S3),
 * under `<bucket>/koya-backup-<instant>`, and add it to the bucket's index, which retention and
 * `restore --from` read. The archive is the one `koyalite backup` writes (checked, with its
 * manifest); the put is the driver's own (a temp file and a rename locally, a multipart upload on S3).
 *
 * @example
 * const entry = await uploadBackup(driver, 'backups', '/tmp/koya-backup-….tar.gz', manifest)
 */
export async function uploadBackup(driver: StorageDriver, bucket: string, file: string, manifest: BackupManifest): Promise<BucketBackup> {
  const key = `${bucket}/koya-backup-${manifest.createdAt.replace(/[:.]/g, '-')}`
  const bytes = statSync(file).size
  await driver.put(key, createReadStream(file), { contentType: 'application/gzip', size: bytes })
  const entry: BucketBackup = { key, createdAt: manifest.createdAt, bytes, sha256: manifest.sha256, encrypted: manifest.encrypted === true }
  const index = await readIndex(driver, bucket)
  await writeIndex(driver, bucket, [...index.filter((e) => e.key !== key), entry])
  return entry
}

/** The bucket's backups, oldest first. */
export async function listBucketBackups(driver: StorageDriver, bucket: string): Promise<BucketBackup[]> {
  return readIndex(driver, bucket)
}

/**
 * Keep the newest `keep` backups of the bucket's index and delete the rest (their objects, then
 * the index entries). Objects the index does not list are never touched. The deleted keys.
 */
export async function pruneBucketBackups(driver: StorageDriver, bucket: string, keep: number): Promise<string[]> {
  const index = await readIndex(driver, bucket)
  const doomed = index.slice(0, Math.max(0, index.length - keep))
  for (const entry of doomed) await driver.delete(entry.key)
  if (doomed.length > 0) await writeIndex(driver, bucket, index.slice(doomed.length))
  return doomed.map((e) => e.key)
}

/**
 * Download `<bucket>/koya-backup-<instant>` through the driver into `file`, for restore.
 *
 * @throws KoyaError KL_BACKUP_NOT_FOUND, KL_CLI_USAGE (not a backup key)
 */
export async function downloadBackup(driver: StorageDriver, ref: string, file: string): Promise<void> {
  const [bucket, id, ...rest] = ref.split('/')
  if (bucket === undefined || id === undefined || rest.length > 0 || !BACKUP_ID.test(id)) {
    throw new KoyaError('KL_CLI_USAGE', `"${ref.slice(0, 200)}" is not a backup in a bucket.`, { hint: 'Give <bucket>/koya-backup-<instant>, as `koyalite backup --to <bucket>` printed it.' })
  }
  const body = await driver.get(ref)
  if (body === undefined) throw new KoyaError('KL_BACKUP_NOT_FOUND', `There is no backup ${ref} in the storage driver's ${driver.kind === 'local' ? 'local directory' : 'S3 bucket'}.`, { hint: 'List the bucket\'s backups with `koyalite backup --list <bucket>`.' })
  await pipeline(body, createWriteStream(file))
}

async function readIndex(driver: StorageDriver, bucket: string): Promise<BucketBackup[]> {
  const body = await driver.get(`${bucket}/${INDEX}`)
  if (body === undefined) return []
  const parts: Buffer[] = []
  for await (const part of body) parts.push(part as Buffer)
  const entries = JSON.parse(Buffer.concat(parts).toString('utf8')) as BucketBackup[]
  return [...entries].sort((a, b) => a.createdAt.localeCompare(b.createdAt))
}

async function writeIndex(driver: StorageDriver, bucket: string, entries: readonly BucketBackup[]): Promise<void> {
  const text = Buffer.from(`${JSON.stringify([...entries].sort((a, b) => a.createdAt.localeCompare(b.createdAt)), null, 2)}\n`)
  await driver.put(`${bucket}/${INDEX}`, Readable.from([text]), { contentType: 'application/json', size: text.length })
}
