import type { FastifyReply, FastifyRequest } from 'fastify'
import { KoyaError } from '../../shared/errors.ts'
import type { Actor } from '../data/data-layer.ts'
import type { AuthSettings } from './auth-settings.ts'
import type { IssuedSession, Session, SessionStore } from './session-store.ts'
import type { SpanRunner } from '../observability/spans.ts'

/** Who a request is, and how it said so. */
export interface RequestAuth {
  readonly actor: Actor
  /** The session the request came with (absent for the service key and anonymous requests). */
  readonly session: Session | undefined
  readonly via: 'none' | 'service-key' | 'bearer' | 'cookie'
}

/**
 * The credentials of a connection that outlives its request (a realtime WebSocket or event
 * stream): who it is when it opens, and who its session token makes it later, so a logout, an
 * expiry, a revocation or a role change applies to it without reconnecting.
 *
 * @example
 * const { actor, token } = credentials.of(request)
 * // … on each event, or on a timer:
 * const now = token === undefined ? actor : credentials.actorOfToken(token) // undefined: the session ended
 */
export interface ConnectionCredentials {
  /**
   * The request's actor, and the session token to re-check it by (absent for the service key and
   * anonymous callers). A bearer token that is no session is refused (KL_AUTH_REQUIRED), as REST
   * does. A session cookie sent with the Origin of an untrusted page is refused (KL_AUTH_CSRF): a
   * WebSocket upgrade is a GET, which the CSRF hook lets through, and the browser attaches the
   * cookie to a foreign page's socket too (cross-site WebSocket hijacking).
   */
  of(request: FastifyRequest): ConnectionIdentity
  /**
   * Who a session token acts as now (roles re-read; the session renewed as a request would
   * renew it), or undefined once the session ended.
   */
  actorOfToken(token: string): Omit<ConnectionIdentity, 'token'> | undefined
}

export interface ConnectionIdentity {
  readonly actor: Actor
  /** The session token (bearer or cookie) to re-check the actor by; absent for the service key and anonymous callers. */
  readonly token: string | undefined
  /** When the session ends unless renewed (epoch ms; idle or absolute, whichever comes first); absent without a session. */
  readonly expiresAt: number | undefined
}

export interface RequestAuthResolver {
  /** Resolved once per request, on first use. */
  authOf(request: FastifyRequest): RequestAuth
  /** The caller, if the request already resolved it (never resolves it). */
  resolvedActorOf(request: FastifyRequest): Actor | undefined
  /** See ConnectionCredentials. */
  readonly credentials: ConnectionCredentials
  /** Refuse a cross-origin write that a browser could make with the victim's cookie. */
  checkCsrf(request: FastifyRequest): void
  /** Hand the session to the browser in the HttpOnly cookie. */
  setCookie(reply: FastifyReply, issued: IssuedSession): void
  clearCookie(reply: FastifyReply): void
  /** After the handler: re-send a renewed cookie session's cookie, drop a dead one. */
  refreshCookie(request: FastifyRequest, reply: FastifyReply): void
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** An Authorization header of the Bearer scheme, whatever follows it. */
const BEARER_SCHEME = /^Bearer(\s|$)/i

/** The token of a well-formed `Authorization: Bearer <token>`; undefined otherwise. */
export function bearerOf(request: FastifyRequest): string | undefined {
  return /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1]
}

/**
 * A page served by this server itself: the browser sets both Origin and Host, so a foreign page
 * cannot make them agree (with DNS rebinding they agree on the attacker's name, under which the
 * browser holds no cookie of ours). The scheme must agree too: an http page on our host is one a
 * network attacker can write. Behind a TLS proxy the request itself may arrive as http, so with
 * an https public URL only https pages count.
 */
function isOwnPage(origin: string, request: FastifyRequest, httpsOnly: boolean): boolean {
  const own = `${httpsOnly ? 'https' : request.protocol}://${request.host}`
  return URL.canParse(origin) && URL.canParse(own) && new URL(origin).origin === new URL(own).origin
}

export function isWrite(request: FastifyRequest): boolean {
  return !SAFE_METHODS.has(request.method)
}

/**
 * The request's actor, from (in order) the service key, a bearer session token, or the session
 * cookie. Roles come from `_koya_role_grants` on every request, in the session's one statement,
 * so a grant or revocation applies at once.
 *
 * @example
 * const auth = createRequestAuthResolver({ settings, sessions, isServiceKey })
 * const actor = auth.authOf(request).actor
 */
export function createRequestAuthResolver(deps: {
  readonly settings: AuthSettings
  readonly sessions: SessionStore
  readonly isServiceKey: (token: string) => boolean
  /** With tracing on: each resolution is an `auth.session` span (how the caller came, as whom; never the token or id). */
  readonly spans?: SpanRunner
}): RequestAuthResolver {
  const { settings, sessions, isServiceKey, spans } = deps
  // Each request's resolved auth, on the request itself under this resolver's own symbol. Not a
  // WeakMap keyed by request: its entries kept each request's session, actor and row alive across
  // young-generation collections, promoting them (most of what a get promoted under load; issue
  // 21, decision 180).
  const AUTH = Symbol('koya.requestAuth')
  type WithAuth = FastifyRequest & { [AUTH]?: RequestAuth & { renewed: boolean } }
  const resolved = {
    get: (request: FastifyRequest) => (request as WithAuth)[AUTH],
    set: (request: FastifyRequest, auth: RequestAuth & { renewed: boolean }) => void ((request as WithAuth)[AUTH] = auth),
  }
  // Replies whose handler set or cleared the cookie itself: refreshCookie leaves them alone.
  const handled = new WeakSet<FastifyReply>()
  const anonymous: Actor = { kind: 'anonymous' }
  const httpsOnly = settings.publicUrl.startsWith('https:')

  const fromToken = (token: string, via: 'bearer' | 'cookie') => {
    const found = sessions.validate(token)
    if (found === undefined) return { actor: anonymous, session: undefined, via, renewed: false }
    const { session, roles, impersonatorIsAdmin, renewed } = found
    // An impersonation lasts only while its admin still holds the admin role, and while its
    // target does not: acting as another admin is refused at the start, and a grant made since
    // must not hand the impersonating admin that admin's powers.
    if (session.impersonatorId !== null && (!impersonatorIsAdmin || roles.includes('admin'))) {
      sessions.revoke(session.id)
      return { actor: anonymous, session: undefined, via, renewed: false }
    }
    const actor: Actor = {
      kind: 'user',
      userId: session.userId,
      roles,
      sessionId: session.id,
      ...(session.impersonatorId !== null ? { impersonatorId: session.impersonatorId, ...(session.reason !== null ? { impersonationReason: session.reason } : {}) } : {}),
    }
    return { actor, session, via, renewed }
  }

  const resolvePlain = (request: FastifyRequest) => {
    const bearer = bearerOf(request)
    if (bearer !== undefined) {
      if (isServiceKey(bearer)) return { actor: { kind: 'system' } as Actor, session: undefined, via: 'service-key' as const, renewed: false }
      return fromToken(bearer, 'bearer')
    }
    // `Bearer ` with no token (or a malformed one) is a bearer that is no session, refused like
    // any other: read as anonymous, it would hide a client bug that drops its token.
    if (BEARER_SCHEME.test(request.headers.authorization ?? '')) return { actor: anonymous, session: undefined, via: 'bearer' as const, renewed: false }
    const cookie = request.cookies[settings.cookieName]
    if (cookie !== undefined && cookie !== '') return fromToken(cookie, 'cookie')
    return { actor: anonymous, session: undefined, via: 'none' as const, renewed: false }
  }
  // Chosen once: without tracing the plain function, no wrapper per request.
  const resolve =
    spans === undefined
      ? resolvePlain
      : (request: FastifyRequest) =>
          spans.inSpan('auth.session', {}, (span) => {
            const auth = resolvePlain(request)
            span.set('koya.auth.via', auth.via)
            span.set('koya.actor.kind', auth.actor.kind)
            span.set('koya.auth.renewed', auth.renewed)
            span.set('koya.auth.impersonation', auth.actor.kind === 'user' && auth.actor.impersonatorId !== undefined)
            return auth
          })

  // One set of attributes for setting and clearing: a browser only clears a cookie whose path
  // (and, with __Host-, Secure) match the one it holds.
  const cookieAttributes = { path: '/', httpOnly: true, sameSite: 'lax', secure: settings.secureCookies } as const
  const clear = (reply: FastifyReply) => reply.clearCookie(settings.cookieName, cookieAttributes)
  const set = (reply: FastifyReply, token: string, expiresAt: string) => reply.setCookie(settings.cookieName, token, { ...cookieAttributes, expires: new Date(expiresAt) })

  const endOf = (session: Session | undefined) => (session === undefined ? undefined : Math.min(Date.parse(session.expiresAt), Date.parse(session.absoluteExpiresAt)))
  const trustedOrigin = (origin: string | undefined, request: FastifyRequest) =>
    origin !== undefined && (settings.allowsOrigin(origin) || isOwnPage(origin, request, httpsOnly))

  const authOf = (request: FastifyRequest) => {
    let auth = resolved.get(request)
    if (auth === undefined) {
      auth = resolve(request)
      resolved.set(request, auth)
    }
    return auth
  }

  return {
    credentials: {
      of(request) {
        const auth = authOf(request)
        if (auth.via === 'bearer' && auth.actor.kind === 'anonymous') {
          throw new KoyaError('KL_AUTH_REQUIRED', 'The bearer token is not a valid session or service key: it expired, was revoked or is mistyped.', {
            hint: 'Sign in again with POST /auth/login, or send no Authorization header to act anonymously.',
          })
        }
        // Browsers always send Origin with a WebSocket handshake and with a cross-origin event
        // stream (whose answer CORS then keeps from a foreign page); a client without one is no
        // browser page.
        const origin = request.headers.origin
        if (auth.via === 'cookie' && origin !== undefined && !trustedOrigin(origin, request)) {
          throw new KoyaError('KL_AUTH_CSRF', `A connection with the session cookie came from the untrusted origin ${origin}.`)
        }
        const token = auth.session === undefined ? undefined : auth.via === 'bearer' ? bearerOf(request) : request.cookies[settings.cookieName]
        return { actor: auth.actor, token, expiresAt: endOf(auth.session) }
      },
      actorOfToken(token) {
        const { actor, session } = fromToken(token, 'bearer')
        return actor.kind === 'anonymous' ? undefined : { actor, expiresAt: endOf(session) }
      },
    },

    authOf(request) {
      let auth = resolved.get(request)
      if (auth === undefined) {
        auth = resolve(request)
        resolved.set(request, auth)
      }
      return auth
    },

    resolvedActorOf: (request) => resolved.get(request)?.actor,

    checkCsrf(request) {
      // A bearer token is never attached by the browser on its own, so it cannot be forged
      // cross-site; the cookie is, so cookie writes must prove where they come from.
      if (!isWrite(request) || bearerOf(request) !== undefined) return
      const origin = request.headers.origin
      // `Origin: null` (a sandboxed frame, a page with Referrer-Policy: no-referrer, a redirect
      // across origins) says nothing about where the write comes from: refused like a foreign one.
      const allowed = trustedOrigin(origin, request)
      const hasCookie = (request.cookies[settings.cookieName] ?? '') !== ''
      if (hasCookie && !allowed) {
        throw new KoyaError('KL_AUTH_CSRF', origin === undefined ? `${request.method} with the session cookie came without an Origin header.` : `${request.method} with the session cookie came from the untrusted origin ${origin}.`)
      }
      // Without a cookie, a foreign page could still sign the browser in to the attacker's
      // account (login CSRF): a browser's cross-origin write is refused too.
      if (!hasCookie && origin !== undefined && !allowed) {
        throw new KoyaError('KL_AUTH_CSRF', `${request.method} came from the untrusted origin ${origin}.`)
      }
    },

    setCookie(reply, issued) {
      handled.add(reply)
      set(reply, issued.token, issued.expiresAt)
    },

    clearCookie(reply) {
      handled.add(reply)
      clear(reply)
    },

    refreshCookie(request, reply) {
      const auth = resolved.get(request)
      if (auth?.via !== 'cookie' || handled.has(reply)) return
      if (auth.session === undefined) clear(reply)
      else if (auth.renewed) set(reply, request.cookies[settings.cookieName]!, auth.session.expiresAt)
    },
  }
}
