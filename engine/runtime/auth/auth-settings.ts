import type { AuthIR, SettingIR } from '../../ir/project-ir.ts'
import { KoyaError } from '../../shared/errors.ts'
import { createOriginCheck } from '../protection/origins.ts'

export const DEFAULT_PUBLIC_URL = 'http://127.0.0.1:3000'

export type Env = Readonly<Record<string, string | undefined>>

/** The auth settings as the running server uses them, resolved once at start. */
export interface AuthSettings {
  /** Without a trailing slash: links are `${publicUrl}/auth/…`. */
  readonly publicUrl: string
  /** The origins whose cookie writes pass the CSRF check and whose pages CORS lets read answers. */
  readonly allowedOrigins: ReadonlySet<string>
  /** allowedOrigins, http.cors.origins and, under `koyalite dev`, local origins: what CORS and the CSRF check admit. */
  readonly allowsOrigin: (origin: string) => boolean
  /** Cookies are Secure with NODE_ENV=production or an https public URL. */
  readonly secureCookies: boolean
  /** `__Host-koya_session` with NODE_ENV=production, else `koya_session`. */
  readonly cookieName: string
  readonly idleTimeoutMs: number
  readonly absoluteTimeoutMs: number
  readonly emailEnabled: boolean
  readonly verifyEmail: boolean
}

/** The value of a setting: inline, or from the environment (undefined when unset or empty). */
export function settingValue(setting: SettingIR, env: Env): string | undefined {
  if ('value' in setting) return setting.value
  const value = env[setting.env]
  return value === undefined || value === '' ? undefined : value
}

/**
 * Resolve `auth` of the model against the environment.
 *
 * @throws KoyaError KL_AUTH_CONFIG when the public URL or a trusted origin is not an http(s) URL.
 * @example
 * const settings = resolveAuthSettings(model.auth, process.env)
 */
export function resolveAuthSettings(auth: AuthIR, env: Env, cors: { readonly origins: readonly string[]; readonly localhost: boolean } = { origins: [], localhost: false }): AuthSettings {
  // model.json written before publicUrl existed has neither field.
  const configured = auth.publicUrl ? settingValue(auth.publicUrl, env) : undefined
  const publicUrl = parseUrl(configured ?? (env.KOYA_PUBLIC_URL || DEFAULT_PUBLIC_URL), 'The public URL (auth.publicUrl or KOYA_PUBLIC_URL)')
  const extra = (env.KOYA_TRUSTED_ORIGINS ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0)
  const origins = [...(auth.trustedOrigins ?? []), ...extra].map((origin) => {
    const url = parseUrl(origin, `The trusted origin "${origin}"`)
    if (url.origin !== origin.replace(/\/$/, '')) throw new KoyaError('KL_AUTH_CONFIG', `The trusted origin "${origin}" has a path; an origin is scheme, host and port.`)
    return url.origin
  })
  const production = env.NODE_ENV === 'production'
  const allowedOrigins = new Set([publicUrl.origin, ...origins])
  return {
    publicUrl: publicUrl.href.replace(/\/$/, ''),
    allowedOrigins,
    allowsOrigin: createOriginCheck(new Set([...allowedOrigins, ...cors.origins]), cors.localhost),
    // People reach an https public URL over https only, so a staging server without
    // NODE_ENV=production must not let the session token travel over plain http either.
    secureCookies: production || publicUrl.protocol === 'https:',
    // __Host-: the browser only accepts it Secure, for path /, without a Domain, so a sibling
    // subdomain cannot plant or overwrite the session cookie. Only in production, so the name
    // clients and tests see does not change with the public URL's scheme.
    cookieName: production ? '__Host-koya_session' : 'koya_session',
    idleTimeoutMs: auth.session.idleTimeoutSeconds * 1000,
    absoluteTimeoutMs: auth.session.absoluteTimeoutSeconds * 1000,
    emailEnabled: auth.email.enabled,
    verifyEmail: auth.email.enabled && auth.email.verify,
  }
}

function parseUrl(text: string, what: string): URL {
  const url = URL.canParse(text) ? new URL(text) : undefined
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new KoyaError('KL_AUTH_CONFIG', `${what} "${text}" is not an absolute http(s) URL.`)
  }
  return url
}
