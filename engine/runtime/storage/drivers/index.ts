import { existsSync, mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { KoyaError } from '../../../shared/errors.ts'
import type { StorageDriver } from '../driver.ts'
import { createLocalDriver } from './local.ts'

/** The S3 driver's settings, read from `KOYA_S3_*` (the S3 driver module exports the same shape). */
export interface S3DriverSettings {
  readonly endpoint: string
  readonly region: string
  readonly bucket: string
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly forcePathStyle: boolean
}

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

/**
 * The driver the environment selects. `root` is the local driver's directory (under the data
 * directory).
 *
 * GAP (issue 13): the S3 driver (`./s3.ts`, `createS3Driver(settings)`) is written on another
 * branch. Until it is merged, `KOYA_STORAGE_DRIVER=s3` stops the server with
 * KL_STORAGE_DRIVER_UNAVAILABLE; once `./s3.ts` exists it is imported here as it is.
 *
 * @example
 * const driver = await createStorageDriver(process.env, 'data/storage')
 */
export async function createStorageDriver(env: Readonly<Record<string, string | undefined>>, root: string): Promise<StorageDriver> {
  const settings = storageDriverSettings(env)
  if (settings.kind === 'local') return createLocalDriver(root)
  const file = new URL('./s3.ts', import.meta.url)
  const built = new URL('./s3.js', import.meta.url)
  const present = [file, built].find((url) => existsSync(fileURLToPath(url)))
  if (present === undefined) {
    throw new KoyaError('KL_STORAGE_DRIVER_UNAVAILABLE', 'KOYA_STORAGE_DRIVER is "s3", but this build has no S3 driver yet.', { hint: 'Use KOYA_STORAGE_DRIVER=local, or a KoyaLite version that includes engine/runtime/storage/drivers/s3.ts.' })
  }
  const module = (await import(present.href)) as { createS3Driver: (settings: S3DriverSettings) => StorageDriver | Promise<StorageDriver> }
  return module.createS3Driver(settings.s3)
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
