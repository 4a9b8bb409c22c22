import type { Resend } from 'resend'
import { KoyaError } from '../../shared/errors.ts'
import { doNotRetry } from '../queue/queue.ts'

/** One message for the provider. */
export interface OutgoingEmail {
  readonly from: string
  readonly to: readonly string[]
  readonly subject: string
  readonly html: string | undefined
  readonly text: string | undefined
  readonly idempotencyKey: string
}

export interface EmailSender {
  /** Resolves with the provider's message id; throws KL_JOB_EMAIL_FAILED (retried) or a final KL_JOB_EMAIL_REJECTED. */
  send(message: OutgoingEmail, signal: AbortSignal): Promise<string>
}

/**
 * Send with Resend's SDK. `baseUrl` points it elsewhere (tests: a local fake of the API; the SDK
 * also reads RESEND_BASE_URL). 429 and 5xx (and no answer) are retried by the queue; other 4xx
 * answers (validation, an unverified domain) are final. The idempotency key goes with every try,
 * so a retry after a lost answer is not delivered twice.
 *
 * @example
 * const sender = createResendSender(env.RESEND_API_KEY, env.RESEND_BASE_URL)
 * await sender.send({ from, to: ['ada@example.com'], subject, html, text: undefined, idempotencyKey }, run.signal)
 */
export function createResendSender(apiKey: string, baseUrl: string | undefined): EmailSender {
  // Loaded with the first message, not at start: the SDK brings React and a MIME parser (~6 MB of
  // a server's resident memory; issue 21) that a server sending no email never needs.
  let client: Promise<Resend> | undefined
  const load = () => (client ??= import('resend').then(({ Resend }) => new Resend(apiKey, baseUrl === undefined ? undefined : { baseUrl })))
  return {
    async send(message, signal) {
      if (signal.aborted) throw signal.reason
      const resend = await load()
      const body = {
        from: message.from,
        to: [...message.to],
        subject: message.subject,
        ...(message.html !== undefined ? { html: message.html } : {}),
        ...(message.text !== undefined ? { text: message.text } : {}),
      } as Parameters<Resend['emails']['send']>[0]
      const { data, error } = await resend.emails.send(body, { idempotencyKey: message.idempotencyKey })
      if (error === null && data !== null) return data.id
      const status = (error as { statusCode?: number | null } | null)?.statusCode ?? null
      const detail = `${error?.name ?? 'error'}: ${error?.message ?? 'no answer'}`
      const failure = new KoyaError(status !== null && status >= 400 && status < 500 && status !== 429 ? 'KL_JOB_EMAIL_REJECTED' : 'KL_JOB_EMAIL_FAILED', `Resend answered ${status ?? 'nothing'} (${detail}).`)
      throw failure.code === 'KL_JOB_EMAIL_REJECTED' ? doNotRetry(failure) : failure
    },
  }
}
