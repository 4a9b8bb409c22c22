import { createHash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'
import { KoyaError } from '../../shared/errors.ts'

/** How many leading bytes the type is sniffed from (file-type's own reasonable sample). */
const SNIFF_BYTES = 4100

/** Declared text types that are kept when the bytes are text; anything else textual is text/plain. */
const KEPT_TEXT_TYPES = new Set(['text/plain', 'text/csv', 'text/markdown', 'application/json'])

/** What the meter learned once the stream ended. */
export interface MeteredUpload {
  readonly size: number
  readonly sha256: string
  readonly contentType: string
}

/**
 * The upload's bytes on their way to the driver: counts them and stops the stream with
 * KL_STORAGE_TOO_LARGE the moment they pass `maxSize` (never buffered whole), hashes them
 * (SHA-256), and sniffs the content type from the first bytes (file-type), holding only those
 * back until it is known; a type outside `types` stops the stream with KL_STORAGE_TYPE_NOT_ALLOWED
 * before anything past the sample reaches the driver.
 *
 * Bytes file-type does not recognise are `text/plain` when they are UTF-8 text without NUL (or
 * the declared type, if it is one of a few plain text types), else `application/octet-stream`:
 * the declared Content-Type is never trusted for a type a browser would render (HTML, SVG).
 */
export class UploadMeter extends Transform {
  readonly #maxSize: number
  readonly #types: readonly string[]
  readonly #declared: string | undefined
  readonly #hash = createHash('sha256')
  #size = 0
  #head: Buffer[] | undefined = []
  #headLength = 0
  #contentType: string | undefined

  constructor(options: { readonly maxSize: number; readonly types: readonly string[]; readonly declaredType?: string | undefined }) {
    // 64 KiB each side, not 16 KiB: one socket chunk (≤ 64 KiB) no longer pauses the request on its own.
    super({ highWaterMark: 64 * 1024 })
    this.#maxSize = options.maxSize
    this.#types = options.types
    this.#declared = options.declaredType?.split(';')[0]?.trim().toLowerCase()
  }

  /** The measurements; only after the stream finished. */
  result(): MeteredUpload {
    if (this.#contentType === undefined) throw new KoyaError('KL_INT_UNEXPECTED', 'The upload meter was read before its stream ended.')
    return { size: this.#size, sha256: this.#hash.digest('hex'), contentType: this.#contentType }
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#size += chunk.length
    if (this.#size > this.#maxSize) {
      callback(new KoyaError('KL_STORAGE_TOO_LARGE', `The upload is larger than the bucket's limit of ${this.#maxSize} bytes; nothing was stored.`))
      return
    }
    this.#hash.update(chunk)
    if (this.#head === undefined) {
      callback(null, chunk)
      return
    }
    this.#head.push(chunk)
    this.#headLength += chunk.length
    if (this.#headLength < SNIFF_BYTES) {
      callback()
      return
    }
    this.#release(callback)
  }

  override _flush(callback: TransformCallback): void {
    if (this.#head === undefined) callback()
    else this.#release(callback)
  }

  /** Sniff the held bytes, check the type, then pass them on. */
  #release(callback: TransformCallback): void {
    const head = Buffer.concat(this.#head ?? [])
    this.#head = undefined
    sniffContentType(head, this.#declared).then(
      (type) => {
        this.#contentType = type
        if (!typeAllowed(type, this.#types)) {
          callback(new KoyaError('KL_STORAGE_TYPE_NOT_ALLOWED', `The upload's bytes are ${type}, which this bucket does not take (it takes ${this.#types.join(', ')}); nothing was stored.`))
          return
        }
        callback(null, head)
      },
      (error: unknown) => callback(error as Error),
    )
  }
}

/** file-type, loaded with the first upload (its tokenizers are not needed by an app without buckets), then kept. */
let fileType: Promise<typeof import('file-type')> | undefined

/** The content type of `head` (the first bytes of a file), from the bytes. */
export async function sniffContentType(head: Buffer, declared: string | undefined): Promise<string> {
  if (head.length === 0) return 'application/octet-stream'
  fileType ??= import('file-type')
  const { fileTypeFromBuffer } = await fileType
  const found = await fileTypeFromBuffer(head)
  if (found !== undefined) return found.mime
  if (isText(head)) return declared !== undefined && KEPT_TEXT_TYPES.has(declared) ? declared : 'text/plain'
  return 'application/octet-stream'
}

/** Valid UTF-8 without NUL (a multi-byte character cut at the end of the sample is allowed). */
function isText(head: Buffer): boolean {
  if (head.includes(0)) return false
  for (let cut = 0; cut < 4 && cut < head.length; cut++) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, head.length - cut))
      return true
    } catch {
      // Try again without a possibly cut last character.
    }
  }
  return false
}

/** Whether `type` is one of `types` (`image/*` admits every image type); no types admits all. */
export function typeAllowed(type: string, types: readonly string[]): boolean {
  if (types.length === 0) return true
  return types.some((allowed) => allowed === type || (allowed.endsWith('/*') && type.startsWith(allowed.slice(0, -1))))
}
