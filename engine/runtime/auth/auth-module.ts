import { oauthRoutes } from '../../ir/routes/auth-routes.ts'
import { defineModule } from '../modules/feature-module.ts'
import { httpSettingsOf } from '../protection/http-settings.ts'
import type { AuthRateLimits } from './auth-context.ts'
import { registerAuth } from './create-auth.ts'
import type { OAuthDeps } from './oauth/routes.ts'
import { AUTH_SYSTEM_MIGRATIONS } from './system-tables.ts'

export interface AuthModuleOptions {
  /** `Authorization: Bearer <serviceKey>` acts as the system role. Unset: nobody does over HTTP. */
  readonly serviceKey?: string
  /** Override the sign-up, login and reset rate limits (DEFAULT_AUTH_RATE_LIMITS). */
  readonly rateLimits?: Partial<AuthRateLimits>
  /** Most keys (client addresses, accounts) each auth rate limit keeps in memory. Default 100,000. */
  readonly rateLimitCapacity?: number
  /** Other OAuth provider endpoints than GitHub's and Google's own (tests run a local fake provider). */
  readonly oauthEndpoints?: OAuthDeps['endpoints']
}

/**
 * Sessions, sign-up and sign-in, OAuth, roles and impersonation at `/auth`, and the CORS, CSRF and
 * cookie handling every route shares (so it registers `global`). Provides `actorOf` (who each
 * request acts as) and what the admin module manages.
 */
export const authModule = defineModule<AuthModuleOptions | undefined>({
  name: 'auth',
  systemMigrations: AUTH_SYSTEM_MIGRATIONS,
  global: true,
  async register(app, runtime, options = {}) {
    const auth = await registerAuth(app, {
      model: runtime.model,
      db: runtime.db,
      data: runtime.data,
      tables: runtime.tables,
      env: runtime.env,
      clock: runtime.clock,
      serviceKey: options.serviceKey,
      // Set only when the tracing module (registered before auth) turned tracing on.
      ...(runtime.observability.spans ? { spans: runtime.observability.spans } : {}),
      cors: { ...httpSettingsOf(runtime.model, runtime.env, runtime.dev).cors, localhost: runtime.dev },
      ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
      ...(options.rateLimitCapacity !== undefined ? { rateLimitCapacity: options.rateLimitCapacity } : {}),
    })
    // The OAuth routes (and arctic with them) load only for an app that declares a provider:
    // oauthRoutes() serves none otherwise, and a server should not hold code it never runs.
    if (oauthRoutes(runtime.model).length > 0) {
      const { registerOAuthRoutes } = await import('./oauth/routes.ts')
      registerOAuthRoutes(app, { ...auth.oauthDeps, ...(options.oauthEndpoints ? { endpoints: options.oauthEndpoints } : {}) })
    }
    return { actorOf: auth.actorOf, adminDeps: auth.adminDeps, credentials: auth.credentials, resolvedActorOf: auth.resolvedActorOf }
  },
})
