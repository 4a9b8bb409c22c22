import { KoyaError } from '../../shared/errors.ts'
import type { ByteRange } from './driver.ts'

/**
 * The byte range a `Range` header asks for within an object of `size` bytes: undefined for the
 * whole object (no header, a unit other than bytes, or several ranges, which are answered whole
 * as RFC 9110 allows).
 *
 * @throws KoyaError KL_STORAGE_BAD_RANGE when the one range lies outside the object.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (match === null) return undefined
  const [, from, to] = match as unknown as [string, string, string]
  const unsatisfiable = () => new KoyaError('KL_STORAGE_BAD_RANGE', `The range "${header.slice(0, 100)}" is outside the object's ${size} bytes.`)
  if (from === '' && to === '') return undefined
  if (from === '') {
    const suffix = Number(to)
    if (suffix === 0 || size === 0) throw unsatisfiable()
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(from)
  const end = to === '' ? size - 1 : Math.min(Number(to), size - 1)
  if (start >= size || end < start) throw unsatisfiable()
  return { start, end }
}

/** Types a browser may show inline without running anything (no HTML, no SVG). */
function showsInline(contentType: string): boolean {
  return (contentType.startsWith('image/') && contentType !== 'image/svg+xml') || contentType.startsWith('audio/') || contentType.startsWith('video/') || contentType === 'application/pdf' || contentType === 'text/plain'
}

/**
 * `Content-Disposition` for an object: inline for types a browser shows safely, attachment for
 * the rest (or when asked), with an ASCII fallback name and the UTF-8 name (RFC 6266 / 8187).
 */
export function contentDisposition(name: string, contentType: string, forceDownload: boolean): string {
  const base = name.split('/').pop() || 'download'
  const ascii = base.replace(/[^\x20-\x7e]|["\\%;]/g, '_')
  const encoded = encodeURIComponent(base).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  const kind = forceDownload || !showsInline(contentType) ? 'attachment' : 'inline'
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`
}

/** Whether an `If-None-Match` header matches the ETag (`*`, or one of a list, weak or strong). */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  return header.split(',').some((part) => {
    const tag = part.trim().replace(/^W\//, '')
    return tag === '*' || tag === etag
  })
}
