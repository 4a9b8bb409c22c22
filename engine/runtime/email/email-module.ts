import { KoyaError } from '../../shared/errors.ts'
import { defineModule } from '../modules/feature-module.ts'
import { doNotRetry } from '../queue/queue.ts'
import { retryPolicy, type RetryPolicy } from '../queue/retry-policy.ts'
import { registerEmailPreview } from './email-preview.ts'
import { EMAIL_MIGRATIONS } from './email-schema.ts'
import { createMailCatcher } from './mail-catcher.ts'
import { EMAIL_KIND, scrubEmail, type EmailPayload } from './outbox.ts'
import { appTemplates, type AppTemplates } from './app-templates.ts'
import { renderAppTemplate, renderEmail } from './render-email.ts'
import { createResendSender } from './resend-sender.ts'
import { isEmailTemplate } from './template-names.ts'

/** Email's default schedule: 8 runs, from 30 s up to an hour apart (a provider outage of a few hours is ridden out). */
export const EMAIL_RETRY: RetryPolicy = Object.freeze({ attempts: 8, initialDelayMs: 30_000, maxDelayMs: 60 * 60_000 })

/**
 * Email delivery: the queue's `email` kind. Each message (auth's emails, `ctx.email.send`) is a
 * queue row, sent with Resend when `email.apiKey` names a set variable (`RESEND_BASE_URL` points
 * the SDK elsewhere), otherwise kept by the mail catcher (`GET /admin/emails`). Once sent, the
 * one-time links' tokens are blanked from the stored row. In dev, `/_/emails` previews the
 * templates.
 */
export interface EmailModuleOptions {
  /** The project root, where generated/emails/index.js (the app's templates) is read from on first use. */
  readonly root?: string
  /** A new value imports the templates afresh (`koyalite dev` after a change). */
  readonly version?: string
}

export const emailModule = defineModule<EmailModuleOptions | undefined>({
  name: 'email',
  systemMigrations: EMAIL_MIGRATIONS,
  async register(app, runtime, options = {}) {
    const templates = appTemplates(options.root, runtime.model, options.version)
    const config = runtime.model.email
    // The API key is read from the environment the server holds at every send, so a secrets
    // refresh that rotates it (docs/environments.md) applies to the next email; the sender is
    // made again only when the key changed.
    let made: { key: string; sender: ReturnType<typeof createResendSender> } | undefined
    const senderNow = () => {
      const apiKey = config?.apiKey == null ? undefined : runtime.env[config.apiKey.env]
      if (apiKey === undefined || apiKey === '') return undefined
      if (made?.key !== apiKey) made = { key: apiKey, sender: createResendSender(apiKey, runtime.env.RESEND_BASE_URL || undefined) }
      return made.sender
    }
    if (senderNow() === undefined && !runtime.dev) {
      app.log.warn({ apiKey: config?.apiKey?.env ?? null }, 'no email API key: emails are kept by the mail catcher (GET /admin/emails), not sent')
    }
    const catcher = createMailCatcher(runtime.db)
    const from = config?.from ?? `${runtime.model.name} <noreply@localhost>`
    runtime.queue().define<EmailPayload>({
      name: EMAIL_KIND,
      retry: retryPolicy(config?.retry, EMAIL_RETRY),
      scrub: scrubEmail,
      async run(payload, run) {
        const { html, text } = await bodiesOf(payload, templates)
        const sender = senderNow()
        if (sender === undefined) {
          catcher.keep({ jobId: run.id, tag: payload.tag ?? payload.template, from, to: payload.to, subject: payload.subject, html, text }, runtime.clock())
          return { caught: true }
        }
        const id = await sender.send({ from, to: payload.to, subject: payload.subject, html, text, idempotencyKey: payload.idempotencyKey }, run.signal)
        return { providerId: id }
      },
    })
    if (runtime.dev) registerEmailPreview(app, runtime.model.name, templates)
  },
})

/** The message's bodies: as given, or its template rendered with its props. */
async function bodiesOf(payload: EmailPayload, templates: AppTemplates): Promise<{ html: string | undefined; text: string | undefined }> {
  if (payload.template === undefined) return { html: payload.html, text: payload.text }
  if (templates.has(payload.template)) {
    const rendered = await renderAppTemplate(await templates.load(payload.template), payload.props ?? {})
    return { html: payload.html ?? rendered.html, text: payload.text ?? rendered.text }
  }
  if (!isEmailTemplate(payload.template)) {
    throw doNotRetry(new KoyaError('KL_JOB_INVALID', `Email template "${payload.template}" does not exist.`, { hint: `Use one of email.templates${templates.names.length > 0 ? ` (${templates.names.join(', ')})` : ''} or 'verify-email', 'reset-password', 'signup-attempt', or send html/text.` }))
  }
  const props = payload.props ?? {}
  const rendered = await renderEmail(payload.template, { appName: String(props.appName ?? ''), link: String(props.link ?? ''), email: String(props.email ?? payload.to[0]) })
  return { html: payload.html ?? rendered.html, text: payload.text ?? rendered.text }
}
