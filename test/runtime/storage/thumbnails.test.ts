import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { DEFAULT_THUMBNAIL_LIMITS, parseThumbnailQuery, type ThumbnailLimits } from '../../../engine/runtime/storage/thumbnail-query.ts'
import { thumbnail } from '../../../engine/runtime/storage/thumbnails.ts'
import { KoyaError } from '../../../engine/shared/errors.ts'

const photo = (width: number, height: number, format: 'png' | 'jpeg' = 'jpeg') =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 80, b: 20 } } }).toFormat(format).toBuffer()

const codeOf = async (promise: Promise<unknown>) => {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  expect(error).toBeInstanceOf(KoyaError)
  return (error as KoyaError).code
}

describe('thumbnail(): real images through sharp', () => {
  it('resizes to a width, keeping the aspect ratio, as webp by default', async () => {
    const small = await thumbnail(await photo(1200, 800), { width: 300 }, DEFAULT_THUMBNAIL_LIMITS)
    expect(small).toMatchObject({ contentType: 'image/webp', width: 300, height: 200 })
    expect(await sharp(small.body).metadata()).toMatchObject({ format: 'webp', width: 300, height: 200 })
  })

  it('fits both sides by cover (cropped), contain (letterboxed) and inside (within)', async () => {
    const input = await photo(1200, 800)
    expect(await thumbnail(input, { width: 100, height: 100 }, DEFAULT_THUMBNAIL_LIMITS)).toMatchObject({ width: 100, height: 100 })
    expect(await thumbnail(input, { width: 100, height: 100, fit: 'contain' }, DEFAULT_THUMBNAIL_LIMITS)).toMatchObject({ width: 100, height: 100 })
    expect(await thumbnail(input, { width: 100, height: 100, fit: 'inside' }, DEFAULT_THUMBNAIL_LIMITS)).toMatchObject({ width: 100, height: 67 })
  })

  it('encodes avif, jpeg and png, each readable as what its content type says', async () => {
    const input = await photo(400, 300, 'png')
    for (const [format, contentType, sharpName] of [['avif', 'image/avif', 'heif'], ['jpeg', 'image/jpeg', 'jpeg'], ['png', 'image/png', 'png']] as const) {
      const made = await thumbnail(input, { width: 64, format }, DEFAULT_THUMBNAIL_LIMITS)
      expect(made.contentType).toBe(contentType)
      expect((await sharp(made.body).metadata()).format).toBe(sharpName)
    }
  })

  it('never enlarges a small image', async () => {
    expect(await thumbnail(await photo(120, 80), { width: 1000 }, DEFAULT_THUMBNAIL_LIMITS)).toMatchObject({ width: 120, height: 80 })
  })

  it('turns a photo upright by its EXIF orientation and drops the metadata', async () => {
    const sideways = await sharp(await photo(300, 100)).withMetadata({ orientation: 6 }).jpeg().toBuffer()
    const made = await thumbnail(sideways, { width: 50, format: 'jpeg' }, DEFAULT_THUMBNAIL_LIMITS)
    expect(made).toMatchObject({ width: 50, height: 150 })
    expect((await sharp(made.body).metadata()).orientation).toBeUndefined()
  })

  it('reads a stream as well as a buffer', async () => {
    const made = await thumbnail(Readable.from([await photo(600, 600, 'png')]), { width: 60, height: 60 }, DEFAULT_THUMBNAIL_LIMITS)
    expect(made).toMatchObject({ width: 60, height: 60 })
  })

  it('refuses bytes that are not a raster image, SVG included', async () => {
    expect(await codeOf(thumbnail(randomBytes(5000), { width: 10 }, DEFAULT_THUMBNAIL_LIMITS))).toBe('KL_STORAGE_THUMBNAIL_NOT_IMAGE')
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><rect width="100" height="100"/></svg>')
    expect(await codeOf(thumbnail(svg, { width: 10 }, DEFAULT_THUMBNAIL_LIMITS))).toBe('KL_STORAGE_THUMBNAIL_NOT_IMAGE')
    const truncated = (await photo(400, 400)).subarray(0, 300)
    expect(await codeOf(thumbnail(truncated, { width: 10 }, DEFAULT_THUMBNAIL_LIMITS))).toBe('KL_STORAGE_THUMBNAIL_NOT_IMAGE')
  })

  it('refuses an image of more pixels than the limit before decoding it (a small file of many pixels)', async () => {
    const bomb = await sharp({ create: { width: 3000, height: 3000, channels: 3, background: '#000000' } }).png({ compressionLevel: 9 }).toBuffer()
    expect(bomb.length).toBeLessThan(100_000)
    const limits: ThumbnailLimits = { ...DEFAULT_THUMBNAIL_LIMITS, maxInputPixels: 1_000_000 }
    expect(await codeOf(thumbnail(bomb, { width: 10 }, limits))).toBe('KL_STORAGE_THUMBNAIL_TOO_LARGE')
  })

  it('stops reading a stream past the byte limit', async () => {
    const limits: ThumbnailLimits = { ...DEFAULT_THUMBNAIL_LIMITS, maxInputBytes: 10_000 }
    let read = 0
    const endless = new Readable({ read() { read += 4096; this.push(randomBytes(4096)) } })
    expect(await codeOf(thumbnail(endless, { width: 10 }, limits))).toBe('KL_STORAGE_THUMBNAIL_TOO_LARGE')
    expect(read).toBeLessThan(100_000)
  })
})

describe('parseThumbnailQuery(): the ?width=&height=&fit=&format= of a download', () => {
  const limits = DEFAULT_THUMBNAIL_LIMITS
  it.each([
    [{}, undefined],
    [{ download: '1' }, undefined],
    [{ width: '200' }, { width: 200, height: 0, fit: 'inside', format: 'webp' }],
    [{ height: '90', format: 'avif' }, { width: 0, height: 90, fit: 'inside', format: 'avif' }],
    [{ width: '64', height: '64' }, { width: 64, height: 64, fit: 'cover', format: 'webp' }],
    [{ width: '64', height: '48', fit: 'contain', format: 'png' }, { width: 64, height: 48, fit: 'contain', format: 'png' }],
    [{ width: '2048', height: '2048' }, { width: 2048, height: 2048, fit: 'cover', format: 'webp' }],
  ])('%j gives %j', (query, expected) => {
    expect(parseThumbnailQuery(query, limits)).toEqual(expected)
  })

  it.each([
    [{ width: '0' }],
    [{ width: '-5' }],
    [{ width: '2049' }],
    [{ width: '1e3' }],
    [{ width: '12px' }],
    [{ width: '0x10' }],
    [{ width: ['10', '20'] }],
    [{ fit: 'fill', width: '10' }],
    [{ format: 'gif', width: '10' }],
    [{ format: 'webp' }],
    [{ width: '10\u0000' }],
  ])('refuses %j with KL_STORAGE_THUMBNAIL_INVALID', (query) => {
    expect(() => parseThumbnailQuery(query, limits)).toThrow(expect.objectContaining({ code: 'KL_STORAGE_THUMBNAIL_INVALID' }))
  })

  it('admits only the sizes a bucket lists, when it lists them', () => {
    const listed: ThumbnailLimits = { ...limits, sizes: ['200x200', '800x0'] }
    expect(parseThumbnailQuery({ width: '800' }, listed)).toMatchObject({ width: 800, height: 0 })
    expect(parseThumbnailQuery({ width: '200', height: '200', format: 'avif' }, listed)).toMatchObject({ width: 200, height: 200 })
    expect(() => parseThumbnailQuery({ width: '799' }, listed)).toThrow(expect.objectContaining({ code: 'KL_STORAGE_THUMBNAIL_SIZE_NOT_ALLOWED' }))
  })
})
