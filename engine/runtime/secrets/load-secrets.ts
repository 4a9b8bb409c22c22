import { ENVIRONMENT_NAMES, type EnvironmentName } from '../../ir/http-ir.ts'
import type { SecretsIR } from '../../ir/secrets-ir.ts'
import type { SettingIR } from '../../ir/project-ir.ts'
import { KoyaError, KoyaErrorList } from '../../shared/errors.ts'
import type { Env } from '../auth/auth-settings.ts'
import { createInfisicalSource, type InfisicalConnection, type SecretsSource } from './infisical.ts'

/**
 * The provider `defineConfig({ secrets })` names, with its settings read from `env` (the process
 * environment over the `.env` files) for the environment KOYA_ENV names. Every missing setting is
 * reported at once (KL_ENV_MISSING, naming the variable, never a value).
 *
 * @throws KoyaErrorList
 * @example
 * const source = secretsSourceOf(model.secrets, io.env, 'production')
 * const values = await source.read()
 */
export function secretsSourceOf(secrets: SecretsIR, env: Env, environment: string): SecretsSource {
  const missing: KoyaError[] = []
  const read = (setting: SettingIR, field: string): string => {
    if ('value' in setting) return setting.value
    const value = env[setting.env]
    if (value === undefined || value === '') {
      missing.push(new KoyaError('KL_ENV_MISSING', `Environment variable ${setting.env} is not set (used by secrets.${field}): the secrets cannot be read from Infisical without it.`, { hint: `Set ${setting.env} in the process environment or a .env file (not in Infisical itself).` }))
    }
    return value ?? ''
  }
  const connection: InfisicalConnection = {
    siteUrl: read(secrets.siteUrl, 'siteUrl'),
    projectId: read(secrets.projectId, 'projectId'),
    clientId: read(secrets.clientId, 'clientId'),
    clientSecret: read(secrets.clientSecret, 'clientSecret'),
    environment: secrets.environments[isEnvironmentName(environment) ? environment : 'production'],
    path: secrets.path,
    timeoutMs: secrets.timeoutMs,
  }
  if (missing.length > 0) throw new KoyaErrorList(missing)
  return createInfisicalSource(connection)
}

function isEnvironmentName(name: string): name is EnvironmentName {
  return (ENVIRONMENT_NAMES as readonly string[]).includes(name)
}

/** What a refresh did: the names whose values changed (never the values), or why nothing was applied. */
export type SecretsRefreshEvent =
  | { readonly kind: 'applied'; readonly changed: readonly string[] }
  | { readonly kind: 'failed'; readonly error: KoyaError }

/**
 * Read the secrets again every `intervalMs` and hand each answer to `apply` (which decides what
 * to change); a failed read keeps the values in force and is reported to `onEvent`. The timer is
 * unref'd: it never keeps a process alive. Nothing runs per request.
 *
 * @example
 * const refresh = startSecretsRefresh(source, 300_000, (values) => overlay.apply(values), (event) => log.info(event))
 * // on shutdown
 * refresh.stop()
 */
export function startSecretsRefresh(
  source: SecretsSource,
  intervalMs: number,
  apply: (values: Record<string, string>) => { readonly changed: readonly string[] } | KoyaError,
  onEvent: (event: SecretsRefreshEvent) => void,
): { stop(): void; refreshNow(): Promise<void> } {
  let running: Promise<void> | undefined
  const refreshNow = (): Promise<void> => {
    running ??= (async () => {
      try {
        const result = apply(await source.read())
        onEvent(result instanceof KoyaError ? { kind: 'failed', error: result } : { kind: 'applied', changed: result.changed })
      } catch (error) {
        onEvent({ kind: 'failed', error: error instanceof KoyaError ? error : new KoyaError('KL_ENV_SECRETS_UNREACHABLE', `Reading the secrets again failed: ${error instanceof Error ? error.message : String(error)}.`) })
      } finally {
        running = undefined
      }
    })()
    return running
  }
  const timer = setInterval(() => void refreshNow(), intervalMs)
  timer.unref()
  return { stop: () => clearInterval(timer), refreshNow }
}
