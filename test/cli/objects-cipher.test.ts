import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { encryptedDriver } from '../../engine/runtime/compliance/encrypted-objects.ts'
import { createLocalDriver } from '../../engine/runtime/storage/drivers/local.ts'
import { openDatabase } from '../../engine/shared/sqlite.ts'
import { runCli } from '../helpers/cli.ts'
import { bearer, PNG, storageApp } from '../runtime/storage/storage-app.ts'

// Gap 4 of issue 22: objects stored before encryption was turned on are rewritten encrypted by
// `koyalite db encrypt`, and back by `db decrypt`; a mixed set reads fine in between.

const work = mkdtempSync(path.join(os.tmpdir(), 'koya-objects-cipher-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

const MARKER = Buffer.from('PLAINTEXT-MARKER-objects-cipher')
const BIG = Buffer.concat([Buffer.alloc(100_000, 7), MARKER, Buffer.alloc(50_000, 9)]) // two 64 KiB chunks and more
const KEY = 'the database key for objects'
const MAGIC = Buffer.from('KLE1')

async function bytesOf(stream: Readable | undefined): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const part of stream!) parts.push(part as Buffer)
  return Buffer.concat(parts)
}

describe('koyalite db encrypt | decrypt and the local storage objects', () => {
  it('rewrites plain objects encrypted, reads a mixed set in between, and decrypts them back', async () => {
    const dir = mkdtempSync(path.join(work, 'app-'))
    const file = path.join(dir, 'app.db')
    const upload = async (url: string, token: string, body: Buffer) => {
      const answer = await fetch(`${url}/storage/open`, { method: 'POST', headers: { ...bearer(token), 'content-type': 'application/octet-stream' }, body })
      expect(answer.status).toBe(201)
      return ((await answer.json()) as { id: string }).id
    }
    // Before encryption: two plain objects.
    const plainApp = await storageApp({ dir })
    const ada = await plainApp.user('ada-objects@example.com')
    const big = await upload(plainApp.url, ada.token, BIG)
    const small = await upload(plainApp.url, ada.token, PNG)
    await plainApp.close()
    // Objects encryption configured (the database itself still plain here): a new object is stored
    // encrypted, and the old plain ones still read: a mixed set.
    const mixedApp = await storageApp({ dir, extend: (model) => ({ ...model, database: { encryption: { key: { env: 'KOYA_DB_KEY' } } } }) })
    const login = await mixedApp.user('ada-objects@example.com')
    const sealed = await upload(mixedApp.url, login.token, BIG)
    const contents: Record<string, Buffer> = { [big]: BIG, [small]: PNG, [sealed]: BIG }
    for (const [id, bytes] of Object.entries(contents)) {
      const answer = await fetch(`${mixedApp.url}/storage/open/${id}`, { headers: bearer(login.token) })
      expect(Buffer.from(await answer.arrayBuffer()).equals(bytes), id).toBe(true)
    }
    await mixedApp.close()
    const plainDb = openDatabase(file)
    const keys = Object.fromEntries(Object.keys(contents).map((id) => [id, plainDb.prepare('SELECT "key" FROM "_koya_objects" WHERE "id" = ?').pluck().get(id) as string]))
    plainDb.close()
    const onDisk = (id: string) => readFileSync(path.join(dir, 'storage', keys[id]!))
    expect(onDisk(big).includes(MARKER)).toBe(true)
    expect(onDisk(sealed).includes(MARKER)).toBe(false)

    const encrypt = await runCli(work, ['db', 'encrypt', '--db', file], { KOYA_DB_KEY: KEY })
    expect(encrypt.code, encrypt.err).toBe(0)
    expect(encrypt.out).toContain('storage objects: 2 encrypted, 1 already encrypted')
    for (const id of Object.keys(contents)) {
      expect(onDisk(id).subarray(0, 4).equals(MAGIC), id).toBe(true)
      expect(onDisk(id).includes(MARKER), id).toBe(false)
    }
    // They decrypt, under the objects key kept in the (now encrypted) database.
    const db = openDatabase(file, { encryption: { key: KEY } })
    const objectsKey = db.prepare('SELECT "key" FROM "_koya_storage_key"').pluck().get() as Buffer
    db.close()
    const reader = encryptedDriver(await createLocalDriver(path.join(dir, 'storage')), objectsKey)
    for (const [id, bytes] of Object.entries(contents)) expect((await bytesOf(await reader.get(keys[id]!))).equals(bytes), id).toBe(true)

    // An interrupted rewrite (one object left plain) is finished by --objects-only.
    const plainCopy = path.join(work, 'plain-copy')
    const decrypt = await runCli(work, ['db', 'decrypt', '--db', file], { KOYA_DB_KEY: KEY })
    expect(decrypt.code, decrypt.err).toBe(0)
    expect(decrypt.out).toContain('storage objects: 3 decrypted, 0 already decrypted')
    for (const [id, bytes] of Object.entries(contents)) expect(onDisk(id).equals(bytes), id).toBe(true)
    copyFileSync(path.join(dir, 'storage', keys[big]!), plainCopy)
    expect((await runCli(work, ['db', 'encrypt', '--db', file], { KOYA_DB_KEY: KEY })).code).toBe(0)
    copyFileSync(plainCopy, path.join(dir, 'storage', keys[big]!))
    const finish = await runCli(work, ['db', 'encrypt', '--db', file, '--objects-only'], { KOYA_DB_KEY: KEY })
    expect(finish.code, finish.err).toBe(0)
    expect(finish.out).toContain('storage objects: 1 encrypted, 2 already encrypted')
    expect(onDisk(big).includes(MARKER)).toBe(false)
  })
})
