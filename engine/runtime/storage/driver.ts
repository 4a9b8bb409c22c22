import type { Readable } from 'node:stream'

/**
 * Where a bucket's bytes live: the local disk under the data directory (the embedded default) or
 * an S3-compatible server. The storage module owns everything else (ids, metadata rows, access
 * rules, limits, type sniffing, hashing): a driver only moves bytes, so both drivers pass the same
 * contract tests.
 *
 * Keys are made by the storage module (`<bucket>/<object id>`, ASCII, no `..`), never taken from a
 * request, so a driver may use them as file names or S3 keys as they are.
 */
export interface StorageDriver {
  readonly kind: 'local' | 's3'
  /**
   * Store `body` under `key`. Resolves once the bytes are durable (local: written to a temp file,
   * fsynced, renamed; S3: the upload completed). When `body` errors or is destroyed (a client cut
   * off mid-stream, a limit hit while streaming), rejects and leaves nothing under `key`.
   */
  put(key: string, body: Readable, info: PutInfo): Promise<void>
  /** The bytes of `key` (all, or the inclusive `range`); undefined when there is no such object. */
  get(key: string, range?: ByteRange): Promise<Readable | undefined>
  /** The stored size of `key`, or undefined when there is no such object. */
  head(key: string): Promise<{ readonly size: number } | undefined>
  /** Remove `key`; removing a missing key is not an error. */
  delete(key: string): Promise<void>
  /** Release connections and handles. */
  close(): Promise<void>
}

export interface PutInfo {
  readonly contentType: string
  /** The length when known in advance (Content-Length); drivers must not trust it for limits. */
  readonly size?: number
}

/** Inclusive byte offsets, as in an HTTP `Range: bytes=start-end` header. */
export interface ByteRange {
  readonly start: number
  readonly end: number
}
