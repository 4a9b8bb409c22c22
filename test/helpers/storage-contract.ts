import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StorageDriver } from '../../engine/runtime/storage/driver.ts'

/**
 * The behaviour every StorageDriver owes the storage module (engine/runtime/storage/driver.ts),
 * as one suite a driver's test file runs against a real backend: the local disk in a temp dir,
 * S3 against radosgw. `makeDriver` is called once, after the file's own beforeAll hooks.
 *
 * @example
 * describeStorageDriverContract('s3 (radosgw)', async () => createS3Driver(s3.settings))
 */
export function describeStorageDriverContract(name: string, makeDriver: () => Promise<StorageDriver> | StorageDriver): void {
  describe(`StorageDriver contract: ${name}`, () => {
    let driver: StorageDriver
    const prefix = `contract-${randomBytes(4).toString('hex')}`
    const key = (suffix: string) => `${prefix}/${suffix}`

    beforeAll(async () => {
      driver = await makeDriver()
    })
    afterAll(async () => {
      await driver?.close()
    })

    it('stores bytes under a key and gives the same bytes and size back', async () => {
      const bytes = randomBytes(100_000)
      await driver.put(key('a'), Readable.from([bytes.subarray(0, 30_000), bytes.subarray(30_000)]), { contentType: 'application/octet-stream', size: bytes.length })
      expect(await driver.head(key('a'))).toEqual({ size: 100_000 })
      expect((await readAll(await driver.get(key('a')))).equals(bytes)).toBe(true)
    })

    it('reads inclusive byte ranges: the first byte, a middle slice, the last bytes', async () => {
      const bytes = Buffer.from('0123456789abcdefghij')
      await driver.put(key('range'), Readable.from([bytes]), { contentType: 'text/plain' })
      expect((await readAll(await driver.get(key('range'), { start: 0, end: 0 }))).toString()).toBe('0')
      expect((await readAll(await driver.get(key('range'), { start: 5, end: 9 }))).toString()).toBe('56789')
      expect((await readAll(await driver.get(key('range'), { start: 17, end: 19 }))).toString()).toBe('hij')
    })

    it('answers undefined for a key that was never stored, and deleting it is no error', async () => {
      expect(await driver.head(key('never'))).toBeUndefined()
      expect(await driver.get(key('never'))).toBeUndefined()
      expect(await driver.get(key('never'), { start: 0, end: 10 })).toBeUndefined()
      await expect(driver.delete(key('never'))).resolves.toBeUndefined()
    })

    it('deletes: the object is gone for head and get', async () => {
      await driver.put(key('gone'), Readable.from([Buffer.from('bye')]), { contentType: 'text/plain' })
      expect(await driver.head(key('gone'))).toEqual({ size: 3 })
      await driver.delete(key('gone'))
      expect(await driver.head(key('gone'))).toBeUndefined()
      expect(await driver.get(key('gone'))).toBeUndefined()
    })

    it('deleting an object removes its cached thumbnails, of any size', async () => {
      await driver.put(key('pictured'), Readable.from([Buffer.from('image bytes')]), { contentType: 'image/png' })
      const thumbs = ['w100-h100-cover.webp', 'w37-h0-inside.png'].map((name) => `_thumbs/${key('pictured')}/${name}`)
      for (const thumb of thumbs) await driver.put(thumb, Readable.from([Buffer.from('thumb')]), { contentType: 'image/webp' })
      await driver.put(key('pictured2'), Readable.from([Buffer.from('other')]), { contentType: 'image/png' })
      const kept = `_thumbs/${key('pictured2')}/w100-h100-cover.webp`
      await driver.put(kept, Readable.from([Buffer.from('thumb')]), { contentType: 'image/webp' })
      await driver.delete(key('pictured'))
      for (const thumb of thumbs) expect(await driver.head(thumb)).toBeUndefined()
      expect(await driver.head(kept)).toEqual({ size: 5 })
    })

    it('stores a zero-byte object', async () => {
      await driver.put(key('empty'), Readable.from([]), { contentType: 'text/plain', size: 0 })
      expect(await driver.head(key('empty'))).toEqual({ size: 0 })
      expect((await readAll(await driver.get(key('empty')))).length).toBe(0)
    })

    it('replaces an object stored again under the same key', async () => {
      await driver.put(key('twice'), Readable.from([Buffer.from('first version')]), { contentType: 'text/plain' })
      await driver.put(key('twice'), Readable.from([Buffer.from('second')]), { contentType: 'text/plain' })
      expect((await readAll(await driver.get(key('twice')))).toString()).toBe('second')
    })

    it('streams 50 MB up and down without holding it in memory', async () => {
      const size = 50 * 1024 * 1024
      const memory = watchMemory()
      const sent = await driver.put(key('large'), generated(size, 1), { contentType: 'application/octet-stream' }).then(() => digestOf(size, 1))
      const uploadGrowth = await memory.stop()
      expect(await driver.head(key('large'))).toEqual({ size })
      const download = watchMemory()
      const received = await hashStream(await driver.get(key('large')))
      const downloadGrowth = await download.stop()
      console.log(`[${name}] 50 MB: memory held upload ${(uploadGrowth / 1048576).toFixed(1)} MB, download ${(downloadGrowth / 1048576).toFixed(1)} MB`)
      expect(received).toEqual({ bytes: size, sha256: sent })
      // Holding the object whole would take at least 50 MB; a streamed path holds a few parts (S3: two 5 MiB parts in flight).
      expect(uploadGrowth).toBeLessThan(45 * 1024 * 1024)
      expect(downloadGrowth).toBeLessThan(45 * 1024 * 1024)
      const tail = await readAll(await driver.get(key('large'), { start: size - 10, end: size - 1 }))
      expect(tail.length).toBe(10)
    }, 180_000)

    it('leaves nothing under the key when the body fails mid-stream, short or long', async () => {
      for (const [label, before] of [['short', 1000], ['long', 20 * 1024 * 1024]] as const) {
        const body = failingAfter(before, new Error(`client went away (${label})`))
        await expect(driver.put(key(`cut-${label}`), body, { contentType: 'application/octet-stream', size: before * 2 })).rejects.toThrow()
        expect(await driver.head(key(`cut-${label}`))).toBeUndefined()
        expect(await driver.get(key(`cut-${label}`))).toBeUndefined()
      }
    }, 120_000)

    it('leaves nothing when the body is destroyed without an error', async () => {
      const body = new Readable({ read() {} })
      body.push(randomBytes(4096))
      setTimeout(() => body.destroy(), 50)
      await expect(driver.put(key('destroyed'), body, { contentType: 'application/octet-stream' })).rejects.toThrow()
      expect(await driver.head(key('destroyed'))).toBeUndefined()
    })

    it('keeps concurrent puts apart', async () => {
      const bodies = Array.from({ length: 12 }, (_, i) => randomBytes(10_000 + i * 997))
      await Promise.all(bodies.map((bytes, i) => driver.put(key(`many-${i}`), Readable.from([bytes]), { contentType: 'application/octet-stream' })))
      const back = await Promise.all(bodies.map(async (_, i) => readAll(await driver.get(key(`many-${i}`)))))
      back.forEach((bytes, i) => expect(bytes.equals(bodies[i]!)).toBe(true))
    }, 60_000)
  })
}

async function readAll(body: Readable | undefined): Promise<Buffer> {
  expect(body).toBeDefined()
  const chunks: Buffer[] = []
  for await (const chunk of body!) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

async function hashStream(body: Readable | undefined): Promise<{ bytes: number; sha256: string }> {
  expect(body).toBeDefined()
  const hash = createHash('sha256')
  let bytes = 0
  for await (const chunk of body!) {
    hash.update(chunk as Buffer)
    bytes += (chunk as Buffer).length
  }
  return { bytes, sha256: hash.digest('hex') }
}

/** `size` deterministic bytes in 64 KiB chunks, made as they are read. */
function generated(size: number, seed: number): Readable {
  return Readable.from(chunksOf(size, seed))
}

function* chunksOf(size: number, seed: number): Generator<Buffer> {
  const block = createHash('sha512').update(`seed-${seed}`).digest()
  for (let sent = 0, n = 0; sent < size; n++) {
    const length = Math.min(65_536, size - sent)
    const chunk = Buffer.alloc(length, block)
    chunk.writeUInt32BE(n, 0)
    sent += length
    yield chunk
  }
}

function digestOf(size: number, seed: number): string {
  const hash = createHash('sha256')
  for (const chunk of chunksOf(size, seed)) hash.update(chunk)
  return hash.digest('hex')
}

/** A body that sends `before` bytes, then fails as a dropped client connection does. */
function failingAfter(before: number, error: Error): Readable {
  let sent = 0
  return new Readable({
    read() {
      if (sent >= before) {
        setImmediate(() => this.destroy(error))
        return
      }
      const length = Math.min(65_536, before - sent)
      sent += length
      this.push(randomBytes(length))
    },
  })
}

/**
 * The peak growth of the memory the process holds while it runs: V8's used heap plus the memory
 * outside it (Buffers), read every 25 ms; a reading above the peak so far counts only once a full
 * garbage collection confirms it, so garbage V8 has not yet collected is not counted (freed
 * Buffers may pile up to ~64 MB before V8 collects them on its own).
 *
 * Why not RSS (decision 164): RSS also counts pages the allocator keeps after they are freed and
 * V8's spare heap pages, so it read 3.6 MB on one run and 37 MB on the next of the same upload,
 * and 49.7 MB in CI under load, with nothing held. And why not a full collection at every sample
 * (as before): each costs 40-100 ms in a test process, which starved the stream under test (70 s
 * alone, over 180 s beside other work).
 */
function watchMemory(): { stop(): Promise<number> } {
  const collect = fullGc()
  const held = () => {
    const usage = process.memoryUsage()
    return usage.heapUsed + usage.external
  }
  // V8 frees dead buffers' memory after a full collection, concurrently: read what is held after
  // a collection, a turn of the event loop and another collection, so memory being released is
  // not counted as held (decision 164).
  const settled = () => new Promise<number>((resolve) => {
    collect()
    setImmediate(() => {
      collect()
      resolve(held())
    })
  })
  collect()
  const base = held()
  let peak = base
  let measuring = false
  const sample = () => {
    if (measuring || held() <= peak + 1024 * 1024) return
    measuring = true
    void settled().then((value) => {
      peak = Math.max(peak, value)
      measuring = false
    })
  }
  const timer = setInterval(sample, 25)
  return {
    async stop() {
      clearInterval(timer)
      peak = Math.max(peak, await settled())
      return peak - base
    },
  }
}

function fullGc(): () => void {
  if (typeof globalThis.gc === 'function') return globalThis.gc as () => void
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}
