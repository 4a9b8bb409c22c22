import type { JsonValidator } from './column.ts'

/** Who may call a function: signed-in users (default), anyone, or only the service key. */
export type FunctionAuth = 'user' | 'public' | 'system'

/** A memory size: `'64MB'`, `'1GB'` (1 MB = 2^20 bytes). */
export type MemorySize = `${number}${'KB' | 'MB' | 'GB'}`

/** What `fn()` takes. */
export interface FunctionOptions {
  /**
   * The function's file, relative to the project root: `'functions/checkout.ts'`. It runs on
   * Deno: its default export is `async (req: Request, ctx) => Response`, or with `input`,
   * `async (input, ctx) => output`. `npm:`, `jsr:` and package imports stay imports; the file
   * and what it imports by relative path are bundled into generated/functions/<name>.js.
   */
  readonly file: string
  /** A zod schema the request body must match; the function then receives the parsed input. */
  readonly input?: JsonValidator
  /** A zod schema of what the function returns (typed in the SDK and OpenAPI). */
  readonly output?: JsonValidator
  readonly auth?: FunctionAuth
  /** Hosts (optionally `host:port`) the function may reach; nothing else is reachable. */
  readonly allowNet?: readonly string[]
  /** Environment variables the function may read (`ctx.env`); no others are passed. */
  readonly env?: readonly string[]
  /** Wall-clock limit of one call: `'10s'`. */
  readonly timeout?: `${number}${'ms' | 's' | 'm'}`
  /** V8 heap limit of the worker: `'128MB'`. */
  readonly memory?: MemorySize
}

/** A function as `fn()` made it: what `defineConfig({ functions })` takes. */
export interface FunctionDef extends FunctionOptions {
  readonly kind: 'function'
}

/**
 * An edge function: a file run on Deno in a sandbox with only the network, environment and
 * memory it declares, served at `/functions/<name>` once the functions issue lands.
 *
 * @example
 * import { z } from 'zod'
 * import { defineConfig, fn } from 'koyalite'
 *
 * export default defineConfig({
 *   name: 'koya-tasks',
 *   tables,
 *   functions: {
 *     checkout: fn({
 *       file: 'functions/checkout.ts',
 *       input: z.object({ planId: z.string() }),
 *       output: z.object({ url: z.string() }),
 *       allowNet: ['api.stripe.com'],
 *       env: ['STRIPE_KEY'],
 *       timeout: '10s',
 *       memory: '128MB',
 *     }),
 *   },
 * })
 */
export function fn(options: FunctionOptions): FunctionDef {
  return Object.freeze({
    ...options,
    ...(options.allowNet ? { allowNet: Object.freeze([...options.allowNet]) } : {}),
    ...(options.env ? { env: Object.freeze([...options.env]) } : {}),
    kind: 'function',
  })
}
