import { Readable } from 'node:stream'
import { KoyaError } from '../../shared/errors.ts'
import type { StorageDriver } from '../storage/driver.ts'
import { versionHash, type FunctionStore, type FunctionVersionView } from './function-store.ts'

/**
 * Where deployed versions keep their bundle and source map (docs/functions.md): in the database
 * (the default), or, with `KOYA_FUNCTIONS_VERSIONS=storage`, in the storage bucket: the same
 * driver as the app's files (`KOYA_STORAGE_DRIVER`: the local disk or S3), under
 * `_functions/<name>/<hash>.js` and `.js.map`. The database keeps the metadata either way (number,
 * hash, size, who deployed it and when, the active pointer), so list, rollback and the switch work
 * alike; a server reads a bucket-stored version's bytes when it first runs it (cold start,
 * rollback). Objects are written before the row: a failed upload leaves no version, and a crash in
 * between leaves only bytes a redeploy of the same code writes again under the same key.
 */
export type VersionsStorage = 'database' | 'storage'

/** `KOYA_FUNCTIONS_VERSIONS`: `database` (the default) or `storage`. */
export function versionsStorageOf(env: Readonly<Record<string, string | undefined>>): VersionsStorage {
  const value = env.KOYA_FUNCTIONS_VERSIONS
  if (value === undefined || value === '' || value === 'database') return 'database'
  if (value === 'storage') return 'storage'
  throw new KoyaError('KL_API_FUNCTION_UNAVAILABLE', `KOYA_FUNCTIONS_VERSIONS is "${value}", which is not where versions can be kept.`, { hint: 'Set it to "database" (the default) or "storage" (the storage bucket, KOYA_STORAGE_DRIVER).' })
}

/** The storage keys of one version's bundle and source map. */
export function bundleKeys(fn: string, hash: string): { readonly code: string; readonly map: string } {
  const base = `_functions/${fn}/${hash}.js`
  return { code: base, map: `${base}.map` }
}

/**
 * Deploy a bundle: into the bucket first when `driver` is given (and the version is new), then its
 * row, made active. What `koyalite functions deploy` and `POST /admin/functions/:name/versions` run.
 */
export async function deployVersion(store: FunctionStore, driver: StorageDriver | undefined, fn: string, code: string, sourceMap: string | null, by: string): Promise<{ version: FunctionVersionView; created: boolean }> {
  if (driver === undefined) return store.deploy(fn, code, sourceMap, by)
  const hash = versionHash(code)
  if (!store.hasVersion(fn, hash)) {
    const keys = bundleKeys(fn, hash)
    await put(driver, keys.code, code, 'text/javascript')
    if (sourceMap !== null) await put(driver, keys.map, sourceMap, 'application/json')
  }
  return store.deploy(fn, code, sourceMap, by, 'storage')
}

/** A bucket-stored version's bundle and map. */
export async function readBundle(driver: StorageDriver, fn: string, hash: string): Promise<{ code: string; sourceMap: string | null }> {
  const keys = bundleKeys(fn, hash)
  const code = await text(driver, keys.code)
  if (code === undefined) {
    throw new KoyaError('KL_API_FUNCTION_UNAVAILABLE', `Version ${hash} of function "${fn}" is not in the storage bucket (${keys.code}).`, { hint: `Check KOYA_STORAGE_DRIVER and its settings, or deploy again: \`koyalite functions deploy ${fn}\`.` })
  }
  return { code, sourceMap: (await text(driver, keys.map)) ?? null }
}

async function put(driver: StorageDriver, key: string, contents: string, contentType: string): Promise<void> {
  const bytes = Buffer.from(contents)
  await driver.put(key, Readable.from([bytes]), { contentType, size: bytes.length })
}

async function text(driver: StorageDriver, key: string): Promise<string | undefined> {
  const stream = await driver.get(key)
  if (stream === undefined) return undefined
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string))
  return Buffer.concat(chunks).toString('utf8')
}
