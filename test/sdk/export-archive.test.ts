import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PNG, SERVICE_KEY, bearer, storageApp, type StorageTestApp } from '../runtime/storage/storage-app.ts'
import { writeSdk } from './sdk-files.ts'

/**
 * koya.auth.exportArchive() and koya.admin.exportUserArchive(userId) of the emitted SDK against a
 * live server: the bytes of the gzipped tar, with the user's file in it.
 */
interface ClientError extends Error {
  code: string
  status: number
}
interface Sdk {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  createClient(options: { url: string; token?: string }): any
  KoyaClientError: new (...args: never[]) => ClientError
}

let t: StorageTestApp
let sdk: Sdk
let files: ReturnType<typeof writeSdk>
beforeAll(async () => {
  t = await storageApp()
  files = writeSdk(t.model, 'export-archive')
  sdk = (await import(files.index)) as Sdk
})
afterAll(async () => {
  await t?.close()
  files?.remove()
})

/** The entries of a tar (ustar): name → bytes. Enough of the format for these archives. */
function untar(tar: Buffer): Map<string, Buffer> {
  const entries = new Map<string, Buffer>()
  let longName: string | undefined
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512)
    if (header.every((byte) => byte === 0)) break
    const field = (from: number, length: number) => header.subarray(from, from + length).toString('utf8').replace(/\0.*$/s, '')
    const size = parseInt(field(124, 12).trim() || '0', 8)
    const type = field(156, 1)
    const prefix = field(345, 155)
    const body = tar.subarray(at + 512, at + 512 + size)
    if (type === 'L') longName = body.toString('utf8').replace(/\0.*$/s, '')
    else if (type === '0' || type === '') {
      entries.set(longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100)), Buffer.from(body))
      longName = undefined
    }
    at += 512 + Math.ceil(size / 512) * 512
  }
  return entries
}

describe('SDK: the export as a tar', () => {
  it('koya.auth.exportArchive() resolves to the archive\'s bytes, the user\'s file in it', async () => {
    const ada = await t.user('ada-sdk-archive@example.com')
    const uploaded = await fetch(`${t.url}/storage/docs?name=scan.png`, { method: 'POST', headers: { ...bearer(ada.token), 'content-type': 'image/png' }, body: PNG })
    expect(uploaded.status).toBe(201)
    const { id } = (await uploaded.json()) as { id: string }

    const bytes = await sdk.createClient({ url: t.url, token: ada.token }).auth.exportArchive()
    expect(bytes).toBeInstanceOf(Uint8Array)
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]) // gzip
    const entries = untar(gunzipSync(bytes))
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'))
    expect(manifest).toMatchObject({ format: 'koyalite-export/1', userId: ada.id })
    expect(manifest.files).toEqual([expect.objectContaining({ id, bucket: 'docs', path: `files/docs/${id}/scan.png` })])
    expect(entries.get(`files/docs/${id}/scan.png`)!.equals(PNG)).toBe(true)

    const admin = await sdk.createClient({ url: t.url, token: SERVICE_KEY }).admin.exportUserArchive(ada.id)
    expect(JSON.parse(untar(gunzipSync(admin)).get('manifest.json')!.toString('utf8')).userId).toBe(ada.id)
  })

  it('throws KoyaClientError with the server\'s code when the archive is refused', async () => {
    const error = await sdk.createClient({ url: t.url }).auth.exportArchive().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(sdk.KoyaClientError)
    expect((error as ClientError).code).toBe('KL_AUTH_REQUIRED')
    expect((error as ClientError).status).toBe(401)
  })
})
