import type { SecretsDef } from '../dsl/secrets.ts'
import { ENVIRONMENT_NAMES, type EnvironmentName } from '../ir/http-ir.ts'
import { DEFAULT_INFISICAL_SITE_URL, type SecretsIR } from '../ir/secrets-ir.ts'
import type { SettingIR } from '../ir/project-ir.ts'
import { parseDurationMs } from '../shared/durations.ts'
import type { Problems } from './problems.ts'

/** Infisical's default environments (Development, Staging, Production) for each KOYA_ENV. */
const DEFAULT_ENVIRONMENTS: Record<EnvironmentName, string> = { development: 'dev', test: 'dev', staging: 'staging', production: 'prod' }

/**
 * `secrets` as model.json holds it: durations in milliseconds, the Infisical environment of each
 * KOYA_ENV, the folder without a trailing slash. Credentials written inline are problems (they
 * would be copied into generated/).
 */
export function buildSecrets(def: SecretsDef, problems: Problems): SecretsIR {
  const fromEnv = (value: SecretsDef['clientId'] | string, field: 'clientId' | 'clientSecret'): { env: string } => {
    if (typeof value !== 'string') return { env: value.name }
    problems.add('KL_DEF_INVALID', `secrets.${field} is written inline; a credential in koyalite.ts would be copied into generated/ and version control.`, problems.atConfig(`secrets.${field}`), `Read it from the environment: env('INFISICAL_${field === 'clientId' ? 'CLIENT_ID' : 'CLIENT_SECRET'}').`)
    return { env: '' }
  }
  const setting = (value: SecretsDef['projectId']): SettingIR => (typeof value === 'string' ? { value } : { env: value.name })
  const siteUrl = setting(def.siteUrl ?? DEFAULT_INFISICAL_SITE_URL)
  if ('value' in siteUrl && !(URL.canParse(siteUrl.value) && ['http:', 'https:'].includes(new URL(siteUrl.value).protocol))) {
    problems.add('KL_DEF_INVALID', `secrets.siteUrl "${siteUrl.value}" is not an absolute http(s) URL.`, problems.atConfig('secrets.siteUrl'), "Write the Infisical instance's URL, e.g. 'https://app.infisical.com' or 'https://infisical.example.com'.")
  }
  const environment = def.environment
  const environments = Object.fromEntries(
    ENVIRONMENT_NAMES.map((name) => [name, typeof environment === 'string' ? environment : (environment?.[name] ?? DEFAULT_ENVIRONMENTS[name])]),
  ) as Record<EnvironmentName, string>
  const path = def.path === undefined || def.path === '/' ? '/' : def.path.replace(/\/$/, '')
  return {
    provider: 'infisical',
    siteUrl,
    projectId: setting(def.projectId),
    clientId: fromEnv(def.clientId as SecretsDef['clientId'] | string, 'clientId'),
    clientSecret: fromEnv(def.clientSecret as SecretsDef['clientSecret'] | string, 'clientSecret'),
    environments,
    path,
    refreshMs: def.refresh === false ? null : parseDurationMs(def.refresh ?? '5m'),
    timeoutMs: parseDurationMs(def.timeout ?? '10s'),
  }
}
