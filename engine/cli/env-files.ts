import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { parseEnv } from 'node:util'
import { environmentOf } from '../runtime/meta/project-record.ts'
import type { CliIO } from './io.ts'

/**
 * The files `KOYA_ENV` selects, weakest first: `.env`, `.env.<env>`, `.env.local`. A later file
 * wins over an earlier one, and the process environment wins over every file (a deploy's own
 * variables are never replaced by a file left in the directory).
 */
export function envFilesOf(environment: string): string[] {
  return ['.env', `.env.${environment}`, '.env.local']
}

/**
 * The CLI's environment with the project's `.env` files under it (parsed with Node's
 * util.parseEnv). The environment's name comes from the process environment: KOYA_ENV, else
 * NODE_ENV, else development under `koyalite dev`, production otherwise.
 *
 * @example
 * const io2 = withEnvFiles(io, { dev: false })
 */
export function withEnvFiles(io: CliIO, options: { readonly dev: boolean }): CliIO & { readonly envFiles: readonly string[] } {
  const environment = environmentOf(io.env, options.dev)
  const merged: Record<string, string | undefined> = {}
  const loaded: string[] = []
  for (const name of envFilesOf(environment)) {
    const file = path.join(io.cwd, name)
    if (!existsSync(file)) continue
    Object.assign(merged, parseEnv(readFileSync(file, 'utf8')))
    loaded.push(name)
  }
  for (const [key, value] of Object.entries(io.env)) if (value !== undefined) merged[key] = value
  return { ...io, env: merged, envFiles: loaded }
}
