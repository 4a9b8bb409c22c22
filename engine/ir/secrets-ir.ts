import type { EnvironmentName } from './http-ir.ts'
import type { SettingIR } from './project-ir.ts'

/**
 * `defineConfig({ secrets })` as model.json holds it (dsl InfisicalSecretsDef, checked and
 * normalized): where the runtime reads secrets at start and on refresh. Never a secret itself.
 */
export interface InfisicalSecretsIR {
  readonly provider: 'infisical'
  readonly siteUrl: SettingIR
  readonly projectId: SettingIR
  readonly clientId: { readonly env: string }
  readonly clientSecret: { readonly env: string }
  /** The Infisical environment slug of each KOYA_ENV. */
  readonly environments: Readonly<Record<EnvironmentName, string>>
  /** The folder, `/` or `/a/b` (no trailing slash). */
  readonly path: string
  /** null: read once, at start. */
  readonly refreshMs: number | null
  readonly timeoutMs: number
}

export type SecretsIR = InfisicalSecretsIR

export const DEFAULT_INFISICAL_SITE_URL = 'https://app.infisical.com'
