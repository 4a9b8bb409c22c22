import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { Readable, Transform, type TransformCallback } from 'node:stream'
import type { ProjectIR } from '../../ir/project-ir.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { ByteRange, StorageDriver } from '../storage/driver.ts'

/**
 * Local storage objects encrypted at rest (docs/compliance.md): AES-256-GCM in 64 KiB chunks, under
 * a random key kept in the encrypted database. Layout of a stored object:
 *
 *   "KLE1" | 8-byte random nonce prefix | chunk 0 | chunk 1 | … (each: ciphertext | 16-byte tag)
 *
 * Chunk i's nonce is the prefix and i (big-endian, 4 bytes); its additional data is the object's
 * key, i and whether it is the last chunk, so chunks cannot be moved between objects, reordered
 * or cut off unseen. A range is read by decrypting only the chunks it covers. An object stored
 * before encryption was turned on (no "KLE1") is read as it is.
 */
const MAGIC = Buffer.from('KLE1')
const HEADER = MAGIC.length + 8
const CHUNK = 64 * 1024
const TAG = 16
const SEALED = CHUNK + TAG

/** Where the objects key is kept: one row, inside the (SQLCipher-encrypted) database. */
const KEY_TABLE = '_koya_storage_key'

/**
 * The local driver wrapped to encrypt objects at rest when the app encrypts its database
 * (`database: { encryption }`), else the driver as it is. The objects key is a random 256-bit key
 * kept in the database itself (decision 145), so it is as protected as the database, travels
 * with its backups, and survives `koyalite db rekey` unchanged; made at the first start with
 * encryption. After `koyalite db decrypt` (no encryption configured, the key still in the
 * database) objects already encrypted stay readable and new ones are stored plain.
 *
 * @example
 * const driver = encryptObjectsWhenConfigured(model, db, await createStorageDriver(env, root))
 */
export function encryptObjectsWhenConfigured(model: Pick<ProjectIR, 'database'>, db: SqliteDatabase, driver: StorageDriver): StorageDriver {
  if (driver.kind !== 'local') return driver
  const encrypting = model.database?.encryption != null
  const stored = () => (db.prepare(`SELECT "key" FROM "${KEY_TABLE}" WHERE "id" = 1`).pluck().get() as Buffer | undefined)
  if (!encrypting) {
    const exists = db.prepare(`SELECT 1 FROM "sqlite_schema" WHERE "type" = 'table' AND "name" = ?`).pluck().get(KEY_TABLE) !== undefined
    const key = exists ? stored() : undefined
    return key === undefined ? driver : encryptedDriver(driver, key, { encryptWrites: false })
  }
  // Made here rather than by a system migration: only an app that encrypts has it.
  db.exec(`CREATE TABLE IF NOT EXISTS "${KEY_TABLE}" ("id" INTEGER PRIMARY KEY CHECK ("id" = 1), "key" BLOB NOT NULL)`)
  db.prepare(`INSERT OR IGNORE INTO "${KEY_TABLE}" ("id", "key") VALUES (1, ?)`).run(randomBytes(32))
  return encryptedDriver(driver, stored()!)
}

/** What rewriteStoredObjects did: objects rewritten, already in the wanted state, or missing on disk. */
export interface ObjectsRewrite {
  readonly rewritten: number
  readonly unchanged: number
  readonly missing: number
}

/**
 * Bring the local objects of `_koya_objects` to the database's state after `koyalite db encrypt`
 * (plain objects rewritten encrypted, under the objects key, made here when the database has none
 * yet) or `db decrypt` (encrypted objects rewritten plain). Each object is replaced by the local
 * driver's atomic put (temp file, fsync, rename), so a crash leaves every object whole, in one
 * state or the other, and a mixed set reads as it is (plain objects are recognised by their
 * first bytes); running it again finishes the rest. Cached thumbnails are removed, to be made
 * again in the new state. `db` is the database already in its new state (opened with the key
 * after encrypt).
 *
 * @example
 * const report = await rewriteStoredObjects(db, await createLocalDriver(root), 'encrypt')
 */
export async function rewriteStoredObjects(db: SqliteDatabase, local: StorageDriver, to: 'encrypt' | 'decrypt', removeThumbnails: () => Promise<void>): Promise<ObjectsRewrite> {
  if (local.kind !== 'local') return { rewritten: 0, unchanged: 0, missing: 0 }
  const hasObjects = db.prepare(`SELECT 1 FROM "sqlite_schema" WHERE "type" = 'table' AND "name" = '_koya_objects'`).pluck().get() !== undefined
  if (!hasObjects) return { rewritten: 0, unchanged: 0, missing: 0 }
  if (to === 'encrypt') {
    db.exec(`CREATE TABLE IF NOT EXISTS "${KEY_TABLE}" ("id" INTEGER PRIMARY KEY CHECK ("id" = 1), "key" BLOB NOT NULL)`)
    db.prepare(`INSERT OR IGNORE INTO "${KEY_TABLE}" ("id", "key") VALUES (1, ?)`).run(randomBytes(32))
  }
  const hasKey = db.prepare(`SELECT 1 FROM "sqlite_schema" WHERE "type" = 'table' AND "name" = ?`).pluck().get(KEY_TABLE) !== undefined
  const key = hasKey ? (db.prepare(`SELECT "key" FROM "${KEY_TABLE}" WHERE "id" = 1`).pluck().get() as Buffer | undefined) : undefined
  // Decrypting a database whose objects were never encrypted: nothing to do.
  if (key === undefined) return { rewritten: 0, unchanged: 0, missing: 0 }
  const sealing = encryptedDriver(local, key)
  const keys = db.prepare('SELECT "key" FROM "_koya_objects" ORDER BY "key"').pluck().all() as string[]
  let rewritten = 0
  let unchanged = 0
  let missing = 0
  for (const name of keys) {
    const state = await stateOf(local, name)
    if (state === undefined) {
      missing++ // an upload that never finished, or bytes already removed
      continue
    }
    if ((state === 'encrypted') === (to === 'encrypt')) {
      unchanged++
      continue
    }
    // Read whole first: the put replaces the file the read would still be streaming from.
    const plain = await collect((await (to === 'encrypt' ? local : sealing).get(name))!)
    await (to === 'encrypt' ? sealing : local).put(name, Readable.from([plain]), { contentType: 'application/octet-stream', size: plain.length })
    rewritten++
  }
  await removeThumbnails()
  return { rewritten, unchanged, missing }
}

/** Whether a stored object is encrypted (starts with the magic), plain, or absent. */
async function stateOf(driver: StorageDriver, name: string): Promise<'encrypted' | 'plain' | undefined> {
  const head = await driver.get(name, { start: 0, end: MAGIC.length - 1 })
  if (head === undefined) return undefined
  return (await collect(head)).equals(MAGIC) ? 'encrypted' : 'plain'
}

/**
 * `inner` with every object encrypted on put (unless `encryptWrites` is false) and every
 * encrypted object decrypted on get (AES-256-GCM, chunked); plain objects are read as they are.
 */
export function encryptedDriver(inner: StorageDriver, key: Buffer, options: { readonly encryptWrites?: boolean } = {}): StorageDriver {
  const plainSize = (stored: number) => {
    const chunks = Math.max(1, Math.ceil((stored - HEADER) / SEALED))
    return stored - HEADER - chunks * TAG
  }
  /** The object's first bytes: its nonce prefix when it is encrypted, undefined when plain. */
  const prefixOf = async (name: string): Promise<Buffer | null | undefined> => {
    const head = await inner.get(name, { start: 0, end: HEADER - 1 })
    if (head === undefined) return undefined
    const bytes = await collect(head)
    return bytes.length === HEADER && bytes.subarray(0, MAGIC.length).equals(MAGIC) ? bytes.subarray(MAGIC.length) : null
  }
  return {
    kind: inner.kind,
    put(name, body, info) {
      if (options.encryptWrites === false) return inner.put(name, body, info)
      const prefix = randomBytes(8)
      const sealed = body.pipe(new Seal(key, name, prefix))
      // pipe() forwards neither an error nor an early close: a cut-off upload must fail the put.
      body.once('error', (error) => sealed.destroy(error))
      body.once('close', () => {
        if (!body.readableEnded) sealed.destroy(new KoyaError('KL_STORAGE_BAD_UPLOAD', 'The upload stopped before its end.'))
      })
      const { size: _plain, ...rest } = info
      return inner.put(name, sealed, rest)
    },
    async head(name) {
      const stored = await inner.head(name)
      if (stored === undefined) return undefined
      return (await prefixOf(name)) === null ? stored : { size: plainSize(stored.size) }
    },
    async get(name, range) {
      const stored = await inner.head(name)
      if (stored === undefined) return undefined
      const prefix = await prefixOf(name)
      if (prefix === undefined) return undefined
      if (prefix === null) return inner.get(name, range)
      const size = plainSize(stored.size)
      const total = Math.max(1, Math.ceil(size / CHUNK))
      const wanted: ByteRange = range ?? { start: 0, end: size - 1 }
      if (size === 0) return Readable.from([])
      const first = Math.floor(wanted.start / CHUNK)
      const last = Math.floor(wanted.end / CHUNK)
      const from = HEADER + first * SEALED
      const to = Math.min(stored.size - 1, HEADER + (last + 1) * SEALED - 1)
      const sealed = await inner.get(name, { start: from, end: to })
      if (sealed === undefined) return undefined
      const open = new Open(key, name, prefix, first, total, wanted.start - first * CHUNK, wanted.end - wanted.start + 1)
      sealed.once('error', (error) => open.destroy(error))
      return sealed.pipe(open)
    },
    delete: (name) => inner.delete(name),
    close: () => inner.close(),
  }
}

function nonceOf(prefix: Buffer, index: number): Buffer {
  const nonce = Buffer.alloc(12)
  prefix.copy(nonce, 0)
  nonce.writeUInt32BE(index, 8)
  return nonce
}

function aadOf(name: string, index: number, final: boolean): Buffer {
  return Buffer.from(`${name}\0${index}\0${final ? 1 : 0}`)
}

/** Plaintext in, the stored layout out; the last chunk (maybe empty) is sealed as final. */
class Seal extends Transform {
  private pending: Buffer[] = []
  private pendingLength = 0
  private index = 0
  private started = false
  private readonly key: Buffer
  private readonly name: string
  private readonly prefix: Buffer

  constructor(key: Buffer, name: string, prefix: Buffer) {
    super()
    this.key = key
    this.name = name
    this.prefix = prefix
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (!this.started) {
      this.push(Buffer.concat([MAGIC, this.prefix]))
      this.started = true
    }
    this.pending.push(chunk)
    this.pendingLength += chunk.length
    // Keep at least one byte back: the final chunk is known only at the end.
    while (this.pendingLength > CHUNK) {
      const all = Buffer.concat(this.pending)
      this.push(this.seal(all.subarray(0, CHUNK), false))
      this.pending = [all.subarray(CHUNK)]
      this.pendingLength = all.length - CHUNK
    }
    done()
  }

  override _flush(done: TransformCallback): void {
    if (!this.started) this.push(Buffer.concat([MAGIC, this.prefix]))
    this.push(this.seal(Buffer.concat(this.pending), true))
    done()
  }

  private seal(plain: Buffer, final: boolean): Buffer {
    const cipher = createCipheriv('aes-256-gcm', this.key, nonceOf(this.prefix, this.index))
    cipher.setAAD(aadOf(this.name, this.index, final))
    this.index++
    return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()])
  }
}

/** Sealed chunks from `first` on in, the plaintext bytes [skip, skip + take) of them out. */
class Open extends Transform {
  private buffered: Buffer = Buffer.alloc(0)
  private index: number
  private skipping: number
  private remaining: number
  private readonly key: Buffer
  private readonly name: string
  private readonly prefix: Buffer
  private readonly total: number

  constructor(key: Buffer, name: string, prefix: Buffer, first: number, total: number, skip: number, take: number) {
    super()
    this.key = key
    this.name = name
    this.prefix = prefix
    this.index = first
    this.total = total
    this.skipping = skip
    this.remaining = take
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk])
    try {
      while (this.buffered.length >= SEALED) {
        this.open(this.buffered.subarray(0, SEALED))
        this.buffered = this.buffered.subarray(SEALED)
      }
      done()
    } catch (error) {
      done(error as Error)
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (this.buffered.length > 0) this.open(this.buffered)
      if (this.remaining > 0) throw new KoyaError('KL_COMPLIANCE_OBJECT_CORRUPT', `The stored object "${this.name}" is shorter than its size says.`)
      done()
    } catch (error) {
      done(error as Error)
    }
  }

  private open(sealed: Buffer): void {
    if (sealed.length < TAG) throw new KoyaError('KL_COMPLIANCE_OBJECT_CORRUPT', `The stored object "${this.name}" is cut off.`)
    const decipher = createDecipheriv('aes-256-gcm', this.key, nonceOf(this.prefix, this.index))
    decipher.setAAD(aadOf(this.name, this.index, this.index === this.total - 1))
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG))
    let plain: Buffer
    try {
      plain = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG)), decipher.final()])
    } catch (cause) {
      throw new KoyaError('KL_COMPLIANCE_OBJECT_CORRUPT', `The stored object "${this.name}" does not decrypt (altered, or another key).`, { cause })
    }
    this.index++
    const start = Math.min(this.skipping, plain.length)
    this.skipping -= start
    const piece = plain.subarray(start, start + this.remaining)
    this.remaining -= piece.length
    if (piece.length > 0) this.push(piece)
  }
}

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const part of stream) parts.push(part as Buffer)
  return Buffer.concat(parts)
}
