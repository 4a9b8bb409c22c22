import type { AuthIR, SettingIR } from '../../../ir/project-ir.ts'
import { settingValue, type Env } from '../auth-settings.ts'

/** The OAuth providers KoyaLite signs in with. */
export type OAuthProviderName = 'github' | 'google'

export const OAUTH_PROVIDERS: readonly OAuthProviderName[] = ['github', 'google']

/** Where a provider's OAuth flow and profile live. Tests point them at a local fake provider. */
export interface OAuthEndpoints {
  readonly authorize: string
  readonly token: string
  /** GitHub: the REST API root (`/user`, `/user/emails`); Google: the OpenID Connect userinfo URL. */
  readonly profile: string
}

/** A provider's client credentials, read from the environment (or inline, for the id) at start. */
export interface OAuthClientSettings {
  readonly clientId: string
  readonly clientSecret: string
}

/** What the provider says about the user who signed in. */
export interface OAuthProfile {
  /** The provider's stable id of the user (GitHub's numeric id, Google's `sub`). */
  readonly providerUserId: string
  /** Lower-cased; null when the provider gave no address. */
  readonly email: string | null
  /** True only when the provider says it verified `email`. */
  readonly emailVerified: boolean
  /** A display name (GitHub: name or login), null when there is none. */
  readonly name: string | null
}

interface ProviderSpec {
  readonly label: string
  readonly endpoints: OAuthEndpoints
  readonly scopes: readonly string[]
}

/**
 * The real endpoints. Arctic's GitHub and Google classes hard-code theirs, so the routes use
 * arctic's generic OAuth2Client with these (overridable for tests). Both flows use PKCE (S256):
 * Google requires it for this flow, GitHub accepts it, and it binds the code to this browser.
 */
export const PROVIDER_SPECS: Record<OAuthProviderName, ProviderSpec> = {
  github: {
    label: 'GitHub',
    endpoints: {
      authorize: 'https://github.com/login/oauth/authorize',
      token: 'https://github.com/login/oauth/access_token',
      profile: 'https://api.github.com',
    },
    scopes: ['read:user', 'user:email'],
  },
  google: {
    label: 'Google',
    endpoints: {
      authorize: 'https://accounts.google.com/o/oauth2/v2/auth',
      token: 'https://oauth2.googleapis.com/token',
      profile: 'https://openidconnect.googleapis.com/v1/userinfo',
    },
    scopes: ['openid', 'email', 'profile'],
  },
}

export function isOAuthProviderName(name: string): name is OAuthProviderName {
  return (OAUTH_PROVIDERS as readonly string[]).includes(name)
}

/** The providers' credentials as the server resolved them, and which settings were missing. */
export interface ResolvedOAuthProviders {
  readonly providers: Partial<Record<OAuthProviderName, OAuthClientSettings>>
  /** `github.clientSecret (env GITHUB_CLIENT_SECRET)`: a configured provider left out for a missing variable. */
  readonly missing: readonly string[]
}

/**
 * Resolve the client id and secret of each configured provider from the environment, once, when
 * the server starts. A provider with a missing variable is left out (its routes answer
 * KL_AUTH_OAUTH_NOT_CONFIGURED) and named in `missing`, for the server to log.
 *
 * @example
 * const { providers, missing } = resolveOAuthProviders(model.auth, process.env)
 * if (missing.length > 0) app.log.warn({ missing }, 'OAuth providers left out')
 */
export function resolveOAuthProviders(auth: AuthIR, env: Env): ResolvedOAuthProviders {
  const providers: Partial<Record<OAuthProviderName, OAuthClientSettings>> = {}
  const missing: string[] = []
  for (const name of OAUTH_PROVIDERS) {
    const def = auth.oauth[name]
    if (def === null) continue
    const read = (setting: SettingIR, field: string): string | undefined => {
      const value = settingValue(setting, env)
      if (value !== undefined && value !== '') return value
      missing.push(`${name}.${field}${'env' in setting ? ` (env ${setting.env})` : ''}`)
      return undefined
    }
    const clientId = read(def.clientId, 'clientId')
    const clientSecret = read(def.clientSecret, 'clientSecret')
    if (clientId !== undefined && clientSecret !== undefined) providers[name] = { clientId, clientSecret }
  }
  return { providers, missing }
}
