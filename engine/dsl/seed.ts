import type { Faker } from '@faker-js/faker'
import type { InferInsert, InferRow, TableNameOf, TableNamed } from './infer.ts'

type Row<S, N extends string> = [S] extends [never] ? Record<string, unknown> : InferRow<TableNamed<S, N>>
type Insert<S, N extends string> = [S] extends [never] ? Record<string, unknown> : InferInsert<TableNamed<S, N>>
type Name<S> = [S] extends [never] ? string : TableNameOf<S>

/**
 * The application's tables as a seed writes them, through the data layer (policies apply to
 * `as(email)`; `db` acts as the system role).
 */
export interface SeedDb<S = never> {
  /**
   * Insert each row, or update the row that has the same natural key (the `on` columns; a
   * unique index is not needed). Running the seed again changes nothing new. Returns the rows.
   */
  upsert<N extends Name<S>>(table: N, rows: readonly Insert<S, N>[], options: { readonly on: readonly (keyof Insert<S, N> & string)[] }): Promise<Row<S, N>[]>
  /** Rows of a table, optionally those whose columns equal the given values. */
  list<N extends Name<S>>(table: N, where?: Partial<Row<S, N>>): Promise<Row<S, N>[]>
}

export interface SeedUserOptions {
  /** Default: none (the account can sign in only after a password reset or OAuth). */
  readonly password?: string
  readonly roles?: readonly string[]
  /** Columns of the users row beside email. */
  readonly fields?: Readonly<Record<string, unknown>>
}

export interface SeedContext<S = never> {
  /** The tables, as the system role. */
  readonly db: SeedDb<S>
  /** The tables as a user: their rows are written and read under the policies. */
  as(email: string): Promise<SeedDb<S>>
  /** A verified user with this address (created once; password and roles set every run). Returns its id. */
  user(email: string, options?: SeedUserOptions): Promise<{ readonly id: string; readonly email: string }>
  /** The environment the seed runs in (KOYA_ENV). */
  readonly environment: string
  /**
   * Faker (`@faker-js/faker`), when the project has it installed (`npm i -D @faker-js/faker`; an
   * optional peer dependency), else undefined. Seeded with the same number on every run, so the
   * same seed writes the same values and upserts stay idempotent.
   */
  readonly faker: Faker | undefined
}

export interface SeedDef<S = never> {
  readonly kind: 'seed'
  run(ctx: SeedContext<S>): Promise<void>
}

/**
 * A seed: rows `koyalite seed` (and `koyalite db reset`, and `createTestApp({ seed })`) writes,
 * idempotently: write them with `upsert` on natural keys so a second run changes nothing new.
 * Pass the schema module first for table names and rows typed from it.
 *
 * @example
 * // seed/demo.ts
 * import { defineSeed } from 'koyalite'
 * import * as schema from '../schema'
 *
 * export default defineSeed(schema, async ({ db, user }) => {
 *   const ada = await user('ada@example.com', { password: 'correct horse battery', roles: ['admin'] })
 *   await db.upsert('workspaces', [{ slug: 'acme', name: 'Acme' }], { on: ['slug'] })
 * })
 */
export function defineSeed<S>(schema: S, run: (ctx: SeedContext<S>) => Promise<void>): SeedDef<S>
export function defineSeed(run: (ctx: SeedContext) => Promise<void>): SeedDef
export function defineSeed(first: unknown, second?: unknown): SeedDef<unknown> {
  const run = (typeof first === 'function' ? first : second) as SeedDef<unknown>['run']
  return Object.freeze({ kind: 'seed', run })
}
