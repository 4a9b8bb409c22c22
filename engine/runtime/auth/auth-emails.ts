import { enqueueEmail, renderEmail } from '../email/index.ts'
import type { AuthContext } from './auth-context.ts'
import type { OneTimeTokenKind } from './one-time-tokens.ts'
import { generateToken } from './tokens.ts'

/** Where each emailed link points: the pages that take the token (see auth-pages.ts). */
const LINK_PATHS: Record<OneTimeTokenKind, string> = {
  'verify-email': '/auth/verify-email',
  'reset-password': '/auth/password/reset',
}

/**
 * Issue a one-time token and queue the email that carries it. The link is built from the
 * configured public URL, never from the request's Host header (which an attacker chooses).
 */
export async function sendTokenEmail(ctx: AuthContext, kind: OneTimeTokenKind, user: { readonly id: string; readonly email: string }): Promise<void> {
  const token = ctx.tokens.issue(kind, user.id, user.email, ctx.clock())
  const email = await renderEmail(kind, { appName: ctx.model.name, link: linkFor(ctx, kind, token), email: user.email })
  // The token is blanked from the stored message once it is sent: the queue keeps no usable link.
  enqueueEmail(ctx.db, { kind, to: user.email, ...email, secrets: [token] }, ctx.clock())
}

/**
 * What sendTokenEmail costs, without a user: the answer for an unknown address takes as long as
 * the one for a known address, so its timing does not tell whether an account exists.
 */
export async function renderDecoyEmail(ctx: AuthContext, kind: OneTimeTokenKind, address: string): Promise<void> {
  await renderEmail(kind, { appName: ctx.model.name, link: linkFor(ctx, kind, generateToken()), email: address })
}

function linkFor(ctx: AuthContext, kind: OneTimeTokenKind, token: string): string {
  return `${ctx.settings.publicUrl}${LINK_PATHS[kind]}?token=${encodeURIComponent(token)}`
}

/**
 * Tell an account's owner that someone signed up with their address: with email verification
 * on, sign-up answers the same whether or not an account exists (decision 47), so the owner
 * hears of it here instead. The link is the app's public URL: no token, nothing to use up.
 *
 * @example
 * const existing = users.findByEmail(email)
 * if (existing !== undefined) await sendSignupAttemptEmail(ctx, existing)
 */
export async function sendSignupAttemptEmail(ctx: AuthContext, user: { readonly email: string }): Promise<void> {
  const email = await renderEmail('signup-attempt', { appName: ctx.model.name, link: ctx.settings.publicUrl, email: user.email })
  enqueueEmail(ctx.db, { kind: 'signup-attempt', to: user.email, ...email }, ctx.clock())
}
