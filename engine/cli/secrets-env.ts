import { existsSync } from 'node:fs'
import path from 'node:path'
import type { ProjectIR } from '../ir/project-ir.ts'
import type { Env } from '../runtime/auth/auth-settings.ts'
import { environmentErrors } from '../runtime/environment/check-env.ts'
import { loadModel } from '../runtime/index.ts'
import { environmentOf } from '../runtime/meta/project-record.ts'
import { secretsSourceOf, startSecretsRefresh, type SecretsRefreshEvent } from '../runtime/secrets/load-secrets.ts'
import type { SecretsSource } from '../runtime/secrets/infisical.ts'
import { KoyaError } from '../shared/errors.ts'
import { withEnvFiles } from './env-files.ts'
import type { CliIO } from './io.ts'

/** The secrets a command read from the provider, and how a server keeps them fresh. */
export interface LoadedSecrets {
  readonly source: SecretsSource
  /** Names whose value in force comes from the provider (the process environment overrides the rest), sorted. */
  names(): readonly string[]
  /**
   * Read again every `secrets.refresh` and update the env object in place (the one the server
   * reads lazily: webhook URLs and secrets, functions' env), when the new values pass the
   * `env(…)` checks; undefined when refresh is off.
   */
  startRefresh(onEvent: (event: SecretsRefreshEvent) => void): { stop(): void; refreshNow(): Promise<void> } | undefined
}

/**
 * The command's environment with the secrets of `defineConfig({ secrets })` laid in, read once
 * before anything checks the `env(…)` declarations: `.env` files < the provider < the process
 * environment. Without a secrets provider (or before the first `generate`) `io` is returned as is.
 *
 * @throws KoyaError KL_ENV_SECRETS_UNREACHABLE, KL_ENV_SECRETS_REFUSED; KoyaErrorList of KL_ENV_MISSING for its own settings
 * @example
 * const io = await withSecrets(processIo.env, withEnvFiles(processIo, { dev: false }), { dev: false })
 */
export async function withSecrets<T extends CliIO>(processEnv: Env, io: T, options: { readonly dev: boolean; readonly lenient?: boolean }): Promise<T & { readonly secrets?: LoadedSecrets }> {
  if (!existsSync(path.join(io.cwd, 'generated', 'model.json'))) return io
  const model = options.lenient === true ? loadableModel(io.cwd) : loadModel(io.cwd)
  if (model?.secrets === undefined) return io
  const source = secretsSourceOf(model.secrets, io.env, environmentOf(io.env, options.dev))
  const base = io.env
  const first = overlay(base, processEnv, await source.read())
  // One object for the command's whole life: the server holds it, a refresh updates it in place.
  const env: Record<string, string | undefined> = { ...first.env }
  let names = first.names
  const refreshMs = model.secrets.refreshMs
  const secrets: LoadedSecrets = {
    source,
    names: () => names,
    startRefresh(onEvent) {
      if (refreshMs === null) return undefined
      return startSecretsRefresh(source, refreshMs, (values) => {
        const next = overlay(base, processEnv, values)
        const refused = refusedOf(model, next.env)
        if (refused !== undefined) return refused
        const changed = [...new Set([...Object.keys(env), ...Object.keys(next.env)])].filter((name) => env[name] !== next.env[name]).sort()
        for (const name of Object.keys(env)) if (!(name in next.env)) delete env[name]
        Object.assign(env, next.env)
        names = next.names
        return { changed }
      }, onEvent)
    },
  }
  return { ...io, env, secrets }
}

/** The model, or undefined when generated/ cannot be loaded (another version's, half written). */
function loadableModel(root: string): ProjectIR | undefined {
  try {
    return loadModel(root)
  } catch {
    return undefined
  }
}

/** The provider's values over the files' and under the process environment's. */
function overlay(base: Env, processEnv: Env, values: Record<string, string>): { env: Record<string, string | undefined>; names: string[] } {
  const env: Record<string, string | undefined> = { ...base }
  const names: string[] = []
  for (const [name, value] of Object.entries(values)) {
    if (processEnv[name] !== undefined) continue
    env[name] = value
    names.push(name)
  }
  return { env, names: names.sort() }
}

/** New values that would fail the env(…) checks are not applied: one error naming every variable. */
function refusedOf(model: ProjectIR, env: Env): KoyaError | undefined {
  const errors = environmentErrors(model, env)
  if (errors.length === 0) return undefined
  return new KoyaError('KL_ENV_INVALID', `The refreshed secrets were not applied: ${errors.map((error) => error.message).join(' ')}`, { hint: 'Fix the values in Infisical; the server keeps the ones it has until a refresh passes.' })
}

/**
 * The environment every command that opens the app's database works in, read the way `start`
 * reads it: the process environment over the secrets provider over the `.env` files that
 * `KOYA_ENV` selects (the same withSecrets and withEnvFiles). backup, restore, migrate, seed and `db …` use it, so a key or a secret
 * that lives only in `.env` or in Infisical reaches them too (one code path, not a copy).
 *
 * @throws KoyaError KL_ENV_SECRETS_UNREACHABLE, KL_ENV_SECRETS_REFUSED
 * @example
 * const io = await withProjectEnv(processIo, { dev: false })
 */
export async function withProjectEnv(processIo: CliIO, options: { readonly dev: boolean }): Promise<CliIO & { readonly envFiles: readonly string[]; readonly secrets?: LoadedSecrets }> {
  // Lenient: these commands also work on a bare database, or one whose project's generated/ is
  // stale (a backup before an upgrade); there is then no secrets provider to read.
  return withSecrets(processIo.env, withEnvFiles(processIo, options), { ...options, lenient: true })
}
