import { createHmac, timingSafeEqual } from 'node:crypto'
import { KoyaError } from '../../shared/errors.ts'

/** The longest a signed URL may live: 7 days (S3's own limit for presigned URLs). */
export const MAX_SIGNED_SECONDS = 7 * 24 * 3600

/**
 * Signed URLs: `<path>?expires=<unix seconds>&signature=<base64url HMAC-SHA256>` over the
 * method, the path and the expiry, with the server's secret. Whoever holds one may perform that
 * method on that path until it expires, without credentials.
 *
 * @example
 * const signer = createUrlSigner(secret)
 * const url = signer.sign('GET', '/storage/attachments/0193…', now, 3600)
 * signer.verify('GET', '/storage/attachments/0193…', { expires, signature }, now) // throws when tampered or expired
 */
export interface UrlSigner {
  sign(method: string, path: string, now: Date, expiresIn: number): { readonly url: string; readonly expiresAt: string }
  /** @throws KoyaError KL_STORAGE_SIGNATURE_INVALID or KL_STORAGE_SIGNATURE_EXPIRED. */
  verify(method: string, path: string, query: { readonly expires?: unknown; readonly signature?: unknown }, now: Date): void
}

export function createUrlSigner(secret: string): UrlSigner {
  const mac = (method: string, path: string, expires: number) => createHmac('sha256', secret).update(`${method}\n${path}\n${expires}`).digest()
  return {
    sign(method, path, now, expiresIn) {
      const expires = Math.floor(now.getTime() / 1000) + expiresIn
      return { url: `${path}?expires=${expires}&signature=${mac(method, path, expires).toString('base64url')}`, expiresAt: new Date(expires * 1000).toISOString() }
    },
    verify(method, path, query, now) {
      const invalid = () => new KoyaError('KL_STORAGE_SIGNATURE_INVALID', 'The signed URL does not match its signature.', { hint: 'Use the URL exactly as the sign endpoint returned it.' })
      if (typeof query.expires !== 'string' || !/^\d{1,12}$/.test(query.expires) || typeof query.signature !== 'string') throw invalid()
      const expires = Number(query.expires)
      const given = Buffer.from(query.signature, 'base64url')
      const expected = mac(method, path, expires)
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid()
      // Checked after the signature, so an expiry moved forward is "invalid", not "expired".
      if (expires * 1000 <= now.getTime()) throw new KoyaError('KL_STORAGE_SIGNATURE_EXPIRED', `The signed URL expired at ${new Date(expires * 1000).toISOString()}.`, { hint: 'Ask for a new signed URL.' })
    },
  }
}
