import { Readable } from 'node:stream'
import sharp from 'sharp'
import { KoyaError } from '../../shared/errors.ts'
import type { StorageDriver } from './driver.ts'
import { normalizeThumbnailOptions, type NormalizedThumbnailOptions, type ThumbnailFormat, type ThumbnailLimits, type ThumbnailOptions } from './thumbnail-query.ts'

/** A made (or cached) thumbnail. */
export interface Thumbnail {
  readonly body: Buffer
  readonly contentType: string
  readonly width: number
  readonly height: number
}

const CONTENT_TYPES: Readonly<Record<ThumbnailFormat, string>> = { webp: 'image/webp', avif: 'image/avif', jpeg: 'image/jpeg', png: 'image/png' }
/** Raster formats sharp may decode for a thumbnail; SVG and PDF (renderers of their own) are not among them. */
const INPUT_FORMATS = new Set(['jpeg', 'png', 'webp', 'avif', 'gif', 'tiff', 'heif'])
/** avif encodes slowly at higher efforts; 4 keeps a 2048 px thumbnail near a second on one core. */
const ENCODER: { readonly [F in ThumbnailFormat]: (image: Sharp) => Sharp } = {
  webp: (image) => image.webp({ quality: 80 }),
  avif: (image) => image.avif({ quality: 50, effort: 4 }),
  jpeg: (image) => image.jpeg({ quality: 80, mozjpeg: true }),
  png: (image) => image.png({ compressionLevel: 9 }),
}
type Sharp = ReturnType<typeof sharp>

/**
 * Resize an image (a stored object's bytes) to a thumbnail. The input is read up to
 * `limits.maxInputBytes`, decoded only when it is a raster image of at most
 * `limits.maxInputPixels`, turned upright by its EXIF orientation, never enlarged, and stripped
 * of metadata.
 *
 * @example
 * const small = await thumbnail(await driver.get(key), { width: 200, height: 200, format: 'webp' }, DEFAULT_THUMBNAIL_LIMITS)
 * reply.type(small.contentType).send(small.body)
 * @throws KoyaError KL_STORAGE_THUMBNAIL_NOT_IMAGE (not a decodable raster image),
 *   KL_STORAGE_THUMBNAIL_TOO_LARGE (over the byte or pixel limit), KL_STORAGE_THUMBNAIL_INVALID.
 */
export async function thumbnail(input: Readable | Buffer, options: ThumbnailOptions, limits: ThumbnailLimits): Promise<Thumbnail> {
  const wanted = normalizeThumbnailOptions(options, limits)
  const bytes = Buffer.isBuffer(input) ? input : await readBounded(input, limits.maxInputBytes)
  if (bytes.length > limits.maxInputBytes) throw tooLarge(`${bytes.length} bytes`, `${limits.maxInputBytes} bytes`)
  try {
    const image = sharp(bytes, { limitInputPixels: limits.maxInputPixels, failOn: 'error', sequentialRead: true })
    const info = await image.metadata()
    if (!info.format || !INPUT_FORMATS.has(info.format)) throw notImage(info.format)
    const pixels = (info.width ?? 0) * (info.height ?? 0) * (info.pages ?? 1)
    if (pixels > limits.maxInputPixels) throw tooLarge(`${info.width}x${info.height} pixels`, `${limits.maxInputPixels} pixels`)
    const resized = image.rotate().resize({ width: wanted.width || undefined, height: wanted.height || undefined, fit: wanted.fit, withoutEnlargement: true })
    const { data, info: out } = await ENCODER[wanted.format](resized).toBuffer({ resolveWithObject: true })
    return { body: data, contentType: CONTENT_TYPES[wanted.format], width: out.width, height: out.height }
  } catch (error) {
    if (error instanceof KoyaError) throw error
    const message = (error as Error).message ?? ''
    if (/pixel limit/i.test(message)) throw tooLarge('the image', `${limits.maxInputPixels} pixels`, error)
    throw notImage(undefined, error)
  }
}

/**
 * Thumbnails kept through a StorageDriver, beside the objects, under `_thumbs/<object key>/`:
 * one per object and normalized options (`w200-h0-inside.webp`). An object's bytes never
 * change under its key (a new upload is a new object id), so the key is the content's address
 * and a cached thumbnail never goes stale. Concurrent requests for one missing thumbnail make it
 * once.
 *
 * @example
 * const thumbs = createThumbnailCache(driver, DEFAULT_THUMBNAIL_LIMITS)
 * const hit = await thumbs.get('attachments/0192…', options, () => driver.get('attachments/0192…'))
 */
export interface ThumbnailCache {
  /** The thumbnail of `objectKey`, from the cache or made from `original()` and stored; undefined when the original is gone. */
  get(objectKey: string, options: ThumbnailOptions, original: () => Promise<Readable | undefined>): Promise<CachedThumbnail | undefined>
  /** Remove the cached thumbnails of `objectKey` for these options (e.g. the bucket's allowed sizes) when the object is deleted. */
  forget(objectKey: string, variants: readonly ThumbnailOptions[]): Promise<void>
}

export interface CachedThumbnail {
  readonly body: Readable
  readonly contentType: string
  /** True when it came from the cache. */
  readonly cached: boolean
}

export const THUMBNAIL_PREFIX = '_thumbs/'

export function createThumbnailCache(driver: StorageDriver, limits: ThumbnailLimits): ThumbnailCache {
  const making = new Map<string, Promise<Thumbnail | undefined>>()
  return {
    async get(objectKey, options, original) {
      const wanted = normalizeThumbnailOptions(options, limits)
      const key = thumbnailKey(objectKey, wanted)
      const stored = await driver.get(key)
      if (stored) return { body: stored, contentType: CONTENT_TYPES[wanted.format], cached: true }
      let pending = making.get(key)
      if (!pending) {
        pending = (async () => {
          const source = await original()
          if (!source) return undefined
          const made = await thumbnail(source, wanted, limits)
          await driver.put(key, Readable.from([made.body]), { contentType: made.contentType, size: made.body.length })
          return made
        })().finally(() => making.delete(key))
        making.set(key, pending)
      }
      const made = await pending
      return made && { body: Readable.from([made.body]), contentType: made.contentType, cached: false }
    },
    async forget(objectKey, variants) {
      await Promise.all(variants.map((options) => driver.delete(thumbnailKey(objectKey, normalizeThumbnailOptions(options, limits)))))
    },
  }
}

/** Where the thumbnail of `objectKey` with these (normalized) options is cached. */
export function thumbnailKey(objectKey: string, options: NormalizedThumbnailOptions): string {
  return `${THUMBNAIL_PREFIX}${objectKey}/w${options.width}-h${options.height}-${options.fit}.${options.format}`
}

async function readBounded(input: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let total = 0
  for await (const chunk of input) {
    total += (chunk as Buffer).length
    if (total > max) {
      input.destroy()
      throw tooLarge(`more than ${max} bytes`, `${max} bytes`)
    }
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

function tooLarge(what: string, limit: string, cause?: unknown): KoyaError {
  return new KoyaError('KL_STORAGE_THUMBNAIL_TOO_LARGE', `The image is too large to make a thumbnail of (${what}; the limit is ${limit}).`, { cause })
}

function notImage(format: string | undefined, cause?: unknown): KoyaError {
  return new KoyaError('KL_STORAGE_THUMBNAIL_NOT_IMAGE', `The object is not an image a thumbnail can be made of${format ? ` (${format})` : ''}.`, { cause })
}
