import path from 'node:path'
import { randomBytes } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { STORAGE_OPERATIONS, storageRouteId, storageRoutes } from '../../ir/routes/storage-routes.ts'
import { OBJECTS_TABLE } from '../../ir/storage-objects.ts'
import { KoyaError } from '../../shared/errors.ts'
import { registerContractRoutes, type RouteHandler } from '../http/route-contract.ts'
import { defineModule } from '../modules/feature-module.ts'
import type { StorageDriver } from './driver.ts'
import { encryptObjectsWhenConfigured } from '../compliance/encrypted-objects.ts'
import { createStorageDriver, defaultStorageRoot } from './drivers/index.ts'
import { watchFileColumns } from './files-on-rows.ts'
import { bucketHandlers, type ObjectRow } from './object-handlers.ts'
import { resumableHandlers } from './resumable-handlers.ts'
import { STORAGE_MIGRATIONS } from './objects-schema.ts'
import { startResumableUploads } from './resumable-uploads.ts'
import { createUrlSigner } from './signed-urls.ts'

export interface StorageModuleOptions {
  /** The local driver's directory. Default `$KOYA_STORAGE_DIR`, else `storage/` beside the database file. */
  readonly root?: string
  /** A driver made by the caller (tests, tools); default: the one the environment selects. */
  readonly driver?: StorageDriver
  /** The secret signed URLs are signed with. Default `$KOYA_STORAGE_SECRET`, else a random one per process. */
  readonly secret?: string
}

/** Bodies of the JSON endpoints (sign, metadata update) are small. */
const JSON_BODY_LIMIT = 64 * 1024

/**
 * `/storage/<bucket>` for each bucket of the app (docs/storage.md): streamed uploads, downloads
 * with ranges, signed URLs, quotas. Object rows live in `_koya_objects` and are read and written
 * through the data layer, so the buckets' compiled rules decide every operation; the bytes go
 * through a StorageDriver (local disk by default, S3 with KOYA_STORAGE_DRIVER=s3). Deleted rows'
 * bytes are removed after the commit, by a write-event subscriber.
 */
export const storageModule = defineModule<StorageModuleOptions | undefined>({
  name: 'storage',
  systemMigrations: STORAGE_MIGRATIONS,
  async register(app, runtime, options) {
    const buckets = runtime.model.buckets ?? []
    if (buckets.length === 0) return
    const actorOf = runtime.actorOf
    if (actorOf === undefined) throw new KoyaError('KL_INT_UNEXPECTED', 'The storage module needs the auth module registered before it.')
    const root = options?.root ?? defaultStorageRoot(runtime.db.memory ? ':memory:' : runtime.db.name, runtime.env)
    const chosen = options?.driver ?? (await createStorageDriver(runtime.env, root, (error) => app.log.warn({ err: error }, 'stale S3 multipart uploads could not be aborted')))
    // With database encryption, local objects are encrypted at rest too (docs/compliance.md).
    const driver = encryptObjectsWhenConfigured(runtime.model, runtime.db, chosen)
    const secret = options?.secret ?? runtime.env.KOYA_STORAGE_SECRET
    if (secret === undefined) app.log.warn('KOYA_STORAGE_SECRET is not set: signed storage URLs stop working when the server restarts')
    const signer = createUrlSigner(secret ?? randomBytes(32).toString('base64url'))

    // Uploads are streams: no parser may read them. Every other body here is small JSON.
    const uploadPaths = new Set(buckets.map((bucket) => `/storage/${bucket.name}`))
    const resumablePaths = new Set(buckets.map((bucket) => `/storage/${bucket.name}/resumable/:uploadId`))
    const isUpload = (request: FastifyRequest) =>
      (request.method === 'POST' && uploadPaths.has(request.routeOptions.url ?? '')) || (request.method === 'PATCH' && resumablePaths.has(request.routeOptions.url ?? ''))
    app.removeAllContentTypeParsers()
    app.addContentTypeParser('*', (request, payload, done) => {
      if (isUpload(request)) {
        done(null, undefined)
        return
      }
      const chunks: Buffer[] = []
      let length = 0
      payload.on('data', (chunk: Buffer) => {
        length += chunk.length
        if (length > JSON_BODY_LIMIT) payload.destroy(new KoyaError('KL_API_PAYLOAD_TOO_LARGE', `The body is over ${JSON_BODY_LIMIT} bytes.`))
        else chunks.push(chunk)
      })
      payload.on('error', (error) => done(error, undefined))
      payload.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        if (text.trim() === '') return done(null, undefined)
        try {
          done(null, JSON.parse(text))
        } catch {
          done(new KoyaError('KL_API_BAD_REQUEST', 'The body is not JSON.'), undefined)
        }
      })
    })
    // Limits here are only a backstop: the upload meter enforces each bucket's maxSize.
    // Loaded only by an app with buckets (the module returns above otherwise).
    const { default: multipart } = await import('@fastify/multipart')
    await app.register(multipart, { limits: { files: 1, fields: 10, fieldSize: 1024, parts: 12 } })

    const ctx = { data: runtime.data, db: runtime.db, driver, signer, clock: runtime.clock, actorOf }
    const resumable = await startResumableUploads(root, runtime.clock, (error) => app.log.warn({ err: error }, 'removing expired resumable uploads failed'))
    const handlers: Record<string, RouteHandler> = Object.assign({}, ...buckets.map((bucket) => ({ ...bucketHandlers(bucket, ctx), ...resumableHandlers(bucket, { ...ctx, staging: resumable.staging }) })))
    const group = storageRoutes(runtime.model)
    const ids = buckets.flatMap((bucket) => STORAGE_OPERATIONS.map((operation) => storageRouteId(bucket.name, operation)))
    registerContractRoutes(app, { ids, routes: group.routes, handlers, isAnonymous: (request) => actorOf(request).kind === 'anonymous' })

    // The bytes of deleted rows go after the commit (a rolled-back delete keeps them).
    const stop = runtime.data.events.subscribe({
      phase: 'commit',
      tables: [OBJECTS_TABLE],
      operations: ['delete'],
      handle(events) {
        for (const event of events) {
          const key = (event.old as ObjectRow | null)?.key
          if (key !== undefined) driver.delete(key).catch((error: unknown) => app.log.error({ err: error, key }, 'deleting a storage object\'s bytes failed'))
        }
      },
    })
    const stopFiles = watchFileColumns(runtime.model, runtime.data, runtime.db, (error) => app.log.error({ err: error }, 'releasing files of a written row failed'))
    app.addHook('onClose', async () => {
      stopFiles()
      stop()
      resumable.stop()
      await driver.close()
    })
    // The user's files in a privacy export (runtime/compliance).
    return { storageDriver: driver, storageRoot: path.resolve(root) }
  },
})
