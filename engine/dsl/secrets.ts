import type { EnvironmentName, EnvRef, Setting } from './config.ts'

/**
 * Where the app's secrets come from besides the environment and `.env` files: an Infisical
 * project, read at start (before the `env(…)` declarations are checked) with a machine identity
 * (universal auth), and read again every `refresh`. The process environment wins over Infisical,
 * and Infisical wins over `.env` files. Infisical unreachable at start: the server does not start
 * (`KL_ENV_SECRETS_UNREACHABLE`).
 *
 * @example
 * secrets: {
 *   provider: 'infisical',
 *   projectId: 'f6e3c1b2-…',
 *   clientId: env('INFISICAL_CLIENT_ID'),
 *   clientSecret: env('INFISICAL_CLIENT_SECRET'),
 *   environment: { production: 'prod', staging: 'staging' },
 *   path: '/api',
 * }
 */
export interface InfisicalSecretsDef {
  readonly provider: 'infisical'
  /** The Infisical instance. Default `https://app.infisical.com`; a self-hosted one: `env('INFISICAL_SITE_URL')`. */
  readonly siteUrl?: Setting
  /** The project's id (Project settings → Project ID). */
  readonly projectId: Setting
  /** The machine identity's universal-auth client id. Always `env('NAME')`. */
  readonly clientId: EnvRef
  /** The machine identity's universal-auth client secret. Always `env('NAME')`. */
  readonly clientSecret: EnvRef
  /**
   * The Infisical environment slug: one for every `KOYA_ENV`, or one per `KOYA_ENV`. Default
   * development → `dev`, test → `dev`, staging → `staging`, production → `prod`.
   */
  readonly environment?: string | { readonly [E in EnvironmentName]?: string }
  /** The folder the secrets are read from. Default `/`. */
  readonly path?: string
  /** How often a running server reads the secrets again (`'5m'`), or `false`. Default `'5m'`. */
  readonly refresh?: string | false
  /** How long one request to Infisical may take before it counts as unreachable. Default `'10s'`. */
  readonly timeout?: string
}

/** The secrets provider of `defineConfig({ secrets })`. */
export type SecretsDef = InfisicalSecretsDef
