import { timingSafeEqual } from 'node:crypto'
import type {} from '@fastify/cookie'
import { ArcticFetchError, CodeChallengeMethod, OAuth2Client, OAuth2RequestError, type OAuth2Tokens, generateCodeVerifier, generateState } from 'arctic'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { OAUTH_ROUTE_IDS, oauthRoutes } from '../../../ir/routes/auth-routes.ts'
import { KoyaError } from '../../../shared/errors.ts'
import { registerContractRoutes } from '../../http/route-contract.ts'
import type { OAuthRouteDeps } from '../auth-context.ts'
import type { RateLimit } from '../rate-limiter.ts'
import { resolveOAuthAccount } from './accounts.ts'
import { fetchOAuthProfile } from './profile.ts'
import { type OAuthEndpoints, type OAuthProviderName, PROVIDER_SPECS, isOAuthProviderName, resolveOAuthProviders } from './providers.ts'
import { checkRedirect } from './redirects.ts'

/** What the OAuth routes need: the auth core's OAuthRouteDeps, and endpoints tests can replace. */
export interface OAuthDeps extends OAuthRouteDeps {
  /** Other endpoints for a provider (tests run a local fake provider). Default: the real ones. */
  readonly endpoints?: Partial<Record<OAuthProviderName, OAuthEndpoints>>
}

/** Callbacks per client address: each costs a code exchange and profile requests at the provider. */
const CALLBACK_LIMIT: RateLimit = { max: 30, windowSeconds: 600 }

/** How long the browser has to come back from the provider. */
const FLOW_MAX_AGE_SECONDS = 600

const COOKIE = { state: 'koya_oauth_state', verifier: 'koya_oauth_verifier', redirect: 'koya_oauth_redirect' } as const

interface ProviderParams {
  provider: string
}

interface StartQuery {
  redirectTo?: string
}

interface CallbackQuery {
  code?: string
  state?: string
  error?: string
}

/**
 * `GET /auth/oauth/:provider` sends the browser to the provider (GitHub, Google) with a fresh
 * state and PKCE challenge, kept in short-lived HttpOnly cookies; `GET /auth/oauth/:provider/callback`
 * checks the state, exchanges the code with the verifier, reads the profile, signs the user in
 * (an existing link, a verified email, or a new user) and redirects to `redirectTo`, which must be
 * on the public URL's origin, a trusted origin or in auth.redirects. Client ids and secrets are
 * read from `deps.env` once, here. Needs @fastify/cookie on `app` (registerAuth registers it).
 * The routes are the contract's (engine/ir/routes/auth-routes.ts): served when the app
 * configures a provider.
 *
 * @example
 * const auth = await registerAuth(app, { model, db, data, tables, env: process.env, clock, serviceKey })
 * registerOAuthRoutes(app, auth.oauthDeps)
 */
export function registerOAuthRoutes(app: FastifyInstance, deps: OAuthDeps): void {
  const publicUrl = deps.settings.publicUrl
  const base = new URL(publicUrl)
  const basePath = base.pathname.replace(/\/+$/, '')
  // The public URL's origin and the trusted origins (which may already write with the session
  // cookie, so returning to them adds no risk), and auth.redirects.
  const allowedRedirects = [...(deps.model.auth.redirects ?? []), ...deps.settings.allowedOrigins]
  const secure = deps.settings.secureCookies
  const { missing } = resolveOAuthProviders(deps.model.auth, deps.env)
  if (missing.length > 0) app.log.warn({ missing }, 'OAuth providers without their client id or secret are turned off')

  const configured = (name: string) => {
    if (!isOAuthProviderName(name)) {
      throw new KoyaError('KL_AUTH_OAUTH_UNKNOWN_PROVIDER', `"${name}" is not an OAuth provider KoyaLite signs in with.`)
    }
    // Read at each sign-in from the environment the server holds, so a secrets refresh that
    // rotates a client secret (or sets a provider's variables) applies to the next sign-in.
    const settings = resolveOAuthProviders(deps.model.auth, deps.env).providers[name]
    if (settings === undefined) {
      throw new KoyaError('KL_AUTH_OAUTH_NOT_CONFIGURED', `Sign-in with ${PROVIDER_SPECS[name].label} is not set up for this app.`)
    }
    const endpoints = deps.endpoints?.[name] ?? PROVIDER_SPECS[name].endpoints
    const callback = `${base.origin}${basePath}/auth/oauth/${name}/callback`
    return { name, endpoints, client: new OAuth2Client(settings.clientId, settings.clientSecret, callback), cookiePath: `${basePath}/auth/oauth/${name}` }
  }

  async function startOAuth(request: FastifyRequest, reply: FastifyReply) {
    const provider = configured((request.params as ProviderParams).provider)
    const redirectTo = checkRedirect((request.query as StartQuery).redirectTo, publicUrl, allowedRedirects)
    const state = generateState()
    const verifier = generateCodeVerifier()
    const url = provider.client.createAuthorizationURLWithPKCE(provider.endpoints.authorize, state, CodeChallengeMethod.S256, verifier, [...PROVIDER_SPECS[provider.name].scopes])
    // SameSite=Lax: the provider sends the browser back with a top-level GET from its own site.
    const options = { path: provider.cookiePath, httpOnly: true, secure, sameSite: 'lax', maxAge: FLOW_MAX_AGE_SECONDS } as const
    reply.setCookie(COOKIE.state, state, options).setCookie(COOKIE.verifier, verifier, options).setCookie(COOKIE.redirect, redirectTo, options)
    return reply.header('cache-control', 'no-store').redirect(url.href, 302)
  }

  async function finishOAuth(request: FastifyRequest, reply: FastifyReply) {
    const provider = configured((request.params as ProviderParams).provider)
    const cookies = { state: request.cookies[COOKIE.state], verifier: request.cookies[COOKIE.verifier], redirect: request.cookies[COOKIE.redirect] }
    // One try per flow: whatever happens next, the flow's cookies are spent.
    for (const name of Object.values(COOKIE)) reply.clearCookie(name, { path: provider.cookiePath, httpOnly: true, secure, sameSite: 'lax' })
    reply.header('cache-control', 'no-store')

    const { code, state, error } = request.query as CallbackQuery
    if (error !== undefined) {
      // The provider's error code is echoed only when it looks like one (`access_denied`).
      const reason = /^[\w.-]{1,64}$/.test(error) ? ` (${error})` : ''
      throw new KoyaError('KL_AUTH_OAUTH_DENIED', `${PROVIDER_SPECS[provider.name].label} did not authorize the sign-in${reason}.`)
    }
    if (state === undefined || cookies.state === undefined || cookies.verifier === undefined || !sameText(state, cookies.state)) {
      throw new KoyaError('KL_AUTH_OAUTH_STATE', 'The sign-in callback does not match a sign-in this browser started.')
    }
    if (code === undefined || code === '') {
      throw new KoyaError('KL_AUTH_OAUTH_CODE_REJECTED', 'The sign-in callback carries no authorization code.')
    }
    // Checked again, before anything happens: the cookie came back from the browser.
    const redirectTo = checkRedirect(cookies.redirect, publicUrl, allowedRedirects)
    deps.rateLimitAddress('oauth-callback-ip', request.ip, CALLBACK_LIMIT)
    const accessToken = accessTokenOf(await exchangeCode(provider.client, provider.endpoints.token, code, cookies.verifier))
    const profile = await fetchOAuthProfile(provider.name, provider.endpoints, accessToken)
    const { user, outcome } = await resolveOAuthAccount(deps, provider.name, profile, deps.clock())
    request.log.info({ provider: provider.name, userId: user.id, outcome }, 'oauth sign-in')
    await deps.startSession(reply, user.id)
    return reply.redirect(redirectTo, 302)
  }

  registerContractRoutes(app, {
    ids: OAUTH_ROUTE_IDS,
    routes: oauthRoutes(deps.model),
    handlers: { startOAuth, finishOAuth },
    isAnonymous: (request) => deps.authOf(request).actor.kind === 'anonymous',
  })
}

async function exchangeCode(client: OAuth2Client, tokenEndpoint: string, code: string, verifier: string): Promise<OAuth2Tokens> {
  try {
    return await client.validateAuthorizationCode(tokenEndpoint, code, verifier)
  } catch (cause) {
    if (cause instanceof OAuth2RequestError) {
      throw new KoyaError('KL_AUTH_OAUTH_CODE_REJECTED', `The sign-in provider refused the authorization code (${cause.code}).`, { cause })
    }
    const reached = !(cause instanceof ArcticFetchError)
    throw new KoyaError('KL_AUTH_OAUTH_PROVIDER_ERROR', reached ? 'The sign-in provider answered the code exchange with something unexpected.' : 'The sign-in provider could not be reached for the code exchange.', { cause })
  }
}

/** GitHub answers a refused exchange with 200 and an `error` field, which arctic's generic client returns as tokens. */
function accessTokenOf(tokens: OAuth2Tokens): string {
  const data = tokens.data as { error?: unknown }
  if (typeof data.error === 'string') {
    throw new KoyaError('KL_AUTH_OAUTH_CODE_REJECTED', `The sign-in provider refused the authorization code (${data.error}).`)
  }
  try {
    return tokens.accessToken()
  } catch (cause) {
    throw new KoyaError('KL_AUTH_OAUTH_PROVIDER_ERROR', 'The sign-in provider answered the code exchange without an access token.', { cause })
  }
}

/** Compare in constant time: the state is a secret the browser holds. */
function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}
