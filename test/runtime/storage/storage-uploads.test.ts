import { readdirSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PDF, PNG, SERVICE_KEY, bearer, storageApp, type StorageTestApp } from './storage-app.ts'

// Uploads and downloads at their edges: limits enforced while streaming, sniffed types, names
// that try to be paths, ranges and caching, multipart, quotas, uploads cut off mid-stream.
describe('storage uploads and downloads', () => {
  let t: StorageTestApp
  let ada: { id: string; token: string }
  beforeAll(async () => {
    t = await storageApp()
    ada = await t.user('ada@example.com')
  })
  afterAll(() => t?.close())

  const upload = (bucket: string, body: Buffer | Uint8Array, options: { token?: string; query?: string; type?: string } = {}) =>
    fetch(`${t.url}/storage/${bucket}${options.query ?? ''}`, { method: 'POST', headers: { ...bearer(options.token ?? ada.token), 'content-type': options.type ?? 'application/octet-stream' }, body })
  const json = async (response: Response) => (await response.json()) as Record<string, unknown>
  const objectCount = () => (t.db.prepare('SELECT COUNT(*) FROM "_koya_objects"').pluck().all()[0] as number)
  /** Files the local driver holds (objects and temp files). */
  const filesOnDisk = () => readdirSync(t.root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name))

  it('a type the bucket does not take is a coded 415, whatever the declared Content-Type, and nothing is stored', async () => {
    const before = filesOnDisk().length
    const answer = await upload('docs', Buffer.from('<html><script>alert(1)</script></html>'), { type: 'image/png' })
    expect(answer.status).toBe(415)
    expect((await json(answer)).code).toBe('KL_STORAGE_TYPE_NOT_ALLOWED')
    expect(filesOnDisk().length).toBe(before)
    expect((await upload('docs', PDF)).status).toBe(201)
  })

  it('the declared type never makes HTML or SVG renderable: such text is stored as text/plain', async () => {
    const answer = await upload('open', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), { type: 'image/svg+xml' })
    const object = await json(answer)
    expect(object.contentType).toBe('text/plain')
    const download = await fetch(`${t.url}/storage/open/${object.id as string}`)
    expect(download.headers.get('x-content-type-options')).toBe('nosniff')
    expect(download.headers.get('content-security-policy')).toContain('sandbox')
  })

  it('zero bytes, exactly maxSize, and one byte over (refused while streaming, nothing left)', async () => {
    const zero = await json(await upload('open', Buffer.alloc(0)))
    expect(zero).toMatchObject({ size: 0, contentType: 'application/octet-stream', sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' })
    const empty = await fetch(`${t.url}/storage/open/${zero.id as string}`)
    expect(empty.status).toBe(200)
    expect((await empty.arrayBuffer()).byteLength).toBe(0)
    const max = 64 * 1024
    expect((await json(await upload('tiny', Buffer.alloc(max, 7)))).size).toBe(max)
    const before = { rows: objectCount(), files: filesOnDisk().length }
    const over = await upload('tiny', Buffer.alloc(max + 1, 7))
    expect(over.status).toBe(413)
    expect((await json(over)).code).toBe('KL_STORAGE_TOO_LARGE')
    // Without a Content-Length (chunked), the meter stops it mid-stream.
    const chunked = await fetch(`${t.url}/storage/tiny`, {
      method: 'POST',
      headers: { ...bearer(ada.token), 'content-type': 'application/octet-stream' },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 10; i++) controller.enqueue(new Uint8Array(16 * 1024))
          controller.close()
        },
      }),
      duplex: 'half',
    } as RequestInit)
    expect(chunked.status).toBe(413)
    expect({ rows: objectCount(), files: filesOnDisk().length }).toEqual(before)
  })

  it('names are labels: path tricks are stored as given and never reach the disk; NUL, control characters, lone surrogates and very long names are refused', async () => {
    for (const name of ['../../etc/passwd', '..\\..\\boot.ini', '/abs/path', 'ünïcödé 文件 🚀.txt', 'a'.repeat(1024)]) {
      const answer = await upload('open', Buffer.from('x'), { query: `?name=${encodeURIComponent(name)}` })
      expect(answer.status).toBe(201)
      expect((await json(answer)).name).toBe(name.normalize('NFC'))
    }
    for (const file of filesOnDisk()) expect(path.relative(t.root, file)).toMatch(/^(open|docs|tiny|vault)\/[A-Za-z0-9_-]+$/)
    for (const name of ['bad\u0000name', 'tab\tname', '', 'b'.repeat(1025), 'é'.repeat(513)]) {
      const answer = await upload('open', Buffer.from('x'), { query: `?name=${encodeURIComponent(name)}` })
      expect(answer.status, JSON.stringify(name.slice(0, 10))).toBe(400)
      expect((await json(answer)).code).toBe('KL_STORAGE_BAD_NAME')
    }
    // A URL cannot carry a lone surrogate (an invalid escape stays as written); a JSON body can.
    const labelled = await json(await upload('open', Buffer.from('x'), { query: '?name=%ED%A0%80' }))
    expect(labelled.name).toBe('%ED%A0%80')
    const surrogate = await fetch(`${t.url}/storage/open/${labelled.id as string}`, { method: 'PATCH', headers: { ...bearer(ada.token), 'content-type': 'application/json' }, body: JSON.stringify({ name: 'a\ud800b' }) })
    expect(surrogate.status).toBe(400)
    expect((await json(surrogate)).code).toBe('KL_STORAGE_BAD_NAME')
    const unicode = await json(await upload('open', Buffer.from('x'), { query: `?name=${encodeURIComponent('résumé "final".txt')}` }))
    const download = await fetch(`${t.url}/storage/open/${unicode.id as string}?download=1`)
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="r_sum_ _final_.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.txt`)
  })

  it('multipart: the file field is streamed, named after the file', async () => {
    const form = new FormData()
    form.append('file', new Blob([PNG], { type: 'image/png' }), 'photo.png')
    const answer = await fetch(`${t.url}/storage/docs`, { method: 'POST', headers: bearer(ada.token), body: form })
    expect(answer.status).toBe(201)
    expect(await json(answer)).toMatchObject({ name: 'photo.png', contentType: 'image/png', size: PNG.length })
    const tooBig = new FormData()
    tooBig.append('file', new Blob([Buffer.alloc(70 * 1024)]), 'big.bin')
    const refused = await fetch(`${t.url}/storage/tiny`, { method: 'POST', headers: bearer(ada.token), body: tooBig })
    expect(refused.status).toBe(413)
  })

  it('Range, ETag and If-None-Match', async () => {
    const bytes = Buffer.from('0123456789abcdefghij')
    const object = await json(await upload('open', bytes))
    const url = `${t.url}/storage/open/${object.id as string}`
    const part = await fetch(url, { headers: { range: 'bytes=2-5' } })
    expect(part.status).toBe(206)
    expect(part.headers.get('content-range')).toBe('bytes 2-5/20')
    expect(await part.text()).toBe('2345')
    const suffix = await fetch(url, { headers: { range: 'bytes=-3' } })
    expect(await suffix.text()).toBe('hij')
    const open = await fetch(url, { headers: { range: 'bytes=18-' } })
    expect(await open.text()).toBe('ij')
    const outside = await fetch(url, { headers: { range: 'bytes=20-30' } })
    expect(outside.status).toBe(416)
    expect(outside.headers.get('content-range')).toBe('bytes */20')
    expect((await json(outside)).code).toBe('KL_STORAGE_BAD_RANGE')
    const etag = part.headers.get('etag')!
    const cached = await fetch(url, { headers: { 'if-none-match': etag } })
    expect(cached.status).toBe(304)
    expect((await fetch(url, { headers: { 'if-none-match': '"other"' } })).status).toBe(200)
  })

  it('per-user quota: the upload that would pass it is a coded 413 and stores nothing', async () => {
    const bob = await t.user('bob@example.com')
    const chunk = Buffer.alloc(40 * 1024, 1)
    expect((await upload('tiny', chunk, { token: bob.token })).status).toBe(201)
    expect((await upload('tiny', chunk, { token: bob.token })).status).toBe(201)
    const third = await upload('tiny', chunk, { token: bob.token })
    expect(third.status).toBe(413)
    expect((await json(third)).code).toBe('KL_STORAGE_QUOTA_EXCEEDED')
    // Another user has a quota of their own.
    const cid = await t.user('cid@example.com')
    expect((await upload('tiny', chunk, { token: cid.token })).status).toBe(201)
  })

  it('an upload cut off mid-stream leaves no row and no file behind', async () => {
    const before = { rows: objectCount(), files: filesOnDisk().length }
    const { port } = new URL(t.url)
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => {
        socket.write(`POST /storage/open HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${ada.token}\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n`)
        socket.write(Buffer.alloc(300_000, 3))
        setTimeout(() => {
          socket.destroy()
          resolve()
        }, 200)
      })
      socket.on('error', reject)
    })
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect({ rows: objectCount(), files: filesOnDisk().length }).toEqual(before)
  })

  it('tampered and expired signed URLs are refused with their own codes', async () => {
    const object = await json(await upload('docs', PNG))
    const sign = async (expiresIn: number) => ((await json(await fetch(`${t.url}/storage/docs/${object.id as string}/sign`, { method: 'POST', headers: { ...bearer(ada.token), 'content-type': 'application/json' }, body: JSON.stringify({ expiresIn }) }))).url as string)
    const url = await sign(60)
    expect((await fetch(`${t.url}${url}`)).status).toBe(200)
    const parsed = new URL(url, t.url)
    const expires = parsed.searchParams.get('expires')!
    const signature = parsed.searchParams.get('signature')!
    const variants = [
      `${parsed.pathname}?expires=${Number(expires) + 3600}&signature=${signature}`,
      `${parsed.pathname}?expires=${expires}&signature=${signature.slice(0, -2)}AA`,
      `${parsed.pathname}?expires=${expires}`,
      `/storage/open/${object.id as string}?expires=${expires}&signature=${signature}`,
    ]
    for (const variant of variants) {
      const answer = await fetch(`${t.url}${variant}`)
      expect(answer.status, variant).toBe(403)
      expect((await json(answer)).code).toBe('KL_STORAGE_SIGNATURE_INVALID')
    }
    // Signed for another object.
    const other = await json(await upload('docs', PDF))
    const foreign = await fetch(`${t.url}/storage/docs/${other.id as string}?expires=${expires}&signature=${signature}`)
    expect(foreign.status).toBe(403)
    const expired = await sign(1)
    await new Promise((resolve) => setTimeout(resolve, 2100))
    const late = await fetch(`${t.url}${expired}`)
    expect(late.status).toBe(403)
    expect((await json(late)).code).toBe('KL_STORAGE_SIGNATURE_EXPIRED')
    expect((await fetch(`${t.url}/storage/docs/${object.id as string}/sign`, { method: 'POST', headers: { ...bearer(SERVICE_KEY), 'content-type': 'application/json' }, body: JSON.stringify({ expiresIn: 8 * 24 * 3600 }) })).status).toBe(400)
  })
})
