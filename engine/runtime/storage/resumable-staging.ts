import { createHash, randomBytes, type Hash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, open, readdir, readFile, rename, rm, stat, truncate, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Transform, type Readable, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { KoyaError } from '../../shared/errors.ts'

/** What is known of a resumable upload from its creation on (kept as `<id>.json`). */
export interface StagedUpload {
  readonly id: string
  readonly bucket: string
  /** Who may continue it: `user:<id>`, `system` (the service key) or `anonymous` (the URL alone). */
  readonly owner: string
  /** Upload-Length: the whole upload's size in bytes; absent while deferred (`Upload-Defer-Length: 1`) until a PATCH declares it. */
  readonly length?: number
  readonly name?: string
  readonly declaredType?: string
  /** The Upload-Metadata header as the client sent it, answered back on HEAD. */
  readonly metadata?: string
  /** Unix milliseconds after which the upload is gone. */
  readonly expiresAt: number
  /** The driver key the finished upload is stored under (fixed at creation, so a retried finish cannot store it twice). */
  readonly key: string
}

const ID = /^[A-Za-z0-9_-]{32}$/

/** The tus checksum extension's algorithms (`Upload-Checksum: <algorithm> <base64 digest>`). */
export const CHECKSUM_ALGORITHMS = ['md5', 'sha1', 'sha256'] as const
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number]

/** What one PATCH may carry besides its bytes. */
export interface AppendOptions {
  /** The most bytes the upload may reach (its Upload-Length, or the bucket's maxSize while deferred). */
  readonly maxLength: number
  /** The digest the PATCH's bytes must have; on a mismatch (or a cut body) none of them are kept. */
  readonly checksum?: { readonly algorithm: ChecksumAlgorithm; readonly digest: Buffer }
}

/**
 * Where resumable (TUS) uploads wait until their last byte: a directory on the server's local
 * disk (`<storage dir>/.resumable`, also with the S3 driver), one `<id>.json` (the StagedUpload)
 * and one `<id>.part` (the bytes received so far, appended in order) per upload. The offset of an
 * upload is the size of its part file, so after a crash (kill -9) it is exactly what was written.
 * Appends to one upload run one at a time; a HEAD waits for a running append (a client that
 * resumes after a cut connection must not see an offset that is still moving).
 *
 * @example
 * const staging = await createResumableStaging('data/storage/.resumable')
 * const upload = await staging.create({ bucket: 'attachments', owner: 'user:0193…', length: 5_000_000, expiresAt: Date.now() + 86_400_000, key: 'attachments/…' })
 */
export async function createResumableStaging(dir: string) {
  await mkdir(dir, { recursive: true })
  const running = new Map<string, Promise<unknown>>()
  const fileOf = (id: string, ext: 'json' | 'part') => {
    if (!ID.test(id)) throw new KoyaError('KL_STORAGE_UPLOAD_NOT_FOUND', 'No such resumable upload.')
    return path.join(dir, `${id}.${ext}`)
  }
  /** Run `task` after whatever runs on `id`; the next one waits for it in turn. */
  const serial = <T>(id: string, task: () => Promise<T>): Promise<T> => {
    const before = running.get(id) ?? Promise.resolve()
    const result = before.then(task, task)
    const settled = result.then(
      () => undefined,
      () => undefined,
    )
    running.set(id, settled)
    void settled.then(() => {
      if (running.get(id) === settled) running.delete(id)
    })
    return result
  }
  const read = async (id: string): Promise<{ upload: StagedUpload; offset: number } | undefined> => {
    const json = fileOf(id, 'json')
    let text: string
    try {
      text = await readFile(json, 'utf8')
    } catch {
      return undefined
    }
    const upload = JSON.parse(text) as StagedUpload
    let offset = upload.length ?? 0
    try {
      offset = (await stat(fileOf(id, 'part'))).size
    } catch {
      // No part file: the upload was finished and its bytes handed to the driver.
    }
    return { upload, offset }
  }
  const remove = async (id: string) => {
    await rm(fileOf(id, 'part'), { force: true })
    await rm(fileOf(id, 'json'), { force: true })
  }
  return {
    /** Start an upload: an empty part file, and its description written whole (temp file, rename). */
    async create(fields: Omit<StagedUpload, 'id'>): Promise<StagedUpload> {
      const upload: StagedUpload = { id: randomBytes(24).toString('base64url'), ...fields }
      await writeFile(fileOf(upload.id, 'part'), '', { flag: 'wx' })
      const temp = `${fileOf(upload.id, 'json')}.tmp`
      await writeFile(temp, JSON.stringify(upload))
      await rename(temp, fileOf(upload.id, 'json'))
      return upload
    },

    /** The upload and its offset, once no append to it is running; undefined when there is none. */
    get(id: string): Promise<{ upload: StagedUpload; offset: number } | undefined> {
      return serial(id, () => read(id))
    },

    /**
     * Append `source` at `offset`, which must be the upload's offset, up to `maxLength`: the bytes
     * that arrive before `source` ends, errors or is cut off are kept (fsynced) and count. With a
     * `checksum`, the PATCH is all or nothing: bytes whose digest differs, or that were cut off
     * (they cannot be verified), are cut from the part file again and the error is
     * KL_STORAGE_CHECKSUM_MISMATCH. Resolves with the new offset and whether the source was read
     * to its end.
     *
     * @throws KoyaError KL_STORAGE_UPLOAD_NOT_FOUND, KL_STORAGE_UPLOAD_OFFSET_MISMATCH (409), KL_STORAGE_TOO_LARGE past Upload-Length.
     */
    append(id: string, offset: number, source: Readable, options: AppendOptions): Promise<{ offset: number; complete: boolean; error?: unknown }> {
      return serial(id, async () => {
        const found = await read(id)
        if (found === undefined) throw new KoyaError('KL_STORAGE_UPLOAD_NOT_FOUND', 'No such resumable upload.')
        if (found.offset !== offset) {
          source.resume()
          throw new KoyaError('KL_STORAGE_UPLOAD_OFFSET_MISMATCH', `The upload is at offset ${found.offset}, not ${offset}.`, { hint: 'Ask for the offset with HEAD and continue from there.' })
        }
        const part = fileOf(id, 'part')
        let failure: unknown
        const hash = options.checksum === undefined ? undefined : createHash(options.checksum.algorithm)
        try {
          // 1 MiB writes: the default 16 KiB highWaterMark made a write (and a syscall) per socket chunk.
          const sink = createWriteStream(part, { flags: 'a', highWaterMark: 1 << 20 })
          await (hash === undefined ? pipeline(source, new ByteLimit(options.maxLength - offset), sink) : pipeline(source, new ByteLimit(options.maxLength - offset), new Digest(hash), sink))
        } catch (error) {
          failure = error
        }
        if (hash !== undefined && options.checksum !== undefined && (failure !== undefined || !hash.digest().equals(options.checksum.digest))) {
          await truncate(part, offset)
          failure =
            failure ??
            new KoyaError('KL_STORAGE_CHECKSUM_MISMATCH', `The PATCH's bytes do not have the ${options.checksum.algorithm} digest its Upload-Checksum names; none of them were kept.`, {
              hint: 'Send the same bytes again from the same Upload-Offset.',
            })
        }
        const handle = await open(part, 'r+')
        try {
          await handle.sync()
        } finally {
          await handle.close()
        }
        const now = (await stat(part)).size
        return { offset: now, complete: failure === undefined, ...(failure === undefined ? {} : { error: failure }) }
      })
    },

    /** Fix the length of a deferred upload (`Upload-Defer-Length`), written whole (temp file, rename). */
    setLength(id: string, length: number): Promise<StagedUpload> {
      return serial(id, async () => {
        const found = await read(id)
        if (found === undefined) throw new KoyaError('KL_STORAGE_UPLOAD_NOT_FOUND', 'No such resumable upload.')
        const upload: StagedUpload = { ...found.upload, length }
        const temp = `${fileOf(id, 'json')}.tmp`
        await writeFile(temp, JSON.stringify(upload))
        await rename(temp, fileOf(id, 'json'))
        return upload
      })
    },

    /** The part file of a complete upload, to be streamed into the driver. */
    partFile(id: string): string {
      return fileOf(id, 'part')
    },

    /** Run `task` while nothing else runs on upload `id` (finishing an upload). */
    exclusive<T>(id: string, task: () => Promise<T>): Promise<T> {
      return serial(id, task)
    },

    /** Whether the upload still has its bytes (a finished upload's went to the driver). */
    async hasBytes(id: string): Promise<boolean> {
      return stat(fileOf(id, 'part')).then(
        () => true,
        () => false,
      )
    },

    /** Remove an upload from inside `exclusive` (which `remove` would wait for). */
    removeNow(id: string): Promise<void> {
      return remove(id)
    },

    /** Drop the bytes of a finished upload (stored by the driver); its description stays until it expires. */
    dropBytes(id: string): Promise<void> {
      return rm(fileOf(id, 'part'), { force: true })
    },

    /** Remove an upload (termination, expiry, a finished upload refused). */
    remove(id: string): Promise<void> {
      return serial(id, () => remove(id))
    },

    /** Remove every upload expired at `now` (ms), and stray files; answers how many uploads went. */
    async sweep(now: number): Promise<number> {
      let removed = 0
      for (const entry of await readdir(dir)) {
        const id = entry.split('.')[0] ?? ''
        if (!ID.test(id)) continue
        if (entry.endsWith('.json.tmp')) {
          await rm(path.join(dir, entry), { force: true })
          continue
        }
        if (!entry.endsWith('.json')) continue
        const found = await read(id).catch(() => undefined)
        if (found === undefined || found.upload.expiresAt <= now) {
          await serial(id, () => remove(id))
          removed++
        }
      }
      return removed
    },
  }
}

export type ResumableStaging = Awaited<ReturnType<typeof createResumableStaging>>

/** Passes at most `limit` bytes; one more is KL_STORAGE_TOO_LARGE (the bytes within the limit pass first). */
class ByteLimit extends Transform {
  #left: number
  constructor(limit: number) {
    super()
    this.#left = limit
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (chunk.length <= this.#left) {
      this.#left -= chunk.length
      callback(null, chunk)
      return
    }
    const fits = chunk.subarray(0, this.#left)
    this.#left = 0
    if (fits.length > 0) this.push(fits)
    callback(new KoyaError('KL_STORAGE_TOO_LARGE', 'The PATCH sends more bytes than the upload\'s Upload-Length; the bytes past it were refused.'))
  }
}

/** Passes every chunk on unchanged, hashing it. */
class Digest extends Transform {
  readonly #hash: Hash
  constructor(hash: Hash) {
    super()
    this.#hash = hash
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk)
    callback(null, chunk)
  }
}
