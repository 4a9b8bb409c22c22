import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { normalizeEmail } from '../auth/user-directory.ts'
import type { Runtime } from '../modules/feature-module.ts'

/**
 * Product analytics: PostHog events through its capture API (`POST <host>/batch/`), when
 * `KOYA_POSTHOG_KEY` is set. Server-side events only: `user signed up`, `user logged in` and
 * `first api use` (a signed-in user's first /api request since the server started). The
 * distinct id is a SHA-256 of the user id (with `KOYA_POSTHOG_SALT` when set): no email, name,
 * address or URL is sent.
 */

const SYSTEM = { kind: 'system' } as const
/** Events sent at most this long after they happen. */
const FLUSH_MS = 1000
const MAX_BATCH = 100

interface CaptureEvent {
  readonly event: string
  readonly distinct_id: string
  readonly timestamp: string
  readonly properties: Record<string, string | number | boolean>
}

/**
 * Send the events of `app`'s requests to PostHog. Hooks are added only here, so a server without
 * the key pays nothing.
 *
 * @example
 * if (runtime.env.KOYA_POSTHOG_KEY) startAnalytics(app, runtime, runtime.env.KOYA_POSTHOG_KEY)
 */
export function startAnalytics(app: FastifyInstance, runtime: Runtime, apiKey: string): void {
  const host = (runtime.env.KOYA_POSTHOG_HOST ?? 'https://us.i.posthog.com').replace(/\/+$/, '')
  const salt = runtime.env.KOYA_POSTHOG_SALT ?? ''
  const usersTable = runtime.model.tables.find((table) => table.isUsers)?.name
  const distinctId = (userId: string) => createHash('sha256').update(`${salt}${userId}`).digest('hex')
  const seen = new Set<string>()
  let queue: CaptureEvent[] = []
  let sending: Promise<void> = Promise.resolve()

  const flush = () => {
    if (queue.length === 0) return sending
    const batch = queue.splice(0, queue.length)
    sending = sending.then(async () => {
      try {
        const response = await fetch(`${host}/batch/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ api_key: apiKey, batch }) })
        if (!response.ok) app.log.warn({ status: response.status, events: batch.length }, 'PostHog refused a batch of events')
      } catch (error) {
        app.log.warn({ err: error, events: batch.length }, 'PostHog could not be reached: events dropped')
      }
    })
    return sending
  }
  const timer = setInterval(() => void flush(), FLUSH_MS)
  timer.unref()
  const capture = (event: string, userId: string, properties: Record<string, string | number | boolean> = {}) => {
    queue.push({ event, distinct_id: distinctId(userId), timestamp: runtime.clock().toISOString(), properties: { $lib: 'koyalite', ...properties } })
    if (queue.length >= MAX_BATCH) void flush()
  }
  // Sign-up and login answer before (or without) saying who: the user is found by the address.
  const userIdByEmail = (request: FastifyRequest): string | undefined => {
    const email = (request.body as { email?: unknown } | undefined)?.email
    if (usersTable === undefined || typeof email !== 'string') return undefined
    const row = runtime.data.findOne(SYSTEM, { table: usersTable, where: { kind: 'compare', column: 'email', operator: 'eq', value: normalizeEmail(email) }, select: [{ kind: 'column', column: 'id' }] }, { as: 'objects' }) as { id: string } | undefined
    return row?.id
  }

  app.addHook('onResponse', function captureProductEvents(request, reply, done) {
    const ok = reply.statusCode >= 200 && reply.statusCode < 300
    if (!ok) return done()
    const route = request.routeOptions.url ?? ''
    if (request.method === 'POST' && (route === '/auth/signup' || route === '/auth/login')) {
      const userId = userIdByEmail(request)
      if (userId !== undefined) capture(route === '/auth/signup' ? 'user signed up' : 'user logged in', userId)
    } else if (route.startsWith('/api/')) {
      const userId = runtime.observability.userIdOf(request)
      if (userId !== undefined && userId !== 'system' && !seen.has(userId)) {
        seen.add(userId)
        capture('first api use', userId, { method: request.method })
      }
    }
    done()
  })
  app.addHook('onClose', async () => {
    clearInterval(timer)
    await flush()
  })
}
