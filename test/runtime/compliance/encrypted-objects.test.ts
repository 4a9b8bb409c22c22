import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { encryptedDriver, encryptObjectsWhenConfigured } from '../../../engine/runtime/compliance/encrypted-objects.ts'
import { openDatabase } from '../../../engine/shared/sqlite.ts'
import { createLocalDriver } from '../../../engine/runtime/storage/drivers/local.ts'
import type { StorageDriver } from '../../../engine/runtime/storage/driver.ts'
import { bearer, storageApp } from '../storage/storage-app.ts'

const root = mkdtempSync(path.join(os.tmpdir(), 'koya-enc-objects-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const MARKER = Buffer.from('PLAINTEXT-MARKER-x-ray-report')
const CHUNK = 64 * 1024
const KEY = randomBytes(32)

async function bytesOf(stream: Readable | undefined): Promise<Buffer> {
  if (stream === undefined) throw new Error('no object')
  const parts: Buffer[] = []
  for await (const part of stream) parts.push(part as Buffer)
  return Buffer.concat(parts)
}
const put = (driver: StorageDriver, key: string, bytes: Buffer) => driver.put(key, Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]), { contentType: 'application/octet-stream', size: bytes.length })
let n = 0
const keyOf = () => `scans/01900000000000000000000000${String(++n).padStart(4, '0')}`

describe('local storage objects encrypted at rest', () => {
  it('stores no plaintext, and reads back every byte and every range, at and across chunk edges', async () => {
    const inner = await createLocalDriver(root)
    const driver = encryptedDriver(inner, KEY)
    const body = Buffer.concat([randomBytes(CHUNK - 10), MARKER, randomBytes(2 * CHUNK + 123)])
    const key = keyOf()
    await put(driver, key, body)
    const stored = readFileSync(path.join(root, key))
    expect(stored.includes(MARKER)).toBe(false)
    expect(stored.subarray(0, 4).toString()).toBe('KLE1')
    expect(await driver.head(key)).toEqual({ size: body.length })
    expect((await bytesOf(await driver.get(key))).equals(body)).toBe(true)
    for (const [start, end] of [[0, 0], [0, CHUNK - 1], [CHUNK - 5, CHUNK + 5], [CHUNK, 2 * CHUNK - 1], [100, body.length - 1], [body.length - 1, body.length - 1], [CHUNK * 2 + 7, CHUNK * 3 + 50]] as const) {
      expect((await bytesOf(await driver.get(key, { start, end }))).equals(body.subarray(start, end + 1)), `${start}-${end}`).toBe(true)
    }
    for (const size of [0, 1, CHUNK, CHUNK + 1, 2 * CHUNK]) {
      const k = keyOf()
      const b = randomBytes(size)
      await put(driver, k, b)
      expect(await driver.head(k)).toEqual({ size })
      expect((await bytesOf(await driver.get(k))).equals(b), `size ${size}`).toBe(true)
    }
    expect(await driver.get(keyOf())).toBeUndefined()
  })

  it('refuses an altered, cut-off or wrongly keyed object with a coded error', async () => {
    const inner = await createLocalDriver(root)
    const driver = encryptedDriver(inner, KEY)
    const body = randomBytes(3 * CHUNK)
    const failure = async (key: string, d: StorageDriver = driver) => bytesOf(await d.get(key)).then(() => 'read', (e: { code?: string }) => e.code)

    const altered = keyOf()
    await put(driver, altered, body)
    const file = path.join(root, altered)
    const bytes = readFileSync(file)
    bytes[CHUNK + 100] = bytes[CHUNK + 100]! ^ 1
    writeFileSync(file, bytes)
    expect(await failure(altered)).toBe('KL_COMPLIANCE_OBJECT_CORRUPT')

    const cut = keyOf()
    await put(driver, cut, body)
    // Exactly one whole sealed chunk dropped: only the final-chunk flag tells.
    truncateSync(path.join(root, cut), statSync(path.join(root, cut)).size - (CHUNK + 16))
    expect(await failure(cut)).toBe('KL_COMPLIANCE_OBJECT_CORRUPT')

    const other = keyOf()
    await put(driver, other, body)
    expect(await failure(other, encryptedDriver(inner, randomBytes(32)))).toBe('KL_COMPLIANCE_OBJECT_CORRUPT')
  })

  it('reads objects stored before encryption was turned on as they are', async () => {
    const inner = await createLocalDriver(root)
    const key = keyOf()
    await put(inner, key, MARKER)
    const driver = encryptedDriver(inner, KEY)
    expect(await driver.head(key)).toEqual({ size: MARKER.length })
    expect((await bytesOf(await driver.get(key, { start: 10, end: 15 }))).toString()).toBe(MARKER.subarray(10, 16).toString())
  })

  it('keeps its key in the database: made once with encryption, still read after it is turned off, absent otherwise', async () => {
    const inner = await createLocalDriver(root)
    const db = openDatabase(':memory:')
    try {
      expect(encryptObjectsWhenConfigured({}, db, inner)).toBe(inner)
      const encrypted = { database: { encryption: { key: { env: 'KOYA_DB_KEY' } } } }
      const first = encryptObjectsWhenConfigured(encrypted, db, inner)
      const key = keyOf()
      await put(first, key, MARKER)
      expect(readFileSync(path.join(root, key)).includes(MARKER)).toBe(false)
      // A restart uses the same key.
      expect((await bytesOf(await encryptObjectsWhenConfigured(encrypted, db, inner).get(key))).equals(MARKER)).toBe(true)
      // After `db decrypt`: encrypted objects still read, new ones stored plain.
      const after = encryptObjectsWhenConfigured({}, db, inner)
      expect((await bytesOf(await after.get(key))).equals(MARKER)).toBe(true)
      const plain = keyOf()
      await put(after, plain, MARKER)
      expect(readFileSync(path.join(root, plain)).equals(MARKER)).toBe(true)
    } finally {
      db.close()
    }
  })
})

describe('storage routes with database encryption configured', () => {
  it('uploads land encrypted on disk, and download and Range answer the plaintext', async () => {
    const t = await storageApp({ extend: (model) => ({ ...model, database: { encryption: { key: { env: 'KOYA_OBJECTS_TEST_KEY' } } } }) })
    try {
      const ada = await t.user('ada@example.com')
      const body = Buffer.concat([randomBytes(CHUNK + 7), MARKER, randomBytes(5000)])
      const uploaded = await fetch(`${t.url}/storage/open`, { method: 'POST', headers: { ...bearer(ada.token), 'content-type': 'application/octet-stream' }, body })
      expect(uploaded.status).toBe(201)
      const { id } = (await uploaded.json()) as { id: string }
      const files = readdirSync(t.root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => readFileSync(path.join(e.parentPath, e.name)))
      expect(files.length).toBeGreaterThan(0)
      expect(files.some((bytes) => bytes.includes(MARKER))).toBe(false)
      const whole = await fetch(`${t.url}/storage/open/${id}`)
      expect(whole.status).toBe(200)
      expect(Buffer.from(await whole.arrayBuffer()).equals(body)).toBe(true)
      const part = await fetch(`${t.url}/storage/open/${id}`, { headers: { range: `bytes=${CHUNK}-${CHUNK + 7 + MARKER.length - 1}` } })
      expect(part.status).toBe(206)
      expect(part.headers.get('content-range')).toBe(`bytes ${CHUNK}-${CHUNK + 7 + MARKER.length - 1}/${body.length}`)
      expect(Buffer.from(await part.arrayBuffer()).equals(body.subarray(CHUNK, CHUNK + 7 + MARKER.length))).toBe(true)
    } finally {
      await t.close()
    }
  })
})
