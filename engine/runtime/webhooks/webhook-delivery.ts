import type { WebhookIR } from '../../ir/project-ir.ts'
import { KoyaError } from '../../shared/errors.ts'
import { doNotRetry, type JobKind } from '../queue/queue.ts'
import { retryPolicy, type RetryPolicy } from '../queue/retry-policy.ts'
import type { WebhookPoster } from './deliver-http.ts'
import type { DeliveryLog } from './delivery-log.ts'
import type { Endpoints } from './endpoints.ts'
import { signatureHeader } from './signing.ts'
import { webhookKind, type WebhookMessage } from './webhook-events.ts'

/**
 * The Standard Webhooks schedule: the first attempt at once, then after 5 s, 5 min, 30 min, 2 h,
 * 5 h, 10 h and 10 h again (8 attempts over about 28 hours), each wait within ±10 %.
 */
export const STANDARD_WEBHOOKS_RETRY: RetryPolicy = Object.freeze({
  attempts: 8,
  initialDelayMs: 5_000,
  maxDelayMs: 36_000_000,
  schedule: Object.freeze([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]),
})

/** A webhook as the server runs it: its URL and keys resolved from the environment. */
export interface ResolvedWebhook {
  readonly ir: WebhookIR
  /** Undefined when its variable is not set: deliveries fail (and are retried) until it is. */
  readonly url: URL | undefined
  readonly key: Buffer | undefined
  /** The secret being rotated out, and until when it is still signed with. */
  readonly previous: { readonly key: Buffer; readonly until: number } | undefined
  /** Deliveries per second to this endpoint; null: no limit. */
  readonly ratePerSecond: number | null
}

export interface DeliveryDeps {
  readonly poster: WebhookPoster
  readonly log: DeliveryLog
  readonly endpoints: Endpoints
  readonly clock: () => Date
  readonly disableAfterMs: number
  readonly concurrency: number
}

/**
 * The queue kind of one webhook: each run POSTs the event once, signed, and records the attempt.
 * A 2xx is success; a 3xx, 4xx, 5xx, timeout or refused connection is a failed attempt, retried
 * on the webhook's schedule (no sooner than `Retry-After`); 410 Gone disables the endpoint; an
 * endpoint whose every attempt has failed for `disableAfterMs` is disabled (an audit-log entry);
 * a disabled endpoint's deliveries are dead at once (replay re-enables it).
 */
export function webhookDeliveryKind(webhook: ResolvedWebhook, deps: DeliveryDeps): JobKind<WebhookMessage> {
  const name = webhook.ir.name
  const limiter = webhook.ratePerSecond === null ? undefined : createRateLimiter(webhook.ratePerSecond)
  return {
    name: webhookKind(name),
    retry: webhook.ir.retry === null ? STANDARD_WEBHOOKS_RETRY : retryPolicy(webhook.ir.retry),
    concurrency: deps.concurrency,
    async run(message, run) {
      const record = (fields: { status: number | null; latencyMs: number; response: string | null; error: string | null }) => {
        if (run.signal.aborted) return // shutdown or cancel: the attempt is not counted, so not logged
        deps.log.record({ jobId: run.id, webhook: name, messageId: message.id, eventType: message.type, attempt: run.attempt, ok: fields.status !== null && fields.status >= 200 && fields.status < 300, ...fields }, deps.clock().getTime())
      }
      const state = deps.endpoints.state(name)
      if (state.disabledAt !== null) {
        const error = new KoyaError('KL_JOB_WEBHOOK_DISABLED', `Webhook "${name}" is disabled (${state.disabledReason ?? 'by an admin'}).`, { hint: 'Fix the receiver, then replay a delivery (POST /admin/webhooks/deliveries/:id/replay): that enables the endpoint again.' })
        record({ status: null, latencyMs: 0, response: null, error: `${error.code}: ${error.message}` })
        throw doNotRetry(error)
      }
      if (webhook.url === undefined || webhook.key === undefined) {
        const missing = webhook.url === undefined ? ('env' in webhook.ir.url ? webhook.ir.url.env : 'url') : webhook.ir.secret.env
        const error = new KoyaError('KL_JOB_WEBHOOK_CONFIG', `Webhook "${name}" has no ${webhook.url === undefined ? 'URL' : 'secret'}: ${missing} is not set.`, { hint: `Set ${missing} (a secrets refresh applies it without a restart); the delivery is retried.` })
        record({ status: null, latencyMs: 0, response: null, error: `${error.code}: ${error.message}` })
        throw error
      }
      await limiter?.take(run.signal)
      const now = deps.clock().getTime()
      const body = JSON.stringify(message.body)
      const timestamp = Math.floor(now / 1000)
      const keys = webhook.previous !== undefined && now < webhook.previous.until ? [webhook.key, webhook.previous.key] : [webhook.key]
      const headers = { 'webhook-id': message.id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signatureHeader(keys, message.id, timestamp, body) }
      const outcome = await deps.poster.post(webhook.url, headers, body, run.signal)
      const failure = outcome.error === undefined ? null : describe(outcome.error)
      record({ status: outcome.status, latencyMs: outcome.latencyMs, response: outcome.status === null ? null : outcome.response, error: failure ?? (outcome.status !== null && (outcome.status < 200 || outcome.status >= 300) ? `HTTP ${outcome.status}` : null) })
      const at = deps.clock().getTime()
      if (outcome.status !== null && outcome.status >= 200 && outcome.status < 300) {
        // One write per minute at most while the endpoint answers: the delivery log has the rest.
        if (state.failingSince !== null || state.lastSuccessAt === null || at - state.lastSuccessAt > 60_000) deps.endpoints.succeeded(name, at)
        return { status: outcome.status, latencyMs: outcome.latencyMs }
      }
      if (outcome.error instanceof KoyaError && outcome.error.code === 'KL_JOB_WEBHOOK_BLOCKED') throw doNotRetry(outcome.error)
      if (outcome.status === 410) {
        deps.endpoints.disable(name, 'the receiver answered 410 Gone', at)
        throw doNotRetry(new KoyaError('KL_JOB_WEBHOOK_GONE', `Webhook "${name}" answered 410 Gone: the endpoint is disabled.`, { hint: 'Point the webhook at a live receiver, then replay the delivery.' }))
      }
      if (deps.endpoints.failed(name, at, deps.disableAfterMs)) {
        throw doNotRetry(new KoyaError('KL_JOB_WEBHOOK_DISABLED', `Webhook "${name}" failed every attempt for too long: the endpoint is disabled.`, { hint: 'Fix the receiver, then replay a delivery.' }))
      }
      const what = outcome.status === null ? (failure ?? 'no answer') : `HTTP ${outcome.status}${outcome.status >= 300 && outcome.status < 400 ? ' (redirects are not followed)' : ''}`
      throw new KoyaError('KL_JOB_WEBHOOK_FAILED', `Webhook "${name}" delivery ${message.id} failed: ${what}.`, { ...(outcome.retryAfterMs !== undefined ? { details: { retryAfterMs: outcome.retryAfterMs } } : {}) })
    },
  }
}

function describe(error: unknown): string {
  if (error instanceof KoyaError) return `${error.code}: ${error.message}`
  if (error instanceof Error) return `${(error as NodeJS.ErrnoException).code ?? error.name}: ${error.message}`.slice(0, 500)
  return String(error).slice(0, 500)
}

/** A token bucket of one second's worth of deliveries: a run waits (abortably) for its token. */
function createRateLimiter(perSecond: number): { take(signal: AbortSignal): Promise<void> } {
  const capacity = Math.max(1, perSecond)
  let tokens = capacity
  let last = performance.now()
  let queue: Promise<void> = Promise.resolve()
  const refill = () => {
    const now = performance.now()
    tokens = Math.min(capacity, tokens + ((now - last) / 1000) * perSecond)
    last = now
  }
  return {
    take(signal) {
      // One waiter at a time, in order: the next takes its token after the previous got one.
      const turn = queue.then(async () => {
        refill()
        while (tokens < 1) {
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(resolve, Math.ceil(((1 - tokens) / perSecond) * 1000))
            signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true })
          })
          refill()
        }
        tokens -= 1
      })
      queue = turn.catch(() => undefined)
      return turn
    },
  }
}
