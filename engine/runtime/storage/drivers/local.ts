import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, open, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { KoyaError } from '../../../shared/errors.ts'
import type { ByteRange, PutInfo, StorageDriver } from '../driver.ts'

/** Keys the storage module makes: `<bucket>/<object id>` (decision 109). Anything else is refused. */
// An object (`<bucket>/<id>`), or a thumbnail cached beside one (thumbnails.ts: `_thumbs/<object key>/w…-h…-<fit>.<format>`).
const OBJECT_KEY = '[a-z][a-z0-9-]{0,62}\\/[A-Za-z0-9_-]{1,64}'
// A deployed function version kept in the bucket (functions/version-bundles.ts: `_functions/<name>/<hash>.js[.map]`).
const FUNCTION_KEY = '_functions\\/[A-Za-z][A-Za-z0-9_-]{0,62}\\/[0-9a-f]{12}\\.js(?:\\.map)?'
const KEY_PATTERN = new RegExp(`^(?:${OBJECT_KEY}|_thumbs\\/${OBJECT_KEY}\\/w\\d{1,5}-h\\d{1,5}-(?:cover|contain|inside)\\.(?:webp|avif|jpeg|png)|${FUNCTION_KEY})$`)
const IS_OBJECT_KEY = new RegExp(`^${OBJECT_KEY}$`)

/** Temp files live beside the objects, so the rename is on one file system (atomic). */
const TEMP_DIR = '.tmp'
/**
 * Stream buffer sizes. Writes: socket chunks are ≤ 64 KiB, so the default 16 KiB made every
 * chunk pause the request until its write drained; with 256 KiB, chunks that arrive during a
 * write go out together in one writev. Reads: 128 KiB per read, half the reads of the default.
 * Larger (1 MiB writes) saved a little more CPU but took the 200 MB round trip's RSS growth from
 * ~43 to ~50 MB (storage-memory.test.ts bounds it at 50; decision 196).
 */
const WRITE_BUFFER = 256 * 1024
const READ_BUFFER = 128 * 1024

/**
 * The local-disk driver: the embedded default. Each object is one file, `<root>/<bucket>/<id>`.
 * A put writes a temp file under `<root>/.tmp`, fsyncs it, renames it into place and fsyncs the
 * directory, so a crash (kill -9, power loss) leaves either the whole object or none under its
 * key; stale temp files are removed when the driver starts.
 *
 * @example
 * const driver = await createLocalDriver('data/storage')
 * await driver.put('attachments/0193…', fileStream, { contentType: 'image/png' })
 */
export async function createLocalDriver(root: string): Promise<StorageDriver> {
  const absolute = path.resolve(root)
  const temp = path.join(absolute, TEMP_DIR)
  // Temp files of a process that died mid-upload: never visible as objects, removed here.
  await rm(temp, { recursive: true, force: true })
  await mkdir(temp, { recursive: true })
  // Bucket directories known to exist: one mkdir per bucket and process, not per upload.
  const made = new Set<string>()
  const fileOf = (key: string): string => {
    if (!KEY_PATTERN.test(key)) throw new KoyaError('KL_INT_UNEXPECTED', `Storage key "${key.slice(0, 100)}" is not a key the storage module makes.`)
    return path.join(absolute, key)
  }
  return {
    kind: 'local',
    async put(key: string, body: Readable, _info: PutInfo): Promise<void> {
      const target = fileOf(key)
      const tempFile = path.join(temp, `${randomBytes(12).toString('hex')}.part`)
      try {
        await pipeline(body, createWriteStream(tempFile, { flags: 'wx', highWaterMark: WRITE_BUFFER }))
        const handle = await open(tempFile, 'r+')
        try {
          await handle.sync()
        } finally {
          await handle.close()
        }
        const dir = path.dirname(target)
        if (!made.has(dir)) {
          await mkdir(dir, { recursive: true })
          made.add(dir)
        }
        await rename(tempFile, target).catch(async (error: unknown) => {
          // The directory was removed behind the driver's back: make it again.
          if ((error as { code?: string }).code !== 'ENOENT') throw error
          await mkdir(dir, { recursive: true })
          await rename(tempFile, target)
        })
        await syncDirectory(path.dirname(target))
      } catch (error) {
        await rm(tempFile, { force: true })
        throw error
      }
    },
    async get(key: string, range?: ByteRange): Promise<Readable | undefined> {
      // Opened, not stat'ed then opened: one file system call fewer per download, and no window
      // between the check and the open.
      let handle
      try {
        handle = await open(fileOf(key), 'r')
      } catch {
        return undefined
      }
      return handle.createReadStream({ highWaterMark: READ_BUFFER, ...(range === undefined ? {} : { start: range.start, end: range.end }) })
    },
    async head(key: string) {
      try {
        return { size: (await stat(fileOf(key))).size }
      } catch {
        return undefined
      }
    },
    async delete(key: string) {
      await rm(fileOf(key), { force: true })
      // An object's cached thumbnails go with it.
      if (IS_OBJECT_KEY.test(key)) await rm(path.join(absolute, '_thumbs', key), { recursive: true, force: true })
    },
    async close() {},
  }
}

/** fsync a directory so a rename in it survives a power loss (a no-op where the OS refuses it). */
async function syncDirectory(dir: string): Promise<void> {
  let handle
  try {
    handle = await open(dir, 'r')
    await handle.sync()
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  } finally {
    await handle?.close()
  }
}
