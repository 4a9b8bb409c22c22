/**
 * The protection settings of `defineConfig({ http, environments })` as model.json holds them
 * (dsl HttpDef, checked and normalized: durations in milliseconds, lists sorted).
 */

/** A number of requests per window, per caller. */
export interface LimitIR {
  readonly max: number
  readonly windowMs: number
}

export interface HttpIR {
  readonly cors: {
    /** Sorted origins (`https://app.example.com`). */
    readonly origins: readonly string[]
    readonly credentials: boolean
  }
  /** Lower-case header name → value, or false to remove a default security header; sorted by name. */
  readonly headers: Readonly<Record<string, string | false>>
  readonly rateLimit: {
    readonly global: LimitIR | null
    /** Sorted by route (`'POST /api/tasks'`). */
    readonly perRoute: readonly (LimitIR & { readonly route: string })[]
    /** Sorted by role. */
    readonly perRole: readonly (LimitIR & { readonly role: string })[]
  }
}

export const ENVIRONMENT_NAMES = ['development', 'test', 'staging', 'production'] as const
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number]

/** What an environment replaces of the top-level settings. */
export interface EnvironmentOverridesIR {
  readonly http?: HttpIR
}

/** The settings in force without any configuration. */
export const DEFAULT_HTTP: HttpIR = { cors: { origins: [], credentials: true }, headers: {}, rateLimit: { global: null, perRoute: [], perRole: [] } }
