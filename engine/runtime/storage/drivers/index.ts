import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { KoyaError } from '../../../shared/errors.ts'
import type { StorageDriver } from '../driver.ts'
import { createLocalDriver } from './local.ts'
import type { S3Settings } from './s3.ts'

/** The S3 driver's settings, read from `KOYA_S3_*`. */
export type S3DriverSettings = S3Settings

export type StorageDriverKind = 'local' | 's3'

/**
 * Which driver the environment asks for: `KOYA_STORAGE_DRIVER=local` (the default) or `s3`, and
 * for `s3` its settings from `KOYA_S3_ENDPOINT`, `KOYA_S3_REGION` (default `us-east-1`),
 * `KOYA_S3_BUCKET`, `KOYA_S3_ACCESS_KEY_ID`, `KOYA_S3_SECRET_ACCESS_KEY`,
 * `KOYA_S3_FORCE_PATH_STYLE` (`true`/`false`, default true).
 *
 * @throws KoyaError KL_STORAGE_DRIVER_CONFIG when the kind is unknown or an S3 setting is missing.
 */
export function storageDriverSettings(env: Readonly<Record<string, string | undefined>>): { kind: 'local' } | { kind: 's3'; s3: S3DriverSettings } {
  const kind = env.KOYA_STORAGE_DRIVER ?? 'local'
  if (kind === 'local') return { kind: 'local' }
  if (kind !== 's3') throw new KoyaError('KL_STORAGE_DRIVER_CONFIG', `KOYA_STORAGE_DRIVER is "${kind}", which is not a storage driver.`, { hint: 'Set KOYA_STORAGE_DRIVER to "local" (the default) or "s3".' })
  const required = (name: string): string => {
    const value = env[name]
    if (value === undefined || value === '') throw new KoyaError('KL_STORAGE_DRIVER_CONFIG', `KOYA_STORAGE_DRIVER is "s3" but ${name} is not set.`, { hint: `Set ${name} (docs/storage.md lists the S3 settings).` })
    return value
  }
  const pathStyle = env.KOYA_S3_FORCE_PATH_STYLE ?? 'true'
  if (pathStyle !== 'true' && pathStyle !== 'false') throw new KoyaError('KL_STORAGE_DRIVER_CONFIG', `KOYA_S3_FORCE_PATH_STYLE is "${pathStyle}".`, { hint: 'Set it to "true" or "false".' })
  return {
    kind: 's3',
    s3: {
      endpoint: required('KOYA_S3_ENDPOINT'),
      region: env.KOYA_S3_REGION ?? 'us-east-1',
      bucket: required('KOYA_S3_BUCKET'),
      accessKeyId: required('KOYA_S3_ACCESS_KEY_ID'),
      secretAccessKey: required('KOYA_S3_SECRET_ACCESS_KEY'),
      forcePathStyle: pathStyle === 'true',
    },
  }
}

/** Multipart uploads older than this, left by a process killed mid-upload, are aborted at start. */
const STALE_UPLOAD_MS = 24 * 3_600_000

/**
 * The driver the environment selects. `root` is the local driver's directory (under the data
 * directory). The S3 driver (and the AWS SDK with it) is loaded only when selected; at start it
 * makes the bucket when missing and aborts multipart uploads a killed process left behind.
 *
 * @example
 * const driver = await createStorageDriver(process.env, 'data/storage', (error) => log.warn({ err: error }))
 */
export async function createStorageDriver(env: Readonly<Record<string, string | undefined>>, root: string, onBackgroundError: (error: unknown) => void = () => {}): Promise<StorageDriver> {
  const settings = storageDriverSettings(env)
  if (settings.kind === 'local') return createLocalDriver(root)
  const { abortStaleS3Uploads, createS3Driver, ensureS3Bucket } = await import('./s3.ts')
  await ensureS3Bucket(settings.s3)
  abortStaleS3Uploads(settings.s3, STALE_UPLOAD_MS).catch(onBackgroundError)
  return createS3Driver(settings.s3)
}

/**
 * Where the local driver keeps bytes when nothing says: `$KOYA_STORAGE_DIR`, else `storage/`
 * beside the database file (the data directory); an in-memory database (tests) gets a temp directory.
 */
export function defaultStorageRoot(databaseFile: string, env: Readonly<Record<string, string | undefined>>): string {
  if (env.KOYA_STORAGE_DIR) return env.KOYA_STORAGE_DIR
  if (databaseFile !== '' && databaseFile !== ':memory:') return path.join(path.dirname(path.resolve(databaseFile)), 'storage')
  return mkdtempSync(path.join(os.tmpdir(), 'koya-storage-'))
}
