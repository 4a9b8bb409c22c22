import { hash } from 'node:crypto'
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding'

/**
 * A new secret token: 20 random bytes (160 bits) as 32 lower-case base32 characters, the way the
 * Lucia project now teaches sessions. Only its hash is stored (see hashToken).
 *
 * @example
 * const token = generateToken() // 'k3v7…', sent to the client once
 */
export function generateToken(): string {
  const bytes = new Uint8Array(20)
  crypto.getRandomValues(bytes)
  return encodeBase32LowerCaseNoPadding(bytes)
}

/**
 * The stored form of a token: its SHA-256 as hex. A database leak gives no usable token, and a
 * 160-bit random token needs no salt or slow hash. Node's one-shot native hash (no Hash object
 * per call): a session request computes one, and the stored form must never change (it is every
 * session's id).
 *
 * @example
 * db.prepare('SELECT … FROM "_koya_sessions" WHERE "id" = ?').all(hashToken(token))
 */
export function hashToken(token: string): string {
  return hash('sha256', token, 'hex')
}
