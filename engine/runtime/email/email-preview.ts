import type { FastifyInstance } from 'fastify'
import { KoyaError } from '../../shared/errors.ts'
import type { AppTemplates } from './app-templates.ts'
import { renderAppTemplate, renderEmail } from './render-email.ts'
import { EMAIL_TEMPLATES, isEmailTemplate } from './template-names.ts'

/**
 * `/_/emails` in dev: each template rendered with sample data, to look at while editing. Not part
 * of the API (no contract entry): a development page like the rest of `/_/`, never served by
 * `koyalite start`.
 *
 * @example
 * if (runtime.dev) registerEmailPreview(app, runtime.model.name, appTemplates(root, runtime.model))
 */
export function registerEmailPreview(app: FastifyInstance, appName: string, templates: AppTemplates): void {
  app.get('/_/emails', async (_request, reply) => {
    // Names are checked at generate (letters, digits, dashes): safe in a URL and in HTML.
    const items = [...templates.names, ...EMAIL_TEMPLATES].map((t) => `<li><a href="/_/emails/${t}">${t}</a> (<a href="/_/emails/${t}?format=text">text</a>)</li>`).join('')
    return reply.type('text/html; charset=utf-8').send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Email templates</title></head><body><h1>Email templates</h1><ul>${items}</ul><p>Sent messages: GET /admin/emails.</p></body></html>`)
  })
  app.get<{ Params: { template: string }; Querystring: { format?: string } }>('/_/emails/:template', async (request, reply) => {
    const { template } = request.params
    if (templates.has(template)) {
      // The component's own PreviewProps (React Email's convention), or none.
      const component = await templates.load(template)
      const email = await renderAppTemplate(component, component.PreviewProps ?? {})
      if (request.query.format === 'text') return reply.type('text/plain; charset=utf-8').send(email.text)
      return reply.type('text/html; charset=utf-8').send(email.html)
    }
    if (!isEmailTemplate(template)) throw new KoyaError('KL_API_NOT_FOUND', `No email template "${template}".`)
    const email = await renderEmail(template, { appName, link: 'http://127.0.0.1:3000/preview?token=sample-token', email: 'ada@example.com' })
    if (request.query.format === 'text') return reply.type('text/plain; charset=utf-8').send(`Subject: ${email.subject}\n\n${email.text}`)
    return reply.type('text/html; charset=utf-8').send(email.html)
  })
}
