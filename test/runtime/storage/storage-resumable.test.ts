import { createHash, randomBytes } from 'node:crypto'
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, PDF, SERVICE_KEY, storageApp, type StorageTestApp } from './storage-app.ts'
import { cuttingProxy, tusUpload } from './tus-client.ts'

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex')
const TUS = { 'tus-resumable': '1.0.0' }
const b64 = (text: string) => Buffer.from(text).toString('base64')

// Resumable uploads (tus 1.0.0) against a real listening server, with the real tus-js-client.
describe('resumable uploads (tus)', () => {
  let server: StorageTestApp
  let now = new Date('2026-06-01T00:00:00Z').getTime()
  let ada: { id: string; token: string }
  let bob: { id: string; token: string }
  beforeAll(async () => {
    server = await storageApp({ now: () => new Date(now) })
    ada = await server.user('ada@example.com')
    bob = await server.user('bob@example.com')
  })
  afterAll(async () => {
    await server?.close()
  })
  const create = (bucket: string, length: number, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/storage/${bucket}/resumable`, { method: 'POST', headers: { ...TUS, 'upload-length': String(length), ...headers } })
  const patch = (location: string, offset: number, body: Buffer, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${location}`, { method: 'PATCH', headers: { ...TUS, 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset), ...headers }, body })
  const head = (location: string, token: string | undefined) => fetch(`${server.url}${location}`, { method: 'HEAD', headers: { ...TUS, ...bearer(token) } })

  it('tus-js-client uploads a file in chunks; the object is stored whole and downloadable', async () => {
    const bytes = randomBytes(1_500_000)
    const progress: number[] = []
    const { promise } = tusUpload(`${server.url}/storage/open/resumable`, bytes, {
      headers: bearer(ada.token),
      metadata: { filename: 'big.bin', filetype: 'application/octet-stream' },
      onProgress: (sent) => progress.push(sent),
    })
    const result = await promise
    expect(result.objectId).toMatch(/.+/)
    expect(progress.at(-1)).toBe(bytes.length)
    const object = (await (await fetch(`${server.url}/storage/open?prefix=big.bin`, { headers: bearer(ada.token) })).json()) as { id: string; name: string; size: number; sha256: string; ownerId: string }[]
    expect(object).toMatchObject([{ id: result.objectId, name: 'big.bin', size: bytes.length, sha256: sha(bytes), ownerId: ada.id }])
    const download = Buffer.from(await (await fetch(`${server.url}/storage/open/${result.objectId}`)).arrayBuffer())
    expect(sha(download)).toBe(sha(bytes))
    // The staged bytes are gone once the object is stored; HEAD still names the object.
    const location = new URL(result.url).pathname
    expect(existsSync(path.join(server.root, '.resumable', `${location.split('/').at(-1)}.part`))).toBe(false)
    const after = await head(location, ada.token)
    expect(after.status).toBe(200)
    expect(after.headers.get('upload-offset')).toBe(String(bytes.length))
    expect(after.headers.get('koya-object-id')).toBe(result.objectId)
  })

  it('resumes after the connection is cut mid-PATCH, from the offset the server kept', async () => {
    const bytes = randomBytes(900_000)
    const target = new URL(server.url)
    const proxy = await cuttingProxy({ host: target.hostname, port: Number(target.port) }, 400_000)
    try {
      const { promise } = tusUpload(`${proxy.url}/storage/open/resumable`, bytes, { headers: bearer(ada.token), chunkSize: 10_000_000, metadata: { filename: 'cut.bin' } })
      const result = await promise
      expect(proxy.cuts).toBe(1)
      // The first PATCH started at 0 and was cut; the second continued from what was kept, not from 0.
      expect(proxy.offsets[0]).toBe(0)
      expect(proxy.offsets.length).toBeGreaterThanOrEqual(2)
      expect(proxy.offsets.at(-1)).toBeGreaterThan(0)
      const download = Buffer.from(await (await fetch(`${server.url}/storage/open/${result.objectId}`)).arrayBuffer())
      expect(sha(download)).toBe(sha(bytes))
    } finally {
      await proxy.close()
    }
  })

  it('a wrong offset is 409, a missing Tus-Resumable 412, a wrong Content-Type 415', async () => {
    const created = await create('open', 10, bearer(ada.token))
    expect(created.status).toBe(201)
    const location = created.headers.get('location')!
    expect(created.headers.get('upload-expires')).toBe(new Date(now + 24 * 3_600_000).toUTCString())
    expect((await (await patch(location, 5, Buffer.alloc(5), bearer(ada.token))).json()) as { code: string }).toMatchObject({ code: 'KL_STORAGE_UPLOAD_OFFSET_MISMATCH' })
    const noVersion = await fetch(`${server.url}${location}`, { method: 'HEAD', headers: bearer(ada.token) })
    expect(noVersion.status).toBe(412)
    expect(noVersion.headers.get('tus-version')).toBe('1.0.0')
    const wrongType = await patch(location, 0, Buffer.alloc(5), { ...bearer(ada.token), 'content-type': 'application/octet-stream' })
    expect(wrongType.status).toBe(415)
    expect(((await wrongType.json()) as { code: string }).code).toBe('KL_STORAGE_TUS_CONTENT_TYPE')
    const tooMany = await patch(location, 0, Buffer.alloc(11), bearer(ada.token))
    expect(tooMany.status).toBe(413)
    const options = await fetch(`${server.url}/storage/open/resumable`, { method: 'OPTIONS' })
    expect(options.status).toBe(204)
    expect(options.headers.get('tus-extension')).toBe('creation,creation-defer-length,termination,expiration,checksum')
    expect(options.headers.get('tus-max-size')).toBe(String(300 * 1024 * 1024))
  })

  it('only the creator may see, continue or cancel an upload', async () => {
    const created = await create('open', 100, bearer(ada.token))
    const location = created.headers.get('location')!
    expect((await head(location, bob.token)).status).toBe(404)
    expect((await head(location, undefined)).status).toBe(404)
    expect((await patch(location, 0, Buffer.alloc(100), bearer(bob.token))).status).toBe(404)
    expect((await fetch(`${server.url}${location}`, { method: 'DELETE', headers: { ...TUS, ...bearer(bob.token) } })).status).toBe(404)
    const cancelled = await fetch(`${server.url}${location}`, { method: 'DELETE', headers: { ...TUS, ...bearer(ada.token) } })
    expect(cancelled.status).toBe(204)
    expect((await head(location, ada.token)).status).toBe(404)
    expect((await head('/storage/open/resumable/..%2F..%2Fapp.db', ada.token)).status).toBe(404)
  })

  it('creation is judged by the bucket: rule, maxSize and quota before a byte; the type after the last', async () => {
    // The create rule of "open" needs a user.
    expect((await create('open', 10)).status).toBe(401)
    // "vault" has no rules: only the service key.
    expect((await create('vault', 10, bearer(ada.token))).status).toBe(403)
    expect((await create('vault', 10, { authorization: `Bearer ${SERVICE_KEY}` })).status).toBe(201)
    const tooLarge = await create('docs', 2 * 1024 * 1024, bearer(ada.token))
    expect(tooLarge.status).toBe(413)
    expect(((await tooLarge.json()) as { code: string }).code).toBe('KL_STORAGE_TOO_LARGE')
    expect(((await (await create('open', 10, { ...bearer(ada.token), 'upload-defer-length': '1' })).json()) as { code: string }).code).toBe('KL_STORAGE_TUS_BAD_REQUEST')
    // "tiny": 100 KB per user. 60 KB fits; a second 60 KB does not, refused at creation.
    const { promise } = tusUpload(`${server.url}/storage/tiny/resumable`, Buffer.alloc(60 * 1024, 'a'), { headers: bearer(bob.token) })
    await promise
    const over = await create('tiny', 60 * 1024, bearer(bob.token))
    expect(over.status).toBe(413)
    expect(((await over.json()) as { code: string }).code).toBe('KL_STORAGE_QUOTA_EXCEEDED')
    // "docs" takes images and PDFs: text bytes are refused once complete, and the upload is gone.
    const text = await create('docs', 12, { ...bearer(ada.token), 'upload-metadata': `filename ${b64('a.pdf')},filetype ${b64('application/pdf')}` })
    const location = text.headers.get('location')!
    const refused = await patch(location, 0, Buffer.from('hello, world'), bearer(ada.token))
    expect(refused.status).toBe(415)
    expect(((await refused.json()) as { code: string }).code).toBe('KL_STORAGE_TYPE_NOT_ALLOWED')
    expect((await head(location, ada.token)).status).toBe(404)
    const pdf = await create('docs', PDF.length, { ...bearer(ada.token), 'upload-metadata': `name ${b64('ok.pdf')}` })
    const stored = await patch(pdf.headers.get('location')!, 0, PDF, bearer(ada.token))
    expect(stored.status).toBe(204)
    const id = stored.headers.get('koya-object-id')!
    expect(((await (await fetch(`${server.url}/storage/docs/${id}`, { headers: bearer(ada.token) })).arrayBuffer()).byteLength)).toBe(PDF.length)
  })

  it('an empty upload is stored at creation', async () => {
    const created = await create('open', 0, { ...bearer(ada.token), 'upload-metadata': `filename ${b64('empty.txt')}` })
    expect(created.status).toBe(201)
    const id = created.headers.get('koya-object-id')!
    const object = (await (await fetch(`${server.url}/storage/open?prefix=empty.txt`, { headers: bearer(ada.token) })).json()) as { id: string; size: number }[]
    expect(object).toMatchObject([{ id, size: 0 }])
  })

  it('an upload expires 24 hours after its creation: refused with 410, and its bytes removed', async () => {
    const created = await create('open', 100, bearer(ada.token))
    const location = created.headers.get('location')!
    expect((await patch(location, 0, Buffer.alloc(40), bearer(ada.token))).status).toBe(204)
    const id = location.split('/').at(-1)!
    expect(readdirSync(path.join(server.root, '.resumable'))).toContain(`${id}.part`)
    now += 24 * 3_600_000 + 1
    ada = await server.user('ada@example.com')
    const late = await patch(location, 40, Buffer.alloc(60), bearer(ada.token))
    expect(late.status).toBe(410)
    expect(((await late.json()) as { code: string }).code).toBe('KL_STORAGE_UPLOAD_EXPIRED')
    expect(readdirSync(path.join(server.root, '.resumable'))).not.toContain(`${id}.part`)
    expect((await head(location, ada.token)).status).toBe(404)
  })
})

describe('resumable staging sweep', () => {
  it('removes expired uploads and stray temp files, keeps the rest', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs')
    const os = await import('node:os')
    const { createResumableStaging } = await import('../../../engine/runtime/storage/resumable-staging.ts')
    const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-resumable-'))
    try {
      const staging = await createResumableStaging(dir)
      const old = await staging.create({ bucket: 'open', owner: 'system', length: 10, expiresAt: 1_000, key: 'open/a' })
      const fresh = await staging.create({ bucket: 'open', owner: 'system', length: 10, expiresAt: 5_000, key: 'open/b' })
      writeFileSync(path.join(dir, `${'x'.repeat(32)}.json.tmp`), '{')
      expect(await staging.sweep(2_000)).toBe(1)
      expect(readdirSync(dir).sort()).toEqual([`${fresh.id}.json`, `${fresh.id}.part`].sort())
      expect(await staging.get(old.id)).toBeUndefined()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
