import { readdirSync } from 'node:fs'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PDF, bearer, storageApp, type StorageTestApp } from './storage-app.ts'

// Thumbnails on download, through the real route: made by sharp, cached beside the object through
// the driver, under the same access decision as the download itself.
describe('storage thumbnails on download', () => {
  let t: StorageTestApp
  let ada: { id: string; token: string }
  let bob: { id: string; token: string }
  let image: string
  let pdf: string
  beforeAll(async () => {
    // "docs" serves only three thumbnail sizes (as bucket({ thumbnails }) compiles them), the other buckets any.
    t = await storageApp({ extend: (model) => ({ ...model, buckets: model.buckets?.map((b) => (b.name === 'docs' ? { ...b, thumbnails: ['100x0', '32x0', '50x50'] } : b)) }) })
    ada = await t.user('ada@example.com')
    bob = await t.user('bob@example.com')
    const png = await sharp({ create: { width: 400, height: 300, channels: 3, background: { r: 200, g: 40, b: 40 } } }).png().toBuffer()
    const upload = async (body: Buffer) =>
      ((await (await fetch(`${t.url}/storage/docs`, { method: 'POST', headers: { ...bearer(ada.token), 'content-type': 'application/octet-stream' }, body })).json()) as { id: string }).id
    image = await upload(png)
    pdf = await upload(PDF)
  })
  afterAll(() => t?.close())

  const get = (id: string, query: string, token = ada.token, headers: Record<string, string> = {}) => fetch(`${t.url}/storage/docs/${id}${query}`, { headers: { ...bearer(token), ...headers } })
  const thumbsOnDisk = () => readdirSync(t.root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && path.join(e.parentPath, e.name).includes('_thumbs')).length

  it('answers a resized image in the asked format, caches it, and revalidates by its own ETag', async () => {
    const first = await get(image, '?width=100&format=webp')
    expect(first.status).toBe(200)
    expect(first.headers.get('content-type')).toBe('image/webp')
    const bytes = Buffer.from(await first.arrayBuffer())
    expect(await sharp(bytes).metadata()).toMatchObject({ format: 'webp', width: 100, height: 75 })
    expect(thumbsOnDisk()).toBe(1)

    const again = await get(image, '?width=100&format=webp')
    expect(Buffer.from(await again.arrayBuffer()).equals(bytes)).toBe(true)
    expect(thumbsOnDisk()).toBe(1)
    const etag = again.headers.get('etag')!
    expect(etag).not.toBe((await get(image, '')).headers.get('etag'))
    expect((await get(image, '?width=100&format=webp', ada.token, { 'if-none-match': etag })).status).toBe(304)

    const cover = await get(image, '?width=50&height=50&format=png')
    expect(await sharp(Buffer.from(await cover.arrayBuffer())).metadata()).toMatchObject({ format: 'png', width: 50, height: 50 })
  })

  it("deletes an object's cached thumbnails with it", async () => {
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 0, g: 0, b: 255 } } }).png().toBuffer()
    const { id } = (await (await fetch(`${t.url}/storage/docs`, { method: 'POST', headers: { ...bearer(ada.token), 'content-type': 'application/octet-stream' }, body: png })).json()) as { id: string }
    const before = thumbsOnDisk()
    expect((await get(id, '?width=32')).status).toBe(200)
    expect(thumbsOnDisk()).toBe(before + 1)
    expect((await fetch(`${t.url}/storage/docs/${id}`, { method: 'DELETE', headers: bearer(ada.token) })).status).toBeLessThan(300)
    // The bytes go after the commit, in the background: wait for them (bounded).
    for (let i = 0; i < 100 && thumbsOnDisk() !== before; i++) await new Promise((r) => setTimeout(r, 20))
    expect(thumbsOnDisk()).toBe(before)
  })

  it('follows the download decision: a caller who may not read the object gets the same 404', async () => {
    const refused = await get(image, '?width=100', bob.token)
    expect(refused.status).toBe(404)
    expect(((await refused.json()) as { code: string }).code).toBe('KL_STORAGE_NOT_FOUND')
  })

  it('refuses a malformed query with a coded 400 and a thumbnail of a PDF with a coded 415', async () => {
    for (const query of ['?width=0', '?width=99999', '?fit=stretch', '?format=gif', '?width=abc']) {
      const answer = await get(image, query)
      expect(answer.status, query).toBe(400)
      expect(((await answer.json()) as { code: string }).code, query).toBe('KL_STORAGE_THUMBNAIL_INVALID')
    }
    const notImage = await get(pdf, '?width=100')
    expect(notImage.status).toBe(415)
    expect(((await notImage.json()) as { code: string }).code).toBe('KL_STORAGE_THUMBNAIL_NOT_IMAGE')
  })

  it('refuses a size the bucket does not list, with a coded 400', async () => {
    const refused = await get(image, '?width=120')
    expect(refused.status).toBe(400)
    expect(((await refused.json()) as { code: string }).code).toBe('KL_STORAGE_THUMBNAIL_SIZE_NOT_ALLOWED')
    expect((await get(image, '?width=50&height=50')).status).toBe(200)
  })
})
