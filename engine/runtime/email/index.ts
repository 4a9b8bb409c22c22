/** Email: templates rendered with React Email, queued as `email` rows of the one queue, sent with Resend or kept by the mail catcher. */
export { renderEmail, type EmailData, type EmailTemplate, type RenderedEmail } from './render-email.ts'
export { enqueueEmail, scrubEmail, EMAIL_KIND, type EmailPayload, type OutboxMessage } from './outbox.ts'
export { sendEmail } from './send-email.ts'
export { createMailCatcher, type CaughtEmail, type MailCatcher } from './mail-catcher.ts'
