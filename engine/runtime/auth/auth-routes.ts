import type { FastifyReply, FastifyRequest } from 'fastify'
import { isKoyaError, KoyaError } from '../../shared/errors.ts'
import type { RouteHandlers } from '../http/route-contract.ts'
import { statusOf } from '../rest/http-errors.ts'
import type { AuthContext } from './auth-context.ts'
import { renderDecoyEmail, sendSignupAttemptEmail, sendTokenEmail } from './auth-emails.ts'
import { escapeHtml, isFormPost, sendPage } from './auth-pages.ts'
import { recordImpersonationStop } from './impersonation-routes.ts'
import { clearPasswordAttempts, countPasswordAttempt } from './login-attempts.ts'
import { passwordMinLengthOf } from '../../ir/privacy.ts'
import { checkPasswordRules, hashPassword, needsRehash, verifyPassword } from './passwords.ts'
import type { IssuedSession, Session } from './session-store.ts'
import { normalizeEmail } from './user-directory.ts'

const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+$/

/** The handlers of the email-and-password endpoints. */
export type PasswordRouteId = 'signup' | 'login' | 'verifyEmail' | 'resendVerification' | 'forgotPassword' | 'resetPassword' | 'changePassword'
/** The handlers of the session endpoints. */
export type SessionRouteId = 'logout' | 'logoutAll' | 'getSession'

/** A user and a session as one JSON body; the user row is already JSON text. */
function sendUser(reply: FastifyReply, status: number, user: string | undefined, fields: Record<string, unknown>): FastifyReply {
  const rest = Object.entries(fields).map(([key, value]) => `,${JSON.stringify(key)}:${JSON.stringify(value)}`).join('')
  return reply.code(status).type('application/json; charset=utf-8').send(`{"user":${user ?? 'null'}${rest}}`)
}

function checkEmailShape(email: string): void {
  if (!EMAIL_SHAPE.test(email)) throw new KoyaError('KL_API_VALIDATION', 'The request body is invalid: /email is not an email address.')
}

/** The request's session, or KL_AUTH_REQUIRED. */
export function requireSession(ctx: AuthContext, request: FastifyRequest): Session {
  const { session, via } = ctx.requests.authOf(request)
  if (session === undefined) {
    throw new KoyaError('KL_AUTH_REQUIRED', via === 'service-key' ? 'The service key is not a user session.' : 'The request has no valid session.')
  }
  return session
}

/**
 * Run an endpoint that the link pages' forms also post to: JSON callers get its JSON answer;
 * a form gets a page, with the error's message when it fails.
 */
async function answerForm(ctx: AuthContext, request: FastifyRequest, reply: FastifyReply, title: string, done: string, work: () => (() => FastifyReply) | Promise<() => FastifyReply>): Promise<FastifyReply> {
  if (!isFormPost(request)) return (await work())()
  try {
    await work()
    return sendPage(reply, 200, ctx.model.name, title, `<p>${done}</p>`)
  } catch (error) {
    if (!isKoyaError(error) || statusOf(error) >= 500) throw error
    return sendPage(reply, statusOf(error), ctx.model.name, 'That did not work', `<p>${escapeHtml(error.message)}</p><p>${escapeHtml(error.hint)}</p>`)
  }
}

function refuseDuringImpersonation(session: Session, what: string): void {
  if (session.impersonatorId !== null) {
    throw new KoyaError('KL_AUTH_IMPERSONATION', `An impersonation session cannot ${what}.`, { hint: 'End the impersonation with POST /auth/impersonate/stop.' })
  }
}

/**
 * The email-and-password endpoints of /auth: sign-up, login, email verification and password
 * reset and change. Their routes come from the contract (engine/ir/routes/auth-routes.ts).
 *
 * @example
 * registerContractRoutes(app, { ids, routes, handlers: { ...passwordHandlers(ctx), ...sessionHandlers(ctx), … }, isAnonymous })
 */
export function passwordHandlers(ctx: AuthContext): RouteHandlers<PasswordRouteId> {
  const { users, sessions, limiter, limits, requests, settings } = ctx
  const minLength = passwordMinLengthOf(ctx.model)

  const startSession = (reply: FastifyReply, userId: string): IssuedSession => {
    const { issued } = sessions.create(userId)
    requests.setCookie(reply, issued)
    return issued
  }

  // Forgot and resend answer the same whether or not the address has an account.
  const emailRequest = (kind: 'verify-email' | 'reset-password', wanted: (user: { emailVerified: boolean }) => boolean) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const email = normalizeEmail((request.body as { email: string }).email)
      limiter.hitAddress('reset-ip', request.ip, limits.resetPerIp)
      limiter.hitAccount('reset-account', email, limits.resetPerAccount)
      const user = users.findByEmail(email)
      if (user !== undefined && wanted(user)) await sendTokenEmail(ctx, kind, user)
      else await renderDecoyEmail(ctx, kind, email)
      return reply.code(202).send({ ok: true })
    }

  return {
    async signup(request, reply) {
      const { password, ...columns } = request.body as Record<string, unknown> & { email: string; password: string }
      const email = normalizeEmail(columns.email)
      checkEmailShape(email)
      limiter.hitAddress('signup-ip', request.ip, limits.signupPerIp)
      limiter.hitAccount('signup-account', email, limits.signupPerAccount)
      checkPasswordRules(password, minLength)
      if (settings.verifyEmail) {
        // Uniform (decision 47): the same answer, after the same work (a hash, an email),
        // whether or not the address has an account; its owner hears of the attempt.
        const passwordHash = await hashPassword(password)
        const created = ctx.db.transaction(() => {
          const existing = users.findByEmail(email)
          if (existing !== undefined) return { existing }
          const id = users.insertUser({ ...columns, email, emailVerified: false })
          users.setPasswordHash(id, passwordHash, ctx.clock())
          return { id }
        })()
        if (created.id !== undefined) await sendTokenEmail(ctx, 'verify-email', { id: created.id, email })
        else await sendSignupAttemptEmail(ctx, created.existing)
        return reply.code(202).send({ ok: true })
      }
      const taken = () => new KoyaError('KL_AUTH_EMAIL_TAKEN', 'An account with this email already exists.')
      if (users.findByEmail(email)) throw taken()
      const passwordHash = await hashPassword(password)
      const userId = ctx.db.transaction(() => {
        if (users.findByEmail(email)) throw taken() // signed up meanwhile, while the hash was computed
        const id = users.insertUser({ ...columns, email, emailVerified: false })
        users.setPasswordHash(id, passwordHash, ctx.clock())
        return id
      })()
      // Without verification the new user is signed in at once (the Lucia way).
      return sendUser(reply, 201, users.readUser(userId), { session: startSession(reply, userId) })
    },

    async login(request, reply) {
      const { email: given, password } = request.body as { email: string; password: string }
      const email = normalizeEmail(given)
      limiter.hitAddress('login-ip', request.ip, limits.loginPerIp)
      // Counted before the password is checked (login-attempts.ts: parallel guesses).
      countPasswordAttempt(ctx, email, request.ip)
      const user = users.findByEmail(email)
      const stored = user === undefined ? undefined : users.passwordHashOf(user.id)
      // An unknown email costs one argon2 verification too, and answers with the same error.
      const matches = stored === undefined ? await ctx.verifyUnknownPassword(password) : await verifyPassword(stored, password)
      if (!matches || user === undefined) throw new KoyaError('KL_AUTH_INVALID_CREDENTIALS', 'The email or password is wrong.')
      clearPasswordAttempts(ctx, email, request.ip)
      if (await needsRehash(stored!)) {
        const fresh = await hashPassword(password)
        // Only when the password did not change meanwhile: hashing ran off the event loop.
        if (users.passwordHashOf(user.id) === stored) users.setPasswordHash(user.id, fresh, ctx.clock())
      }
      return sendUser(reply, 200, users.readUser(user.id), { session: startSession(reply, user.id) })
    },

    verifyEmail: async (request, reply) =>
      answerForm(ctx, request, reply, 'Email address confirmed', 'You can close this page and sign in.', () => {
        limiter.hitAddress('token-ip', request.ip, limits.loginPerIp)
        const userId = ctx.tokens.consume('verify-email', (request.body as { token: string }).token, ctx.clock(), (id) => users.findById(id)?.email)
        if (userId === undefined) throw new KoyaError('KL_AUTH_INVALID_TOKEN', 'The verification link is unknown, already used or expired.')
        users.markVerified(userId)
        return () => sendUser(reply, 200, users.readUser(userId), {})
      }),

    resendVerification: emailRequest('verify-email', (user) => !user.emailVerified),
    forgotPassword: emailRequest('reset-password', () => true),

    resetPassword: async (request, reply) =>
      answerForm(ctx, request, reply, 'Password changed', 'Sign in with the new password; every session was signed out.', async () => {
        const { token, password } = request.body as { token: string; password: string }
        limiter.hitAddress('reset-ip', request.ip, limits.resetPerIp)
        checkPasswordRules(password, minLength) // before the token is used up
        const passwordHash = await hashPassword(password)
        ctx.db.transaction(() => {
          const userId = ctx.tokens.consume('reset-password', token, ctx.clock(), (id) => users.findById(id)?.email)
          if (userId === undefined) throw new KoyaError('KL_AUTH_INVALID_TOKEN', 'The password reset link is unknown, already used or expired.')
          users.setPasswordHash(userId, passwordHash, ctx.clock())
          // The link reached the inbox, which proves the address.
          if (users.findById(userId)?.emailVerified === false) users.markVerified(userId)
          sessions.revokeAllOf(userId)
        })()
        if (requests.authOf(request).via === 'cookie') requests.clearCookie(reply)
        return () => reply.code(200).send({ ok: true })
      }),

    async changePassword(request, reply) {
      const session = requireSession(ctx, request)
      refuseDuringImpersonation(session, 'change the password')
      const { currentPassword, newPassword } = request.body as { currentPassword: string; newPassword: string }
      const user = users.findById(session.userId)!
      // Counted before the check, as at login (parallel guesses), and against the same counts.
      countPasswordAttempt(ctx, user.email, request.ip)
      const stored = users.passwordHashOf(user.id)
      if (stored === undefined || !(await verifyPassword(stored, currentPassword))) {
        throw new KoyaError('KL_AUTH_INVALID_CREDENTIALS', 'The current password is wrong.')
      }
      clearPasswordAttempts(ctx, user.email, request.ip)
      checkPasswordRules(newPassword, minLength)
      const passwordHash = await hashPassword(newPassword)
      // Every session ends, this one too; the caller gets a fresh one. A reset link emailed before
      // stops working: whoever holds it (a forwarded or leaked email) must not undo the change.
      const issued = ctx.db.transaction(() => {
        users.setPasswordHash(user.id, passwordHash, ctx.clock())
        ctx.tokens.revokeAllOf('reset-password', user.id)
        sessions.revokeAllOf(user.id)
        return sessions.create(user.id).issued
      })()
      if (requests.authOf(request).via === 'cookie') requests.setCookie(reply, issued)
      return reply.code(200).send({ session: issued })
    },
  }
}

/**
 * The session endpoints every app with a users table has, whichever way its users sign in
 * (password or OAuth): logout, logout everywhere, and the current session.
 *
 * @example
 * const { logout, logoutAll, getSession } = sessionHandlers(ctx)
 */
export function sessionHandlers(ctx: AuthContext): RouteHandlers<SessionRouteId> {
  const { users, sessions, requests } = ctx
  return {
    async logout(request, reply) {
      const { session, via } = requests.authOf(request)
      if (session !== undefined) {
        sessions.revoke(session.id)
        if (session.impersonatorId !== null) recordImpersonationStop(ctx, request, session)
      }
      if (via === 'cookie') requests.clearCookie(reply)
      return reply.code(204).send()
    },

    async logoutAll(request, reply) {
      const session = requireSession(ctx, request)
      refuseDuringImpersonation(session, 'sign the user out everywhere')
      const revoked = sessions.revokeAllOf(session.userId)
      if (requests.authOf(request).via === 'cookie') requests.clearCookie(reply)
      return reply.code(200).send({ revoked })
    },

    async getSession(request, reply) {
      const session = requireSession(ctx, request)
      const { actor } = requests.authOf(request)
      const impersonator = session.impersonatorId === null ? undefined : users.findById(session.impersonatorId)
      return sendUser(reply, 200, users.readUser(session.userId), {
        roles: actor.kind === 'user' ? actor.roles : [],
        session: { createdAt: session.createdAt, expiresAt: session.expiresAt, absoluteExpiresAt: session.absoluteExpiresAt },
        ...(impersonator ? { impersonator: { id: impersonator.id, email: impersonator.email, reason: session.reason } } : {}),
      })
    },
  }
}
