import { hash, timingSafeEqual } from 'node:crypto'

/**
 * A test for the service key: `Authorization: Bearer <KOYA_SERVICE_KEY>` is the system role.
 * Unset or empty: nothing matches, so nobody is the system role over HTTP.
 *
 * @example
 * const isServiceKey = createServiceKeyCheck(process.env.KOYA_SERVICE_KEY)
 * if (isServiceKey(bearer)) actor = { kind: 'system' }
 */
export function createServiceKeyCheck(serviceKey: string | undefined): (token: string) => boolean {
  // Compare digests, so the comparison takes the same time whatever the guess. crypto.hash, not
  // createHash: one call, no Hash object per request (decision 180).
  const expected = serviceKey && serviceKey.length > 0 ? hash('sha256', serviceKey, 'buffer') : undefined
  return (token) => expected !== undefined && timingSafeEqual(hash('sha256', token, 'buffer'), expected)
}
