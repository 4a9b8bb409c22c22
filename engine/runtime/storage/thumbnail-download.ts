import type { FastifyReply } from 'fastify'
import type { StorageDriver } from './driver.ts'
import type { NormalizedThumbnailOptions, ThumbnailLimits } from './thumbnail-query.ts'
import type { ThumbnailCache } from './thumbnails.ts'

/** What a download needs to know of the object to answer a thumbnail of it. */
export interface ThumbnailSource {
  readonly key: string
  readonly sha256: string
}

/**
 * Thumbnails on download (`?width=&height=&fit=&format=`), made by sharp and cached through the
 * bucket's driver beside the object. sharp (and libvips with it) is loaded with the first
 * thumbnail, not at start: a server whose clients never ask for one never pays its memory.
 */
export function thumbnailResponder(driver: StorageDriver, limits: ThumbnailLimits): {
  etagOf(object: ThumbnailSource, options: NormalizedThumbnailOptions): string
  send(reply: FastifyReply, object: ThumbnailSource, options: NormalizedThumbnailOptions): Promise<FastifyReply | undefined>
} {
  let cache: Promise<ThumbnailCache> | undefined
  const load = () => (cache ??= import('./thumbnails.ts').then(({ createThumbnailCache }) => createThumbnailCache(driver, limits)))
  return {
    // The object's bytes never change under its id, so its hash and the options name the thumbnail.
    etagOf: (object, options) => `"${object.sha256}-${options.width}x${options.height}-${options.fit}.${options.format}"`,
    async send(reply, object, options) {
      const made = await (await load()).get(object.key, options, () => driver.get(object.key))
      if (made === undefined) return undefined
      reply.header('content-type', made.contentType)
      reply.header('content-disposition', 'inline')
      return reply.code(200).send(made.body)
    },
  }
}
