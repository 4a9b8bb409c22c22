import type { ColumnStateOf } from './column.ts'
import type { AnyTable } from './table.ts'

type Simplify<T> = { [K in keyof T]: T[K] } & {}

type ColumnsOf<T extends AnyTable> = T['columns']
type ValueOf<C> = ColumnStateOf<C>['nullable'] extends true ? ColumnStateOf<C>['value'] | null : ColumnStateOf<C>['value']

type WritableKeys<T extends AnyTable> = {
  [K in keyof ColumnsOf<T>]: ColumnStateOf<ColumnsOf<T>[K]>['readOnly'] extends true ? never : K
}[keyof ColumnsOf<T>]

type OptionalInsertKeys<T extends AnyTable> = {
  [K in WritableKeys<T>]: ColumnStateOf<ColumnsOf<T>[K]>['nullable'] extends true
    ? K
    : ColumnStateOf<ColumnsOf<T>[K]>['hasDefault'] extends true
      ? K
      : never
}[WritableKeys<T>]

/**
 * A row as read from the table.
 *
 * @example
 * type Task = InferRow<typeof tasks>   // { id: string; title: string; body: string | null; … }
 */
export type InferRow<T extends AnyTable> = Simplify<{ -readonly [K in keyof ColumnsOf<T>]: ValueOf<ColumnsOf<T>[K]> }>

/**
 * What an insert takes: required columns are NOT NULL without a default; system columns
 * (id, createdAt, updatedAt) are absent.
 *
 * @example
 * const draft: InferInsert<typeof tasks> = { projectId, title: 'Ship it', createdBy: me }
 */
export type InferInsert<T extends AnyTable> = Simplify<
  { -readonly [K in Exclude<WritableKeys<T>, OptionalInsertKeys<T>>]: ValueOf<ColumnsOf<T>[K]> } & {
    -readonly [K in OptionalInsertKeys<T>]?: ValueOf<ColumnsOf<T>[K]>
  }
>

/**
 * What an update takes: any writable column.
 *
 * @example
 * const patch: InferUpdate<typeof tasks> = { status: 'done' }
 */
export type InferUpdate<T extends AnyTable> = Simplify<{ -readonly [K in WritableKeys<T>]?: ValueOf<ColumnsOf<T>[K]> }>

// ── Relations across a whole schema ───────────────────────────────────────────────────────────

/** Every table of a schema module (`import * as schema from './schema'`). */
export type TablesOf<S> = Extract<S[keyof S], AnyTable>
/** The names of the tables of a schema module. */
export type TableNameOf<S> = TablesOf<S>['name']
/** The table of a schema with the given name. */
export type TableNamed<S, N extends string> = Extract<TablesOf<S>, { readonly name: N }>

type BelongsTo<S, T extends AnyTable> = {
  -readonly [K in keyof ColumnsOf<T> as K extends `${infer X}Id`
    ? ColumnStateOf<ColumnsOf<T>[K]>['target'] extends string
      ? X
      : never
    : never]: ColumnStateOf<ColumnsOf<T>[K]>['target'] extends infer Target extends string
    ? RelationalRow<S, Target> | (ColumnStateOf<ColumnsOf<T>[K]>['nullable'] extends true ? null : never)
    : never
}

/**
 * The has-many relation names table `U` gives table `N`: one per ref from `U` to `N` that is
 * named `xId` (named after `U`, or its `inverse`) or that names an `inverse`.
 */
type InverseNames<U extends AnyTable, N extends string> = {
  [K in keyof ColumnsOf<U>]: ColumnStateOf<ColumnsOf<U>[K]>['target'] extends N
    ? ColumnStateOf<ColumnsOf<U>[K]>['inverse'] extends infer I extends string
      ? I
      : K extends `${string}Id`
        ? U['name']
        : never
    : never
}[keyof ColumnsOf<U>]

type HasMany<S, N extends string> = {
  -readonly [U in TablesOf<S> as InverseNames<U, N>]: RelationalRow<S, U['name']>[]
}

/**
 * A row with its relations resolved across the whole schema: belongs-to relations as objects
 * (`task.project.workspace`), has-many relations as arrays (`workspace.members`). This is the
 * type policies see.
 *
 * @example
 * import * as schema from './schema'
 * type TaskWithRelations = RelationalRow<typeof schema, 'tasks'>
 * // task.project.workspace.members.some(m => m.userId === me)
 */
export type RelationalRow<S, N extends string> = InferRow<TableNamed<S, N>> & BelongsTo<S, TableNamed<S, N>> & HasMany<S, N>
