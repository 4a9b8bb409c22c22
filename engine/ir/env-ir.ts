/** A JSON Schema (the subset `env(name, schema)` declarations are checked with at start). */
export type EnvSchemaIR = { readonly [key: string]: unknown }

/**
 * An environment variable koyalite.ts reads through `env(…)`: collected at generate time from
 * every place it appears, with the JSON Schema of its zod schema when one was given.
 */
export interface EnvVarIR {
  readonly name: string
  /** Start refuses to run while it is unset: its schema does not accept undefined. */
  readonly required: boolean
  /** zod's JSON Schema of the value (output side: `z.coerce.number()` is `{ type: 'number' }`); null without a schema. */
  readonly schema: EnvSchemaIR | null
  /** Where koyalite.ts uses it (`auth.oauth.github.clientId`, `env[0]`), sorted. */
  readonly usedBy: readonly string[]
}
