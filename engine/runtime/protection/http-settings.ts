import { DEFAULT_HTTP, ENVIRONMENT_NAMES, type EnvironmentName, type HttpIR } from '../../ir/http-ir.ts'
import type { ProjectIR } from '../../ir/project-ir.ts'
import type { Env } from '../auth/auth-settings.ts'
import { environmentOf } from '../meta/project-record.ts'

/**
 * The protection settings in force: `environments[KOYA_ENV].http` when that environment overrides
 * them, else `http`, else the defaults (no rate limit, helmet's headers, only configured origins).
 *
 * @example
 * const http = httpSettingsOf(model, process.env, false)
 */
export function httpSettingsOf(model: ProjectIR, env: Env, dev: boolean): HttpIR {
  const name = environmentOf(env, dev)
  const override = isEnvironmentName(name) ? model.environments?.[name]?.http : undefined
  return override ?? model.http ?? DEFAULT_HTTP
}

export function isEnvironmentName(name: string): name is EnvironmentName {
  return (ENVIRONMENT_NAMES as readonly string[]).includes(name)
}
