import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { DefaultHttpStack, type HttpRequest, type HttpStack } from 'tus-js-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, storageApp, type StorageTestApp } from './storage-app.ts'
import { tusUpload } from './tus-client.ts'

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')
const digest = (algorithm: string, bytes: Buffer) => createHash(algorithm).update(bytes).digest('base64')
const TUS = { 'tus-resumable': '1.0.0' }

/** tus-js-client's own HTTP stack, with an `Upload-Checksum` (sha1) on every PATCH; `corrupt` PATCHes (by count) get a wrong one. */
function checksummingStack(corrupt: Set<number>): { stack: HttpStack; patches: number } {
  const inner = new DefaultHttpStack({})
  const state = { stack: undefined as unknown as HttpStack, patches: 0 }
  state.stack = {
    createRequest(method: string, url: string): HttpRequest {
      const request = inner.createRequest(method, url)
      if (method !== 'PATCH') return request
      const send = request.send.bind(request)
      request.send = (body?: unknown) => {
        const bytes = Buffer.from(body as Uint8Array)
        state.patches++
        request.setHeader('Upload-Checksum', `sha1 ${digest('sha1', corrupt.has(state.patches) ? Buffer.concat([bytes, Buffer.from('x')]) : bytes)}`)
        return send(body as never)
      }
      return request
    },
    getName: () => 'checksumming',
  }
  return state
}

// The tus extensions past the core: creation-defer-length and checksum (termination and
// expiration are in storage-resumable.test.ts), with raw HTTP and with the real tus-js-client.
describe('tus extensions: creation-defer-length and checksum', () => {
  let server: StorageTestApp
  let ada: { id: string; token: string }
  beforeAll(async () => {
    server = await storageApp()
    ada = await server.user('ada@example.com')
  })
  afterAll(async () => {
    await server?.close()
  })
  const url = (location: string) => `${server.url}${location}`
  const create = (bucket: string, headers: Record<string, string>) => fetch(`${server.url}/storage/${bucket}/resumable`, { method: 'POST', headers: { ...TUS, ...bearer(ada.token), ...headers } })
  const patch = (location: string, offset: number, body: Buffer, headers: Record<string, string> = {}) =>
    fetch(url(location), { method: 'PATCH', headers: { ...TUS, ...bearer(ada.token), 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset), ...headers }, body })
  const head = (location: string) => fetch(url(location), { method: 'HEAD', headers: { ...TUS, ...bearer(ada.token) } })

  it('OPTIONS advertises the extensions and the checksum algorithms', async () => {
    const answer = await fetch(`${server.url}/storage/open/resumable`, { method: 'OPTIONS', headers: TUS })
    expect(answer.status).toBe(204)
    expect(answer.headers.get('tus-extension')?.split(',')).toEqual(['creation', 'creation-defer-length', 'termination', 'expiration', 'checksum'])
    expect(answer.headers.get('tus-checksum-algorithm')?.split(',')).toEqual(['md5', 'sha1', 'sha256'])
  })

  it('a deferred upload takes its length from a later PATCH and is stored whole', async () => {
    const bytes = randomBytes(70_000)
    const created = await create('open', { 'upload-defer-length': '1', 'upload-metadata': `filename ${Buffer.from('deferred.bin').toString('base64')}` })
    expect(created.status).toBe(201)
    const location = created.headers.get('location')!
    const before = await head(location)
    expect(before.headers.get('upload-defer-length')).toBe('1')
    expect(before.headers.get('upload-length')).toBeNull()
    expect((await patch(location, 0, bytes.subarray(0, 30_000))).headers.get('upload-offset')).toBe('30000')
    // A length under what was received, or one that contradicts a declared one, is refused.
    expect(await (await patch(location, 30_000, Buffer.alloc(0), { 'upload-length': '10' })).json()).toMatchObject({ code: 'KL_STORAGE_TUS_BAD_REQUEST' })
    const last = await patch(location, 30_000, bytes.subarray(30_000), { 'upload-length': String(bytes.length) })
    expect(last.status).toBe(204)
    const objectId = last.headers.get('koya-object-id')!
    expect(objectId).toMatch(/.+/)
    expect((await head(location)).headers.get('upload-length')).toBe(String(bytes.length))
    expect(await (await patch(location, bytes.length, Buffer.alloc(0), { 'upload-length': '5' })).json()).toMatchObject({ code: 'KL_STORAGE_TUS_BAD_REQUEST' })
    expect(sha(Buffer.from(await (await fetch(`${server.url}/storage/open/${objectId}`)).arrayBuffer()))).toBe(sha(bytes))
  })

  it('a deferred upload is held to maxSize while its length is unknown, and judged when it is declared', async () => {
    // Both headers at once, or a defer value other than 1, are malformed.
    expect(await (await create('tiny', { 'upload-defer-length': '1', 'upload-length': '5' })).json()).toMatchObject({ code: 'KL_STORAGE_TUS_BAD_REQUEST' })
    expect(await (await create('tiny', { 'upload-defer-length': '2' })).json()).toMatchObject({ code: 'KL_STORAGE_TUS_BAD_REQUEST' })
    const created = await create('tiny', { 'upload-defer-length': '1' })
    expect(created.status).toBe(201)
    const location = created.headers.get('location')!
    // tiny takes 64 KB: a declared length over it is 413 (and so is its quota of 100 KB).
    const over = await patch(location, 0, Buffer.from('hello'), { 'upload-length': String(65 * 1024) })
    expect(over.status).toBe(413)
    expect(((await over.json()) as { code: string }).code).toBe('KL_STORAGE_TOO_LARGE')
    // Without a length, bytes past maxSize are refused as they arrive.
    const past = await patch(location, 0, randomBytes(65 * 1024))
    expect(past.status).toBe(413)
    expect(Number((await head(location)).headers.get('upload-offset'))).toBeLessThanOrEqual(64 * 1024)
  })

  it('a PATCH whose bytes do not match Upload-Checksum is 460 and keeps none of them', async () => {
    const bytes = Buffer.from('checksummed text '.repeat(1000))
    const created = await create('open', { 'upload-length': String(bytes.length) })
    const location = created.headers.get('location')!
    const first = bytes.subarray(0, 8000)
    const wrong = await patch(location, 0, first, { 'upload-checksum': `sha1 ${digest('sha1', Buffer.from('other'))}` })
    expect(wrong.status).toBe(460)
    expect(await wrong.json()).toMatchObject({ code: 'KL_STORAGE_CHECKSUM_MISMATCH' })
    expect((await head(location)).headers.get('upload-offset')).toBe('0')
    // An algorithm the server does not offer, or a malformed header, is 400 and keeps nothing.
    expect((await patch(location, 0, first, { 'upload-checksum': `crc32 ${digest('sha1', first)}` })).status).toBe(400)
    expect((await patch(location, 0, first, { 'upload-checksum': 'sha1' })).status).toBe(400)
    expect((await head(location)).headers.get('upload-offset')).toBe('0')
    const right = await patch(location, 0, first, { 'upload-checksum': `sha1 ${digest('sha1', first)}` })
    expect(right.status).toBe(204)
    expect(right.headers.get('upload-offset')).toBe('8000')
    const rest = bytes.subarray(8000)
    const done = await patch(location, 8000, rest, { 'upload-checksum': `sha256 ${digest('sha256', rest)}` })
    expect(done.status).toBe(204)
    const objectId = done.headers.get('koya-object-id')!
    expect(sha(Buffer.from(await (await fetch(`${server.url}/storage/open/${objectId}`)).arrayBuffer()))).toBe(sha(bytes))
    const md5 = await create('open', { 'upload-length': '3' })
    const md5Done = await patch(md5.headers.get('location')!, 0, Buffer.from('abc'), { 'upload-checksum': `md5 ${digest('md5', Buffer.from('abc'))}` })
    expect(md5Done.headers.get('koya-object-id')).toMatch(/.+/)
  })

  it('tus-js-client: a deferred-length upload from a stream', async () => {
    const bytes = randomBytes(600_000)
    const stream = Readable.from((function* () {
      for (let at = 0; at < bytes.length; at += 50_000) yield bytes.subarray(at, at + 50_000)
    })())
    const { promise } = tusUpload(`${server.url}/storage/open/resumable`, stream as unknown as Buffer, { headers: bearer(ada.token), uploadLengthDeferred: true, chunkSize: 256 * 1024, metadata: { filename: 'stream.bin' } })
    const result = await promise
    expect(sha(Buffer.from(await (await fetch(`${server.url}/storage/open/${result.objectId}`)).arrayBuffer()))).toBe(sha(bytes))
  })

  it('tus-js-client: every PATCH checksummed; a corrupted one is refused with 460 and sent again', async () => {
    const bytes = randomBytes(700_000)
    const checksums = checksummingStack(new Set([2]))
    const statuses: number[] = []
    const { promise } = tusUpload(`${server.url}/storage/open/resumable`, bytes, {
      headers: bearer(ada.token),
      chunkSize: 256 * 1024,
      httpStack: checksums.stack,
      onShouldRetry: (error) => {
        const status = error.originalResponse?.getStatus() ?? 0
        statuses.push(status)
        return status === 460
      },
    })
    const result = await promise
    expect(statuses).toEqual([460])
    // 3 chunks, one of them sent twice.
    expect(checksums.patches).toBe(4)
    expect(sha(Buffer.from(await (await fetch(`${server.url}/storage/open/${result.objectId}`)).arrayBuffer()))).toBe(sha(bytes))
  })
})
