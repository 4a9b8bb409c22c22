import http from 'node:http'
import https from 'node:https'
import { KoyaError } from '../../shared/errors.ts'
import type { SsrfGuard } from './ssrf-guard.ts'

/** What one POST got back. `status` is null when no answer came (refused, timed out, reset). */
export interface HttpOutcome {
  readonly status: number | null
  readonly latencyMs: number
  /** The answer's body, cut at the stored size. */
  readonly response: string
  /** From `Retry-After` (seconds or an HTTP date), when the answer had one. */
  readonly retryAfterMs: number | undefined
  /** Why no answer came (a KoyaError for a refused destination). */
  readonly error: unknown
}

export interface WebhookPoster {
  post(url: URL, headers: Readonly<Record<string, string>>, body: string, signal: AbortSignal): Promise<HttpOutcome>
  close(): void
}

/** How long a destination has to answer (Standard Webhooks: a 2xx within 15 s is success). */
export const WEBHOOK_TIMEOUT_MS = 15_000
/** How much of an answer's body the delivery log keeps. */
export const STORED_RESPONSE_BYTES = 2048

/**
 * POSTs through keep-alive agents whose connections pass the SSRF guard: a literal address is
 * checked before the request, a name when the socket resolves it (the answer it connects to).
 * Redirects are not followed (Node's client never follows them): a 3xx is a failed attempt.
 *
 * @example
 * const poster = createWebhookPoster(guard)
 * const outcome = await poster.post(new URL('https://hooks.example.com/in'), headers, body, signal)
 */
export function createWebhookPoster(guard: SsrfGuard, timeoutMs = WEBHOOK_TIMEOUT_MS): WebhookPoster {
  const agents = { 'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }), 'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }) }
  return {
    post(url, headers, body, signal) {
      const started = performance.now()
      const done = (fields: Partial<HttpOutcome>): HttpOutcome => ({ status: null, response: '', retryAfterMs: undefined, error: undefined, ...fields, latencyMs: Math.round(performance.now() - started) })
      try {
        guard.checkHost(url.hostname)
      } catch (error) {
        return Promise.resolve(done({ error }))
      }
      const agent = url.protocol === 'https:' ? agents['https:'] : url.protocol === 'http:' ? agents['http:'] : undefined
      if (agent === undefined) return Promise.resolve(done({ error: new KoyaError('KL_JOB_WEBHOOK_CONFIG', `Webhook URL ${url.origin} is not http(s).`) }))
      const timeout = AbortSignal.timeout(timeoutMs)
      const both = AbortSignal.any([signal, timeout])
      return new Promise<HttpOutcome>((resolve) => {
        const request = (url.protocol === 'https:' ? https : http).request(url, {
          method: 'POST',
          agent,
          lookup: guard.lookupFor(url.hostname) as never,
          signal: both,
          headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'KoyaLite-Webhooks/1' },
        })
        request.on('error', (error) => resolve(done({ error: timeout.aborted ? new KoyaError('KL_JOB_WEBHOOK_FAILED', `No answer within ${timeoutMs} ms.`) : unwrap(error) })))
        request.on('response', (response) => {
          const chunks: Buffer[] = []
          let size = 0
          response.on('data', (chunk: Buffer) => {
            if (size < STORED_RESPONSE_BYTES) chunks.push(chunk)
            size += chunk.length
          })
          const finish = () => {
            const text = Buffer.concat(chunks).subarray(0, STORED_RESPONSE_BYTES).toString('utf8')
            resolve(done({ status: response.statusCode ?? null, response: size > STORED_RESPONSE_BYTES ? `${text}…[truncated, ${size} bytes]` : text, retryAfterMs: retryAfterMsOf(response.headers['retry-after']) }))
          }
          response.on('end', finish)
          response.on('error', finish)
          response.on('aborted', finish)
        })
        request.end(body)
      })
    },
    close() {
      agents['http:'].destroy()
      agents['https:'].destroy()
    },
  }
}

/** The guard's refusal comes back wrapped by the socket; keep the KoyaError itself. */
function unwrap(error: unknown): unknown {
  if (error instanceof KoyaError) return error
  const cause = (error as { cause?: unknown }).cause
  return cause instanceof KoyaError ? cause : error
}

/**
 * `Retry-After`: delay-seconds or an HTTP date.
 *
 * @example
 * retryAfterMsOf('120') // 120000
 */
export function retryAfterMsOf(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}
