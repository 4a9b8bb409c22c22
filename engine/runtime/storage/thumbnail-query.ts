import { KoyaError } from '../../shared/errors.ts'

export type ThumbnailFit = 'cover' | 'contain' | 'inside'
export type ThumbnailFormat = 'webp' | 'avif' | 'jpeg' | 'png'

/** What a download asks of an image: `?width=&height=&fit=&format=`. */
export interface ThumbnailOptions {
  readonly width?: number
  readonly height?: number
  readonly fit?: ThumbnailFit
  readonly format?: ThumbnailFormat
}

/** Options with every default filled in: the form the cache key and the image pipeline use. */
export interface NormalizedThumbnailOptions {
  /** 0: follows from the other side and the image's aspect ratio. */
  readonly width: number
  readonly height: number
  readonly fit: ThumbnailFit
  readonly format: ThumbnailFormat
}

/** Bounds on what thumbnails may cost: sizes asked for and images accepted as input. */
export interface ThumbnailLimits {
  readonly maxWidth: number
  readonly maxHeight: number
  /** Decoding stops for an input with more pixels (a "decompression bomb" of a few KB). */
  readonly maxInputPixels: number
  /** Inputs larger than this many bytes are refused before they are decoded. */
  readonly maxInputBytes: number
  /** The sizes a bucket allows, as `WxH` with 0 for "any" (e.g. `['200x200', '800x0']`); absent: any within the maxima. */
  readonly sizes?: readonly string[]
}

export const DEFAULT_THUMBNAIL_LIMITS: ThumbnailLimits = {
  maxWidth: 2048,
  maxHeight: 2048,
  maxInputPixels: 50_000_000,
  maxInputBytes: 50 * 1024 * 1024,
}

export const THUMBNAIL_FITS: readonly ThumbnailFit[] = ['cover', 'contain', 'inside']
export const THUMBNAIL_FORMATS: readonly ThumbnailFormat[] = ['webp', 'avif', 'jpeg', 'png']
const QUERY_KEYS = ['width', 'height', 'fit', 'format'] as const
const WHOLE = /^[1-9][0-9]{0,4}$/

/**
 * The thumbnail a download's query asks for, or undefined when it asks for none (no `width`,
 * `height`, `fit` or `format`; other parameters are left to the caller). Defaults: `fit=cover`
 * when both sides are given, else `inside`; `format=webp`.
 *
 * @example
 * parseThumbnailQuery({ width: '200', format: 'avif' }, DEFAULT_THUMBNAIL_LIMITS)
 * // → { width: 200, height: 0, fit: 'inside', format: 'avif' }
 * @throws KoyaError KL_STORAGE_THUMBNAIL_INVALID for a malformed or out-of-bounds value,
 *   KL_STORAGE_THUMBNAIL_SIZE_NOT_ALLOWED for a size the bucket does not list.
 */
export function parseThumbnailQuery(query: Readonly<Record<string, unknown>>, limits: ThumbnailLimits): NormalizedThumbnailOptions | undefined {
  if (!QUERY_KEYS.some((name) => query[name] !== undefined)) return undefined
  const text = (name: (typeof QUERY_KEYS)[number]): string | undefined => {
    const value = query[name]
    if (value === undefined) return undefined
    if (typeof value !== 'string') throw invalid(`"${name}" is given more than once or is not text.`)
    return value
  }
  const side = (name: 'width' | 'height', max: number): number | undefined => {
    const value = text(name)
    if (value === undefined) return undefined
    if (!WHOLE.test(value) || Number(value) > max) throw invalid(`"${name}" must be a whole number from 1 to ${max}, not "${value.slice(0, 20)}".`)
    return Number(value)
  }
  const fit = text('fit')
  if (fit !== undefined && !THUMBNAIL_FITS.includes(fit as ThumbnailFit)) throw invalid(`"fit" must be one of ${THUMBNAIL_FITS.join(', ')}, not "${fit.slice(0, 20)}".`)
  const format = text('format')
  if (format !== undefined && !THUMBNAIL_FORMATS.includes(format as ThumbnailFormat)) throw invalid(`"format" must be one of ${THUMBNAIL_FORMATS.join(', ')}, not "${format.slice(0, 20)}".`)
  return normalizeThumbnailOptions({ width: side('width', limits.maxWidth), height: side('height', limits.maxHeight), fit: fit as ThumbnailFit | undefined, format: format as ThumbnailFormat | undefined }, limits)
}

/**
 * Fill in the defaults and check the bounds, for options that come from code rather than a query.
 *
 * @example
 * normalizeThumbnailOptions({ width: 64, height: 64 }, DEFAULT_THUMBNAIL_LIMITS) // → { width: 64, height: 64, fit: 'cover', format: 'webp' }
 */
export function normalizeThumbnailOptions(options: ThumbnailOptions, limits: ThumbnailLimits): NormalizedThumbnailOptions {
  const width = options.width ?? 0
  const height = options.height ?? 0
  for (const [name, value, max] of [['width', width, limits.maxWidth], ['height', height, limits.maxHeight]] as const) {
    if (!Number.isInteger(value) || value < 0 || value > max) throw invalid(`"${name}" must be a whole number from 1 to ${max}, not ${value}.`)
  }
  if (width === 0 && height === 0) throw invalid('A thumbnail needs a "width", a "height" or both.')
  if (limits.sizes && !limits.sizes.includes(`${width}x${height}`)) {
    throw new KoyaError('KL_STORAGE_THUMBNAIL_SIZE_NOT_ALLOWED', `The thumbnail size ${width}x${height} is not one this bucket allows.`, {
      hint: `Ask for one of: ${limits.sizes.join(', ')} (width x height, 0 for "follows the image").`,
    })
  }
  return { width, height, fit: options.fit ?? (width > 0 && height > 0 ? 'cover' : 'inside'), format: options.format ?? 'webp' }
}

function invalid(message: string): KoyaError {
  return new KoyaError('KL_STORAGE_THUMBNAIL_INVALID', `Bad thumbnail query: ${message}`)
}
