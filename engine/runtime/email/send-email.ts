import type { EmailMessage } from '../../shared/handler-context.ts'
import { KoyaError } from '../../shared/errors.ts'
import { uuidv7 } from '../../shared/uuid.ts'
import type { Queue } from '../queue/queue.ts'
import { EMAIL_KIND, type EmailPayload } from './outbox.ts'

/**
 * `ctx.email.send(…)`: check the message and enqueue it as an `email` row; the email module's
 * worker sends it. Returns the run's id. An `idempotencyKey` given twice is enqueued once (while
 * the first is pending) and delivered once by the provider.
 *
 * @example
 * sendEmail(queue, { to: 'ada@example.com', subject: 'Your digest', text: 'Three tasks are due.' })
 */
export function sendEmail(queue: Queue, message: EmailMessage): number {
  const to = (typeof message.to === 'string' ? [message.to] : [...message.to]).map((a) => a.trim()).filter((a) => a !== '')
  if (to.length === 0) throw new KoyaError('KL_JOB_INVALID', 'An email needs at least one recipient (`to`).')
  if (typeof message.subject !== 'string' || message.subject.trim() === '') throw new KoyaError('KL_JOB_INVALID', 'An email needs a subject.')
  if (message.html === undefined && message.text === undefined && message.template === undefined) {
    throw new KoyaError('KL_JOB_INVALID', `The email "${message.subject}" has no body.`, { hint: 'Give html, text, or a template with its props.' })
  }
  const payload: EmailPayload = {
    to,
    subject: message.subject,
    ...(message.html !== undefined ? { html: message.html } : {}),
    ...(message.text !== undefined ? { text: message.text } : {}),
    ...(message.template !== undefined ? { template: message.template, props: message.props ?? {} } : {}),
    idempotencyKey: message.idempotencyKey ?? uuidv7(),
  }
  return queue.enqueue(EMAIL_KIND, payload, message.idempotencyKey === undefined ? {} : { uniqueKey: message.idempotencyKey })
}
