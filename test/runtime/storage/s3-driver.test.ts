import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { Readable } from 'node:stream'
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { abortStaleS3Uploads, createS3Driver, s3SettingsFromEnv, type S3Settings } from '../../../engine/runtime/storage/drivers/s3.ts'
import { DEFAULT_THUMBNAIL_LIMITS } from '../../../engine/runtime/storage/thumbnail-query.ts'
import { createThumbnailCache } from '../../../engine/runtime/storage/thumbnails.ts'
import { KoyaError } from '../../../engine/shared/errors.ts'
import { START_HOOK_TIMEOUT_MS, startS3Server, type S3TestServer } from '../../helpers/s3-server.ts'
import { describeStorageDriverContract } from '../../helpers/storage-contract.ts'
import { bearer, storageApp } from './storage-app.ts'
import { tusUpload } from './tus-client.ts'

// A real S3 server with real SigV4: Ceph radosgw (test/helpers/ceph-rgw.sh), one per test file.
let s3: S3TestServer
beforeAll(async () => {
  s3 = await startS3Server()
}, START_HOOK_TIMEOUT_MS)
afterAll(async () => {
  await s3?.stop()
})

describeStorageDriverContract('s3 (Ceph radosgw)', () => createS3Driver(s3.settings))

describe('the S3 driver against radosgw', () => {
  const codeOf = async (promise: Promise<unknown>) => {
    const error = await promise.then(() => undefined, (e: unknown) => e)
    expect(error).toBeInstanceOf(KoyaError)
    return (error as KoyaError).code
  }

  it('aborts the multipart upload of a body cut off after several parts: no upload is left pending', async () => {
    const driver = createS3Driver(s3.settings)
    const key = `cut/${randomBytes(4).toString('hex')}`
    let sent = 0
    const body = new Readable({
      read() {
        if (sent >= 30 * 1024 * 1024) return void setImmediate(() => this.destroy(new Error('socket hang up')))
        sent += 1024 * 1024
        this.push(randomBytes(1024 * 1024))
      },
    })
    expect(await codeOf(driver.put(key, body, { contentType: 'application/octet-stream' }))).toBe('KL_STORAGE_S3_UPLOAD_ABORTED')
    const client = rawClient(s3.settings)
    const pending = await client.send(new ListMultipartUploadsCommand({ Bucket: s3.settings.bucket, Prefix: key }))
    expect(pending.Uploads ?? []).toEqual([])
    expect(await driver.head(key)).toBeUndefined()
    client.destroy()
    await driver.close()
  }, 120_000)

  it('shows no object after a process is killed (-9) mid-upload; the stale multipart upload is aborted by the sweep', async () => {
    const key = `killed/${randomBytes(4).toString('hex')}`
    const child = spawn(process.execPath, [path.join(import.meta.dirname, '../../helpers/s3-upload-child.ts'), JSON.stringify(s3.settings), key], { stdio: ['ignore', 'pipe', 'inherit'] })
    const exited = new Promise((resolve) => child.once('exit', resolve))
    try {
      const lines = createInterface({ input: child.stdout! })
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the uploading child said nothing within 60 s')), 60_000)
        lines.on('line', (line) => line === 'parts sent' && (clearTimeout(timer), resolve()))
        child.once('exit', (code) => reject(new Error(`the uploading child exited with ${code}`)))
      })
      await new Promise((resolve) => setTimeout(resolve, 2000))
    } finally {
      child.kill('SIGKILL')
      await exited
    }
    const driver = createS3Driver(s3.settings)
    expect(await driver.head(key)).toBeUndefined()
    const client = rawClient(s3.settings)
    const pending = async () => (await client.send(new ListMultipartUploadsCommand({ Bucket: s3.settings.bucket, Prefix: key }))).Uploads ?? []
    expect(await pending()).toHaveLength(1)
    // A young upload may still be in progress: the sweep leaves it.
    expect(await abortStaleS3Uploads(s3.settings, 3600_000)).toBe(0)
    expect(await abortStaleS3Uploads(s3.settings, 0, Date.now() + 5000)).toBeGreaterThanOrEqual(1)
    expect(await pending()).toEqual([])
    client.destroy()
    await driver.close()
  }, 120_000)

  it('passes the body\'s own KoyaError through (a size limit hit while streaming)', async () => {
    const driver = createS3Driver(s3.settings)
    const limit = new KoyaError('KL_STORAGE_S3_FAILED', 'stand-in for the storage module\'s limit error')
    const body = new Readable({ read() { this.destroy(limit) } })
    await expect(driver.put('limit/x', body, { contentType: 'text/plain' })).rejects.toBe(limit)
    await driver.close()
  })

  it('answers KL_STORAGE_S3_ACCESS_DENIED when the secret is wrong (radosgw checks the SigV4 signature)', async () => {
    const driver = createS3Driver({ ...s3.settings, secretAccessKey: 'not-the-secret' })
    expect(await codeOf(driver.head('any/key'))).toBe('KL_STORAGE_S3_ACCESS_DENIED')
    expect(await codeOf(driver.put('any/key', Readable.from([Buffer.from('x')]), { contentType: 'text/plain' }))).toBe('KL_STORAGE_S3_ACCESS_DENIED')
    await driver.close()
  })

  it('answers KL_STORAGE_S3_NO_BUCKET for a bucket that does not exist', async () => {
    const driver = createS3Driver({ ...s3.settings, bucket: 'no-such-bucket-koya' })
    expect(await codeOf(driver.get('any/key'))).toBe('KL_STORAGE_S3_NO_BUCKET')
    await driver.close()
  })

  it('answers KL_STORAGE_S3_UNREACHABLE when nothing listens at the endpoint', async () => {
    const driver = createS3Driver({ ...s3.settings, endpoint: 'http://127.0.0.1:9' })
    expect(await codeOf(driver.head('any/key'))).toBe('KL_STORAGE_S3_UNREACHABLE')
    await driver.close()
  }, 30_000)

  it('answers KL_STORAGE_S3_INVALID_RANGE for a range past the end', async () => {
    const driver = createS3Driver(s3.settings)
    await driver.put('range/short', Readable.from([Buffer.from('12345')]), { contentType: 'text/plain' })
    expect(await codeOf(driver.get('range/short', { start: 10, end: 20 }))).toBe('KL_STORAGE_S3_INVALID_RANGE')
    await driver.close()
  })

  describe('presigned direct uploads (S3 POST policy)', () => {
    const upload = async (post: { url: string; fields: Readonly<Record<string, string>> }, bytes: Buffer, type: string, change: Record<string, string> = {}) => {
      const form = new FormData()
      for (const [name, value] of Object.entries({ ...post.fields, ...change })) form.append(name, value)
      form.append('file', new Blob([bytes], { type }), 'upload.bin')
      return fetch(post.url, { method: 'POST', body: form })
    }

    it('lets a client upload within the size and type; S3 refuses a larger body, another type, a tampered policy and an expired one', async () => {
      const driver = createS3Driver(s3.settings)
      const post = await driver.presignPut('direct/ok', { contentType: 'image/png', expiresIn: 60, maxSize: 1000 })
      expect(post.method).toBe('POST')
      expect((await upload(post, randomBytes(1000), 'image/png')).status).toBeLessThan(300)
      expect(await driver.head('direct/ok')).toEqual({ size: 1000 })

      const small = await driver.presignPut('direct/too-large', { contentType: 'image/png', expiresIn: 60, maxSize: 1000 })
      expect((await upload(small, randomBytes(1001), 'image/png')).status).toBe(400)
      expect((await upload(small, randomBytes(10), 'text/html', { 'Content-Type': 'text/html' })).status).toBe(403)
      const policy = JSON.parse(Buffer.from(small.fields.Policy!, 'base64').toString()) as { conditions: unknown[] }
      policy.conditions = policy.conditions.map((c) => (Array.isArray(c) && c[0] === 'content-length-range' ? ['content-length-range', 0, 10_000_000] : c))
      const tampered = await upload(small, randomBytes(5000), 'image/png', { Policy: Buffer.from(JSON.stringify(policy)).toString('base64') })
      expect(tampered.status).toBe(403)
      expect(await driver.head('direct/too-large')).toBeUndefined()

      const brief = await driver.presignPut('direct/expired', { contentType: 'image/png', expiresIn: 1, maxSize: 1000 })
      await new Promise((resolve) => setTimeout(resolve, 2100))
      expect((await upload(brief, randomBytes(10), 'image/png')).status).toBe(403)
      expect(await driver.head('direct/expired')).toBeUndefined()
      await driver.close()
    }, 30_000)

    it('refuses an expiry or size out of bounds with KL_STORAGE_S3_PRESIGN', async () => {
      const driver = createS3Driver(s3.settings)
      expect(await codeOf(driver.presignPut('x', { contentType: 'image/png', expiresIn: 0, maxSize: 10 }))).toBe('KL_STORAGE_S3_PRESIGN')
      expect(await codeOf(driver.presignPut('x', { contentType: 'image/png', expiresIn: 60, maxSize: -1 }))).toBe('KL_STORAGE_S3_PRESIGN')
      await driver.close()
    })
  })
})

describe('the thumbnail cache, stored through the S3 driver', () => {
  it('makes a thumbnail once under _thumbs/, serves it from there after, and forgets it on request', async () => {
    const driver = createS3Driver(s3.settings)
    const image = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#3366cc' } }).jpeg().toBuffer()
    await driver.put('photos/p1', Readable.from([image]), { contentType: 'image/jpeg' })
    const cache = createThumbnailCache(driver, DEFAULT_THUMBNAIL_LIMITS)
    let originals = 0
    const original = () => {
      originals++
      return driver.get('photos/p1')
    }
    const bytes = async (body: Readable) => Buffer.concat(await body.toArray())

    // Two requests at once for the same missing thumbnail make it once.
    const [first, second] = await Promise.all([cache.get('photos/p1', { width: 100 }, original), cache.get('photos/p1', { width: 100 }, original)])
    expect(originals).toBe(1)
    expect(first).toMatchObject({ contentType: 'image/webp', cached: false })
    expect((await bytes(second!.body)).equals(await bytes(first!.body))).toBe(true)
    expect(await driver.head('_thumbs/photos/p1/w100-h0-inside.webp')).toBeDefined()

    const again = await cache.get('photos/p1', { width: 100, fit: 'inside', format: 'webp' }, original)
    expect(again).toMatchObject({ cached: true })
    expect(originals).toBe(1)
    expect(await sharp(await bytes(again!.body)).metadata()).toMatchObject({ format: 'webp', width: 100, height: 75 })

    expect(await cache.get('photos/gone', { width: 100 }, () => driver.get('photos/gone'))).toBeUndefined()
    await cache.forget('photos/p1', [{ width: 100 }, { width: 200, height: 200 }])
    expect(await driver.head('_thumbs/photos/p1/w100-h0-inside.webp')).toBeUndefined()
    await driver.close()
  }, 30_000)
})

describe('S3 settings from the environment', () => {
  it('reads KOYA_S3_* with defaults for region, bucket and path style', () => {
    expect(s3SettingsFromEnv({ KOYA_S3_ENDPOINT: 'http://seaweedfs:8333', KOYA_S3_ACCESS_KEY_ID: 'a', KOYA_S3_SECRET_ACCESS_KEY: 'b' })).toEqual({
      endpoint: 'http://seaweedfs:8333', region: 'us-east-1', bucket: 'koyalite', accessKeyId: 'a', secretAccessKey: 'b', forcePathStyle: true,
    })
  })

  it('names every missing variable in KL_STORAGE_S3_SETTINGS', () => {
    expect(() => s3SettingsFromEnv({ KOYA_S3_ENDPOINT: 'http://x' })).toThrow(/KOYA_S3_ACCESS_KEY_ID, KOYA_S3_SECRET_ACCESS_KEY/)
    expect(() => s3SettingsFromEnv({ KOYA_S3_ENDPOINT: 'http://x', KOYA_S3_ACCESS_KEY_ID: 'a', KOYA_S3_SECRET_ACCESS_KEY: 'b', KOYA_S3_FORCE_PATH_STYLE: 'yes' })).toThrow(KoyaError)
  })
})

function rawClient(settings: S3Settings): S3Client {
  return new S3Client({ endpoint: settings.endpoint, region: settings.region, forcePathStyle: true, credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey } })
}

describe('resumable (tus) uploads stored through the S3 driver', () => {
  it('a tus upload in 1 MB chunks becomes one S3 object (a multipart upload), whole and downloadable', async () => {
    const server = await storageApp({ driver: createS3Driver(s3.settings) })
    try {
      const ada = await server.user('ada@example.com')
      const bytes = randomBytes(12 * 1024 * 1024)
      const { objectId } = await tusUpload(`${server.url}/storage/open/resumable`, bytes, { headers: bearer(ada.token), chunkSize: 1024 * 1024, metadata: { filename: 's3.bin' } }).promise
      const row = server.db.prepare('SELECT "key", "size" FROM "_koya_objects" WHERE "id" = ?').all(objectId) as { key: string; size: number }[]
      expect(row).toMatchObject([{ size: bytes.length }])
      const driver = createS3Driver(s3.settings)
      expect(await driver.head(row[0]!.key)).toEqual({ size: bytes.length })
      await driver.close()
      const body = Buffer.from(await (await fetch(`${server.url}/storage/open/${objectId}`)).arrayBuffer())
      expect(body.equals(bytes)).toBe(true)
    } finally {
      await server.close()
    }
  }, 120_000)
})
