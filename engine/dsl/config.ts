import type { AnyTable } from './table.ts'

/** A value read from the environment when the app runs, never at generate time. */
export interface EnvRef {
  readonly kind: 'env'
  readonly name: string
}

/**
 * Read a setting from the environment when the server starts. Secrets stay out of
 * `koyalite.ts` and out of everything `koyalite generate` writes.
 *
 * @example
 * oauth: { github: { clientId: env('GITHUB_CLIENT_ID'), clientSecret: env('GITHUB_CLIENT_SECRET') } }
 */
export function env(name: string): EnvRef {
  return Object.freeze({ kind: 'env', name })
}

/** A setting given inline or read from the environment at start. */
export type Setting = string | EnvRef

export interface OAuthProviderDef {
  readonly clientId: Setting
  readonly clientSecret: Setting
}

export interface AuthDef {
  /** Email and password sign-in; `verify` requires a verified email before login. */
  readonly email?: boolean | { readonly verify?: boolean }
  readonly oauth?: {
    readonly github?: OAuthProviderDef
    readonly google?: OAuthProviderDef
  }
  /** Durations such as `'30m'`, `'12h'`, `'7d'`. */
  readonly session?: {
    readonly idleTimeout?: string
    readonly absoluteTimeout?: string
  }
}

/** What `defineConfig` takes. */
export interface ConfigInput<Tables extends Readonly<Record<string, unknown>> = Readonly<Record<string, unknown>>> {
  /** The app's name: lower case, used for the SDK package and the Docker stack. */
  readonly name: string
  /** The module of all tables: `import * as tables from './schema'`. */
  readonly tables: Tables
  /** Roles beyond `admin`, which always exists. */
  readonly roles?: readonly string[]
  readonly auth?: AuthDef
}

/** The checked-by-type, not-yet-validated definition of an app: the default export of koyalite.ts. */
export interface ConfigDef {
  readonly kind: 'config'
  readonly name: string
  readonly tables: Readonly<Record<string, AnyTable>>
  readonly roles: readonly string[]
  readonly auth?: AuthDef
}

/**
 * Describe the application. The default export of `koyalite.ts`.
 *
 * @example
 * import { defineConfig } from 'koyalite'
 * import * as tables from './schema'
 *
 * export default defineConfig({ name: 'koya-tasks', tables, roles: ['admin', 'support'] })
 */
export function defineConfig<const C extends ConfigInput<Readonly<Record<string, AnyTable>>>>(config: C): ConfigDef {
  const { name, tables, roles = [], ...rest } = config
  return Object.freeze({ ...rest, kind: 'config', name, tables: Object.freeze({ ...tables }), roles: Object.freeze([...roles]) })
}
