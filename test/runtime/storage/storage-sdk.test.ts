import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { emitArtifacts } from '../../../engine/codegen/index.ts'
import { PNG, storageApp, type StorageTestApp } from './storage-app.ts'

interface StorageObjectLike { id: string; name: string; size: number; contentType: string }
interface BucketClient {
  upload(body: Uint8Array | Blob | string, options?: { name?: string; onProgress?: (sent: number, total: number) => void }): Promise<StorageObjectLike>
  download(id: string): Promise<Blob>
  sign(id: string, expiresIn?: number): Promise<{ url: string; expiresAt: string }>
  list(options?: { prefix?: string }): Promise<StorageObjectLike[]>
  update(id: string, patch: { name?: string }): Promise<StorageObjectLike>
  delete(id: string): Promise<void>
  deletePrefix(prefix: string): Promise<number>
}

// The generated SDK of an app with buckets: koya.storage.<bucket> against a real server.
describe('koya.storage.<bucket> in the generated SDK', () => {
  let t: StorageTestApp
  let dir: string
  let createClient: (options: { url: string; token?: string }) => { storage: Record<string, BucketClient> }
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
})
