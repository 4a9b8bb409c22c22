import type { Readable } from 'node:stream'
import { AbortMultipartUploadCommand, CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { createPresignedPost } from '@aws-sdk/s3-presigned-post'
import { KoyaError } from '../../../shared/errors.ts'
import type { ByteRange, PutInfo, StorageDriver } from '../driver.ts'
import { isS3NotFound, s3Error, s3Status } from './s3-errors.ts'

/** Where thumbnails are cached beside their objects (runtime/storage/thumbnails.ts THUMBNAIL_PREFIX). */
const THUMBNAILS = '_thumbs/'

/** Where the S3 driver keeps bytes: one bucket of an S3-compatible server (SeaweedFS, Ceph, AWS). */
export interface S3Settings {
  /** The server's URL, e.g. `http://seaweedfs:8333` (empty: AWS's endpoint for `region`). */
  endpoint: string
  region: string
  /** The one S3 bucket all of the app's storage buckets live in (keys start with the bucket name). */
  bucket: string
  accessKeyId: string
  secretAccessKey: string
  /** `http://host/bucket/key` instead of `http://bucket.host/key`: what SeaweedFS and Ceph want. */
  forcePathStyle: boolean
}

/** A direct upload a client makes to S3 itself: an HTML-form POST of `fields` plus the file. */
export interface PresignedUpload {
  readonly method: 'POST'
  readonly url: string
  /** Form fields to send before the `file` field, as they are. */
  readonly fields: Readonly<Record<string, string>>
  readonly expiresAt: string
}

export interface PresignPutOptions {
  readonly contentType: string
  /** Seconds the upload stays allowed. */
  readonly expiresIn: number
  /** The largest body S3 will accept, in bytes (S3 refuses a larger one with EntityTooLarge). */
  readonly maxSize: number
}

/** The S3 driver, plus what only S3 can do: let a client upload straight to the server. */
export interface S3StorageDriver extends StorageDriver {
  readonly kind: 's3'
  /**
   * A presigned upload of `key`: S3 itself enforces the content type, the maximum size and the
   * expiry, and refuses a tampered form (SigV4 over the policy document). The storage module
   * records the object once the client reports the upload done and `head` finds it.
   */
  presignPut(key: string, options: PresignPutOptions): Promise<PresignedUpload>
}

/**
 * Parts of a multipart upload: 5 MiB (S3's minimum), at most 2 in flight, so a streamed upload of
 * any length holds a few parts of its body in memory (lib-storage copies each part once as it
 * assembles it): about 30 MiB at the peak, measured by the driver contract's 50 MB test.
 */
const PART_SIZE = 5 * 1024 * 1024
const PARTS_IN_FLIGHT = 2
const PRESIGN_MAX_SECONDS = 7 * 24 * 3600

/**
 * A StorageDriver over an S3-compatible server, with real SigV4 (`@aws-sdk/client-s3`).
 *
 * Uploads stream through `@aws-sdk/lib-storage`: one PutObject for a body shorter than a part,
 * a multipart upload otherwise, so neither length nor memory limits the body. An upload whose body
 * fails or is destroyed never completes: the multipart upload is aborted and S3 never shows a
 * partial object. Failures are `KL_STORAGE_S3_*` KoyaErrors.
 *
 * @example
 * const driver = createS3Driver({ endpoint: 'http://127.0.0.1:8333', region: 'us-east-1', bucket: 'koyalite',
 *   accessKeyId: process.env.KOYA_S3_ACCESS_KEY_ID!, secretAccessKey: process.env.KOYA_S3_SECRET_ACCESS_KEY!, forcePathStyle: true })
 * await driver.put('attachments/0192…', fs.createReadStream('a.pdf'), { contentType: 'application/pdf' })
 * const body = await driver.get('attachments/0192…', { start: 0, end: 1023 })
 */
export function createS3Driver(settings: S3Settings): S3StorageDriver {
  const client = createS3Client(settings)
  const Bucket = settings.bucket

  return {
    kind: 's3',

    async put(key: string, body: Readable, info: PutInfo): Promise<void> {
      if (body.destroyed) throw bodyFailure(key, body.errored ?? undefined)
      // The body's own failure (a limit hit, a client gone) is what the caller wants to see.
      let bodyError: unknown
      let bodyClosedEarly = false
      const onError = (error: unknown) => (bodyError ??= error)
      const onClose = () => (bodyClosedEarly = !body.readableEnded)
      body.on('error', onError)
      body.on('close', onClose)
      const upload = new Upload({
        client,
        params: { Bucket, Key: key, Body: body, ContentType: info.contentType },
        partSize: PART_SIZE,
        queueSize: PARTS_IN_FLIGHT,
        leavePartsOnError: false,
      })
      try {
        await upload.done()
        if (bodyError !== undefined || bodyClosedEarly) {
          // A body that was cut off after its last chunk was read can still have completed: undo.
          await client.send(new DeleteObjectCommand({ Bucket, Key: key })).catch(() => undefined)
          throw bodyFailure(key, bodyError)
        }
      } catch (error) {
        if (bodyError !== undefined || bodyClosedEarly) throw bodyFailure(key, bodyError ?? error)
        throw s3Error(error, 'upload', key)
      } finally {
        body.off('error', onError)
        body.off('close', onClose)
      }
    },

    async get(key: string, range?: ByteRange): Promise<Readable | undefined> {
      try {
        const response = await client.send(new GetObjectCommand({ Bucket, Key: key, Range: range ? `bytes=${range.start}-${range.end}` : undefined }))
        return response.Body as Readable
      } catch (error) {
        if (isS3NotFound(error)) return undefined
        throw s3Error(error, 'download', key)
      }
    },

    async head(key: string): Promise<{ readonly size: number } | undefined> {
      try {
        const response = await client.send(new HeadObjectCommand({ Bucket, Key: key }))
        return { size: response.ContentLength ?? 0 }
      } catch (error) {
        if (isS3NotFound(error)) return undefined
        throw s3Error(error, 'head', key)
      }
    },

    async delete(key: string): Promise<void> {
      const remove = async (one: string) => {
        try {
          await client.send(new DeleteObjectCommand({ Bucket, Key: one }))
        } catch (error) {
          if (!isS3NotFound(error)) throw s3Error(error, 'delete', one)
        }
      }
      await remove(key)
      // An object's cached thumbnails (`_thumbs/<key>/…`, any size that was asked for) go with it.
      if (key.startsWith(THUMBNAILS)) return
      let token: string | undefined
      do {
        let page
        try {
          page = await client.send(new ListObjectsV2Command({ Bucket, Prefix: `${THUMBNAILS}${key}/`, ...(token === undefined ? {} : { ContinuationToken: token }) }))
        } catch (error) {
          throw s3Error(error, 'delete', key)
        }
        for (const item of page.Contents ?? []) if (item.Key !== undefined) await remove(item.Key)
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined
      } while (token !== undefined)
    },

    async presignPut(key: string, options: PresignPutOptions): Promise<PresignedUpload> {
      const expiresIn = Math.floor(options.expiresIn)
      if (!(expiresIn >= 1 && expiresIn <= PRESIGN_MAX_SECONDS) || !(Number.isSafeInteger(options.maxSize) && options.maxSize >= 0)) {
        throw new KoyaError('KL_STORAGE_S3_PRESIGN', `A presigned upload of "${key}" needs an expiry of 1 to ${PRESIGN_MAX_SECONDS} seconds and a whole maximum size (got ${options.expiresIn} s, ${options.maxSize} bytes).`)
      }
      try {
        const post = await createPresignedPost(client, {
          Bucket,
          Key: key,
          Expires: expiresIn,
          Fields: { 'Content-Type': options.contentType },
          Conditions: [
            ['content-length-range', 0, options.maxSize],
            ['eq', '$Content-Type', options.contentType],
          ],
        })
        return { method: 'POST', url: post.url, fields: post.fields, expiresAt: new Date(Date.now() + expiresIn * 1000).toISOString() }
      } catch (error) {
        throw s3Error(error, 'presign', key)
      }
    },

    async close(): Promise<void> {
      client.destroy()
    },
  }
}

/**
 * Make the settings' bucket when it is missing (a fresh SeaweedFS in the Docker stack has none).
 * Run once at boot, before the driver serves; an existing bucket is left as it is.
 */
export async function ensureS3Bucket(settings: S3Settings): Promise<void> {
  const client = createS3Client(settings)
  try {
    try {
      await client.send(new HeadBucketCommand({ Bucket: settings.bucket }))
      return
    } catch (error) {
      if (s3Status(error) !== 404) throw error
    }
    await client.send(new CreateBucketCommand({ Bucket: settings.bucket }))
  } catch (error) {
    if ((error as { name?: string }).name === 'BucketAlreadyOwnedByYou') return
    throw s3Error(error, 'create bucket', settings.bucket)
  } finally {
    client.destroy()
  }
}

/**
 * Abort the multipart uploads begun more than `olderThanMs` ago and never completed: what a
 * process killed mid-upload (kill -9, a crash, a lost container) leaves behind. Their parts are
 * never visible as an object but take space until aborted. Run at boot with an age longer than
 * any upload in progress may take (e.g. a day). Returns how many were aborted.
 *
 * @example
 * await abortStaleS3Uploads(settings, 24 * 3600_000)
 */
export async function abortStaleS3Uploads(settings: S3Settings, olderThanMs: number, now = Date.now()): Promise<number> {
  const client = createS3Client(settings)
  let aborted = 0
  try {
    let KeyMarker: string | undefined
    let UploadIdMarker: string | undefined
    for (;;) {
      const page = await client.send(new ListMultipartUploadsCommand({ Bucket: settings.bucket, KeyMarker, UploadIdMarker }))
      for (const upload of page.Uploads ?? []) {
        if (!upload.Key || !upload.UploadId || (upload.Initiated && upload.Initiated.getTime() > now - olderThanMs)) continue
        await client.send(new AbortMultipartUploadCommand({ Bucket: settings.bucket, Key: upload.Key, UploadId: upload.UploadId }))
        aborted++
      }
      if (!page.IsTruncated) return aborted
      KeyMarker = page.NextKeyMarker
      UploadIdMarker = page.NextUploadIdMarker
    }
  } catch (error) {
    throw s3Error(error, 'abort stale uploads', settings.bucket)
  } finally {
    client.destroy()
  }
}

/**
 * The S3 settings from the environment the Docker stack gives the API container:
 * `KOYA_S3_ENDPOINT`, `KOYA_S3_REGION` (default us-east-1), `KOYA_S3_BUCKET` (default koyalite),
 * `KOYA_S3_ACCESS_KEY_ID`, `KOYA_S3_SECRET_ACCESS_KEY`, `KOYA_S3_FORCE_PATH_STYLE` (default true).
 *
 * @example
 * const driver = createS3Driver(s3SettingsFromEnv(process.env))
 * @throws KoyaError KL_STORAGE_S3_SETTINGS naming every missing variable.
 */
export function s3SettingsFromEnv(env: Readonly<Record<string, string | undefined>>): S3Settings {
  const missing = ['KOYA_S3_ENDPOINT', 'KOYA_S3_ACCESS_KEY_ID', 'KOYA_S3_SECRET_ACCESS_KEY'].filter((name) => !env[name])
  const pathStyle = env.KOYA_S3_FORCE_PATH_STYLE ?? 'true'
  if (missing.length > 0 || !['true', 'false'].includes(pathStyle)) {
    throw new KoyaError('KL_STORAGE_S3_SETTINGS', missing.length > 0 ? `The S3 storage driver needs ${missing.join(', ')}.` : `KOYA_S3_FORCE_PATH_STYLE must be "true" or "false", not "${pathStyle}".`)
  }
  return {
    endpoint: env.KOYA_S3_ENDPOINT!,
    region: env.KOYA_S3_REGION || 'us-east-1',
    bucket: env.KOYA_S3_BUCKET || 'koyalite',
    accessKeyId: env.KOYA_S3_ACCESS_KEY_ID!,
    secretAccessKey: env.KOYA_S3_SECRET_ACCESS_KEY!,
    forcePathStyle: pathStyle === 'true',
  }
}

function createS3Client(settings: S3Settings): S3Client {
  return new S3Client({
    endpoint: settings.endpoint || undefined,
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
    // Checksums only where S3 requires them: servers other than AWS (Ceph, older SeaweedFS)
    // refuse the aws-chunked trailers the SDK otherwise adds to every upload.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
  })
}

function bodyFailure(key: string, cause: unknown): KoyaError {
  if (cause instanceof KoyaError) return cause
  return new KoyaError('KL_STORAGE_S3_UPLOAD_ABORTED', `The upload of "${key}" stopped before its body ended; nothing was stored.`, { cause })
}
