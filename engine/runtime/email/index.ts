/** Auth emails: rendered with React Email, queued in `_koya_outbox` for the email worker. */
export { renderEmail, type EmailData, type EmailTemplate, type RenderedEmail } from './render-email.ts'
export { enqueueEmail, type OutboxMessage } from './outbox.ts'
