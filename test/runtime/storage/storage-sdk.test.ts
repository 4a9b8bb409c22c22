import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Project, ts } from 'ts-morph'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { emitArtifacts } from '../../../engine/codegen/index.ts'
import { PNG, storageApp, type StorageTestApp } from './storage-app.ts'
import { cuttingProxy } from './tus-client.ts'

interface ResumableOptions {
  name?: string
  chunkSize?: number
  onProgress?: (sent: number, total: number) => void
  signal?: AbortSignal
  uploadUrl?: string
  onUploadUrl?: (url: string) => void
}
const sha = (bytes: Buffer | Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** Progress calls must only go up and end at the size. */
function expectMonotoneToEnd(progress: readonly [number, number][], size: number): void {
  expect(progress.length).toBeGreaterThan(0)
  for (let i = 1; i < progress.length; i++) expect(progress[i]![0]).toBeGreaterThan(progress[i - 1]![0])
  for (const [sent, total] of progress) {
    expect(total).toBe(size)
    expect(sent).toBeLessThanOrEqual(size)
  }
  expect(progress.at(-1)![0]).toBe(size)
}

interface StorageObjectLike { id: string; name: string; size: number; contentType: string }
interface BucketClient {
  upload(body: Uint8Array | Blob | string, options?: { name?: string; onProgress?: (sent: number, total: number) => void; signal?: AbortSignal }): Promise<StorageObjectLike>
  uploadResumable(body: Uint8Array | Blob | string, options?: ResumableOptions): Promise<{ id: string; size: number; uploadUrl: string }>
  download(id: string): Promise<Blob>
  sign(id: string, expiresIn?: number): Promise<{ url: string; expiresAt: string }>
  list(options?: { prefix?: string; limit?: number; offset?: number }): Promise<StorageObjectLike[]>
  update(id: string, patch: { name?: string }): Promise<StorageObjectLike>
  delete(id: string): Promise<void>
  deletePrefix(prefix: string): Promise<number>
}

// The generated SDK of an app with buckets: koya.storage.<bucket> against a real server.
describe('koya.storage.<bucket> in the generated SDK', () => {
  let t: StorageTestApp
  let dir: string
  let createClient: (options: { url: string; token?: string }) => { storage: Record<string, BucketClient> }
  const bytesOf = async (koya: { storage: Record<string, BucketClient> }, id: string) => Buffer.from(await (await koya.storage.open!.download(id)).arrayBuffer())
  let token: string
  beforeAll(async () => {
    t = await storageApp()
    token = (await t.user('ada@example.com')).token
    dir = mkdtempSync(path.join(os.tmpdir(), 'koya-storage-sdk-'))
    const sdk = emitArtifacts({ ir: t.model, source: 'koyalite.ts' }).find((f) => f.path === 'generated/sdk/index.ts')!.contents
    writeFileSync(path.join(dir, 'index.ts'), sdk)
    ;({ createClient } = (await import(path.join(dir, 'index.ts'))) as { createClient: typeof createClient })
  })
  afterAll(async () => {
    await t?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('uploads with progress, downloads, signs, lists, renames and deletes', async () => {
    const koya = createClient({ url: t.url, token })
    const progress: number[] = []
    const object = await koya.storage.docs!.upload(PNG, { name: 'sdk.png', onProgress: (sent) => progress.push(sent) })
    expect(object).toMatchObject({ name: 'sdk.png', size: PNG.length, contentType: 'image/png' })
    expect(progress.at(-1)).toBe(PNG.length)
    expect(Buffer.from(await (await koya.storage.docs!.download(object.id)).arrayBuffer())).toEqual(PNG)
    const signed = await koya.storage.docs!.sign(object.id, 60)
    expect(signed.url.startsWith(t.url)).toBe(true)
    expect((await fetch(signed.url)).status).toBe(200)
    expect((await koya.storage.docs!.list()).map((o) => o.id)).toContain(object.id)
    expect((await koya.storage.docs!.update(object.id, { name: 'renamed.png' })).name).toBe('renamed.png')
    await koya.storage.docs!.delete(object.id)
    await expect(koya.storage.docs!.download(object.id)).rejects.toMatchObject({ code: 'KL_STORAGE_NOT_FOUND', status: 404 })
    await expect(koya.storage.docs!.upload('plain text')).rejects.toMatchObject({ code: 'KL_STORAGE_TYPE_NOT_ALLOWED', status: 415 })
    await koya.storage.open!.upload('a', { name: 'dir/a' })
    expect(await koya.storage.open!.deletePrefix('dir/')).toBe(1)
  })

  it('the SDK of an app with buckets type-checks under the strictest app settings (with the DOM library)', () => {
    const project = new Project({
      compilerOptions: {
        strict: true, noEmit: true, module: ts.ModuleKind.Preserve, moduleResolution: ts.ModuleResolutionKind.Bundler, target: ts.ScriptTarget.ES2022,
        lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'], types: [], skipLibCheck: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true,
        noImplicitOverride: true, noImplicitReturns: true, verbatimModuleSyntax: true, isolatedModules: true, noUnusedLocals: true, noUnusedParameters: true,
        noPropertyAccessFromIndexSignature: true, erasableSyntaxOnly: true, declaration: true, isolatedDeclarations: true,
      },
    })
    const file = project.addSourceFileAtPath(path.join(dir, 'index.ts'))
    expect(file.getPreEmitDiagnostics().map((d) => `${d.getLineNumber() ?? '?'}: ${ts.flattenDiagnosticMessageText(d.getMessageText() as string, ' ')}`)).toEqual([])
  }, 60_000)

  it('a plain upload reports progress as the bytes go, monotone, ending at the size', async () => {
    const koya = createClient({ url: t.url, token })
    const bytes = randomBytes(3 * 1024 * 1024 + 17)
    const progress: [number, number][] = []
    const object = await koya.storage.open!.upload(bytes, { name: 'progress.bin', onProgress: (sent, total) => progress.push([sent, total]) })
    expect(object.size).toBe(bytes.length)
    expectMonotoneToEnd(progress, bytes.length)
    // Streamed in slices, not one call at the end.
    expect(progress.length).toBeGreaterThan(10)
    expect(sha(await bytesOf(koya, object.id))).toBe(sha(bytes))
  })

  it('uploadResumable sends chunks over tus, with progress, and names the stored object', async () => {
    const koya = createClient({ url: t.url, token })
    const bytes = randomBytes(1_300_000)
    const progress: [number, number][] = []
    const urls: string[] = []
    const result = await koya.storage.open!.uploadResumable(new Blob([bytes], { type: 'application/octet-stream' }), {
      name: 'résumé.bin',
      chunkSize: 256 * 1024,
      onProgress: (sent, total) => progress.push([sent, total]),
      onUploadUrl: (url) => urls.push(url),
    })
    expect(result).toMatchObject({ size: bytes.length })
    expect(urls).toEqual([result.uploadUrl])
    expect(result.uploadUrl.startsWith(`${t.url}/storage/open/resumable/`)).toBe(true)
    expectMonotoneToEnd(progress, bytes.length)
    // At least one report per chunk, and some inside a chunk.
    expect(progress.length).toBeGreaterThan(6)
    expect(sha(await bytesOf(koya, result.id))).toBe(sha(bytes))
    expect((await koya.storage.open!.list({ prefix: 'résumé.bin' })).map((o) => o.id)).toEqual([result.id])
    expect((await koya.storage.open!.list({ prefix: 'résumé.bin', limit: 1, offset: 0 })).map((o) => o.id)).toEqual([result.id])
    // The same rules as upload(): the docs bucket takes images and PDFs only.
    await expect(koya.storage.docs!.uploadResumable('plain text, not an image')).rejects.toMatchObject({ code: 'KL_STORAGE_TYPE_NOT_ALLOWED', status: 415 })
    const empty = await koya.storage.open!.uploadResumable(new Uint8Array(0), { name: 'empty.bin' })
    expect(empty.size).toBe(0)
  })

  it('an aborted resumable upload continues later from its uploadUrl, from the offset the server kept', async () => {
    const koya = createClient({ url: t.url, token })
    const bytes = randomBytes(1_000_000)
    const stop = new AbortController()
    let uploadUrl = ''
    const first = koya.storage.open!.uploadResumable(bytes, {
      chunkSize: 200_000,
      signal: stop.signal,
      onUploadUrl: (url) => (uploadUrl = url),
      onProgress: (sent) => {
        if (sent >= 400_000) stop.abort()
      },
    })
    await expect(first).rejects.toMatchObject({ code: 'KL_CLIENT_ABORTED', status: 0 })
    const kept = Number((await fetch(uploadUrl, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0', authorization: `Bearer ${token}` } })).headers.get('upload-offset'))
    expect(kept).toBeGreaterThan(0)
    expect(kept).toBeLessThan(bytes.length)
    const progress: [number, number][] = []
    const result = await koya.storage.open!.uploadResumable(bytes, { uploadUrl, chunkSize: 200_000, onProgress: (sent, total) => progress.push([sent, total]) })
    // It starts where the server is (at least what it had kept when asked: a cut PATCH may still have been landing).
    expect(progress[0]![0]).toBeGreaterThanOrEqual(kept)
    expectMonotoneToEnd(progress, bytes.length)
    expect(sha(await bytesOf(koya, result.id))).toBe(sha(bytes))
  })

  it('uploadResumable survives a connection cut mid-chunk: it asks the offset and sends the rest', async () => {
    const target = new URL(t.url)
    const proxy = await cuttingProxy({ host: target.hostname, port: Number(target.port) }, 300_000)
    try {
      const koya = createClient({ url: proxy.url, token })
      const bytes = randomBytes(900_000)
      const progress: [number, number][] = []
      const result = await koya.storage.open!.uploadResumable(bytes, { chunkSize: 10_000_000, onProgress: (sent, total) => progress.push([sent, total]) })
      expect(proxy.cuts).toBe(1)
      expect(proxy.offsets[0]).toBe(0)
      expect(proxy.offsets.at(-1)).toBeGreaterThan(0)
      expectMonotoneToEnd(progress, bytes.length)
      expect(sha(await bytesOf(createClient({ url: t.url, token }), result.id))).toBe(sha(bytes))
    } finally {
      await proxy.close()
    }
  })
})
