import { assertNever } from '../../../shared/assert-never.ts'
import { KoyaError } from '../../../shared/errors.ts'
import type { OAuthEndpoints, OAuthProfile, OAuthProviderName } from './providers.ts'

/** How long a profile request may take before the sign-in fails. */
const PROFILE_TIMEOUT_MS = 10_000

/**
 * Ask the provider who signed in, with the access token from the code exchange. GitHub: `/user`
 * for the id and name, `/user/emails` for the addresses and whether GitHub verified them (the
 * `email` of `/user` is only the public one, and says nothing about verification). Google: the
 * OpenID Connect userinfo endpoint (`sub`, `email`, `email_verified`).
 */
export async function fetchOAuthProfile(provider: OAuthProviderName, endpoints: OAuthEndpoints, accessToken: string): Promise<OAuthProfile> {
  switch (provider) {
    case 'github':
      return fetchGitHubProfile(endpoints.profile.replace(/\/+$/, ''), accessToken)
    case 'google':
      return fetchGoogleProfile(endpoints.profile, accessToken)
    default:
      return assertNever(provider, 'OAuth provider')
  }
}

interface GitHubEmail {
  readonly email: string
  readonly primary: boolean
  readonly verified: boolean
}

async function fetchGitHubProfile(api: string, accessToken: string): Promise<OAuthProfile> {
  const headers = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' }
  const [user, emails] = await Promise.all([getJson(`${api}/user`, accessToken, headers), getJson(`${api}/user/emails`, accessToken, headers)])
  const id = field(user, 'id')
  if (typeof id !== 'number' && typeof id !== 'string') throw badProfile('GitHub', 'no user id')
  const addresses = (Array.isArray(emails) ? emails : []).filter(isGitHubEmail)
  // The primary address if GitHub verified it, else any verified one; an unverified address is
  // kept (to refuse it by name) only when nothing is verified.
  const chosen =
    addresses.find((e) => e.primary && e.verified) ?? addresses.find((e) => e.verified) ?? addresses.find((e) => e.primary) ?? addresses[0]
  const name = field(user, 'name')
  const login = field(user, 'login')
  return {
    providerUserId: String(id),
    email: chosen ? chosen.email.toLowerCase() : null,
    emailVerified: chosen?.verified === true,
    name: typeof name === 'string' && name.trim() !== '' ? name.trim() : typeof login === 'string' ? login : null,
  }
}

async function fetchGoogleProfile(url: string, accessToken: string): Promise<OAuthProfile> {
  const info = await getJson(url, accessToken, { accept: 'application/json' })
  const sub = field(info, 'sub')
  if (typeof sub !== 'string' || sub === '') throw badProfile('Google', 'no subject')
  const email = field(info, 'email')
  const name = field(info, 'name')
  return {
    providerUserId: sub,
    email: typeof email === 'string' && email !== '' ? email.toLowerCase() : null,
    // Google sends a boolean; some OpenID providers send the string "true".
    emailVerified: field(info, 'email_verified') === true || field(info, 'email_verified') === 'true',
    name: typeof name === 'string' && name.trim() !== '' ? name.trim() : null,
  }
}

function isGitHubEmail(value: unknown): value is GitHubEmail {
  return typeof field(value, 'email') === 'string' && typeof field(value, 'primary') === 'boolean' && typeof field(value, 'verified') === 'boolean'
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined
}

async function getJson(url: string, accessToken: string, headers: Record<string, string>): Promise<unknown> {
  let response: Response
  try {
    // GitHub refuses API requests without a User-Agent.
    response = await fetch(url, { headers: { ...headers, authorization: `Bearer ${accessToken}`, 'user-agent': 'koyalite' }, signal: AbortSignal.timeout(PROFILE_TIMEOUT_MS) })
  } catch (cause) {
    throw new KoyaError('KL_AUTH_OAUTH_PROVIDER_ERROR', 'The sign-in provider could not be reached for the user\'s profile.', { cause })
  }
  if (!response.ok) {
    await response.body?.cancel()
    throw new KoyaError('KL_AUTH_OAUTH_PROVIDER_ERROR', `The sign-in provider answered ${response.status} to the profile request.`, { details: { url } })
  }
  try {
    return (await response.json()) as unknown
  } catch (cause) {
    throw new KoyaError('KL_AUTH_OAUTH_PROVIDER_ERROR', 'The sign-in provider answered the profile request with something that is not JSON.', { cause })
  }
}

function badProfile(label: string, what: string): KoyaError {
  return new KoyaError('KL_AUTH_OAUTH_PROVIDER_ERROR', `${label} answered the profile request with ${what}.`)
}
