import { createHash, timingSafeEqual } from 'node:crypto'
import type { Actor } from '../data/data-layer.ts'

/**
 * Resolve the actor of a request from its Authorization header. `Bearer <KOYA_SERVICE_KEY>` is
 * the system role; anything else is anonymous until sessions land (the auth issue).
 */
export function createActorResolver(serviceKey: string | undefined): (authorization: string | undefined) => Actor {
  // Compare digests, so the comparison takes the same time whatever the guess.
  const expected = serviceKey && serviceKey.length > 0 ? createHash('sha256').update(serviceKey).digest() : undefined
  return (authorization) => {
    const token = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1]
    if (expected && token && timingSafeEqual(createHash('sha256').update(token).digest(), expected)) return { kind: 'system' }
    return { kind: 'anonymous' }
  }
}
