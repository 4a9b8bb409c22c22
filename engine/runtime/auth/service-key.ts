import { createHash, timingSafeEqual } from 'node:crypto'

/**
 * A test for the service key: `Authorization: Bearer <KOYA_SERVICE_KEY>` is the system role.
 * Unset or empty: nothing matches, so nobody is the system role over HTTP.
 *
 * @example
 * const isServiceKey = createServiceKeyCheck(process.env.KOYA_SERVICE_KEY)
 * if (isServiceKey(bearer)) actor = { kind: 'system' }
 */
export function createServiceKeyCheck(serviceKey: string | undefined): (token: string) => boolean {
  // Compare digests, so the comparison takes the same time whatever the guess.
  const expected = serviceKey && serviceKey.length > 0 ? createHash('sha256').update(serviceKey).digest() : undefined
  return (token) => expected !== undefined && timingSafeEqual(createHash('sha256').update(token).digest(), expected)
}
