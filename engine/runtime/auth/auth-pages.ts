import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { RouteContract } from '../../ir/routes/route-contract.ts'
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../shared/auth-fields.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { RouteHandlers } from '../http/route-contract.ts'
import type { AuthContext } from './auth-context.ts'

/**
 * The pages the emailed links open. A link does nothing by itself (mail scanners fetch links,
 * which must not use up a single-use token): the page shows a button (and for a reset, a
 * password field) that posts the token back as a form.
 */
const TOKEN_SHAPE = /^[a-z2-7]{1,128}$/

export function isFormPost(request: FastifyRequest): boolean {
  return (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/**
 * A small self-contained page: no script, no outside resources. Its URL carries the token, so
 * the Referer goes to this server only (`same-origin`). Not `no-referrer`: with it, browsers
 * send the form's post with `Origin: null`, which the CSRF check must refuse.
 */
export function sendPage(reply: FastifyReply, status: number, appName: string, title: string, body: string): FastifyReply {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)} · ${escapeHtml(appName)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#1f2328}button{font:inherit;padding:.5rem 1rem}input{font:inherit;padding:.4rem;width:100%;box-sizing:border-box;margin:.25rem 0 1rem}</style>
</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
    .header('referrer-policy', 'same-origin')
    .header('cache-control', 'no-store')
    .send(html)
}

/**
 * Forms post urlencoded bodies; only the contract's entries that say so (`body.form`) take them
 * (the API stays JSON-only, so a plain cross-site form cannot reach it).
 *
 * @example
 * registerFormParser(app, authRoutes(model, { usersInsert })!.routes)
 */
export function registerFormParser(app: FastifyInstance, routes: readonly RouteContract[]): void {
  const formPaths = new Set(routes.filter((route) => route.method === 'POST' && route.body?.form === true).map((route) => route.path))
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (request, body: string, done) => {
    if (request.method !== 'POST' || !formPaths.has(request.url.split('?')[0]!)) {
      return done(new KoyaError('KL_API_BAD_REQUEST', 'This endpoint takes JSON (Content-Type: application/json).'), undefined)
    }
    return done(null, Object.fromEntries(new URLSearchParams(body)))
  })
}

/**
 * The pages the emailed links open (GET /auth/verify-email, GET /auth/password/reset).
 *
 * @example
 * const { verifyEmailPage, resetPasswordPage } = pageHandlers(ctx)
 */
export function pageHandlers(ctx: AuthContext): RouteHandlers<'verifyEmailPage' | 'resetPasswordPage'> {
  const appName = ctx.model.name
  const tokenOf = (request: FastifyRequest) => {
    const token = (request.query as { token?: unknown }).token
    return typeof token === 'string' && TOKEN_SHAPE.test(token) ? token : undefined
  }
  const invalid = (reply: FastifyReply) => sendPage(reply, 400, appName, 'This link does not work', '<p>The link is incomplete. Open it again from the email, or ask for a new one.</p>')

  return {
    async verifyEmailPage(request, reply) {
      const token = tokenOf(request)
      if (token === undefined) return invalid(reply)
      return sendPage(reply, 200, appName, 'Confirm your email address', `<form method="post" action="verify-email"><input type="hidden" name="token" value="${escapeHtml(token)}"><button type="submit">Confirm my email address</button></form>`)
    },

    async resetPasswordPage(request, reply) {
      const token = tokenOf(request)
      if (token === undefined) return invalid(reply)
      return sendPage(
        reply,
        200,
        appName,
        'Choose a new password',
        `<form method="post" action="reset"><input type="hidden" name="token" value="${escapeHtml(token)}"><label for="password">New password (at least ${PASSWORD_MIN_LENGTH} characters)</label><input id="password" type="password" name="password" minlength="${PASSWORD_MIN_LENGTH}" maxlength="${PASSWORD_MAX_LENGTH}" autocomplete="new-password" required><button type="submit">Set the password</button></form>`,
      )
    },
  }
}
