import { Column, t, type AnyColumn, type ColumnState } from './column.ts'

export type Columns = Readonly<Record<string, AnyColumn>>

/** An index over one or more columns. */
export interface IndexDef<C extends Columns = Columns> {
  readonly columns: readonly (keyof C & string)[]
  readonly unique?: boolean
}

/**
 * Full-text (FTS5) and semantic (vector) search over text columns.
 *
 * @example
 * table('tasks', { title: t.text(), body: t.text().optional() }, {
 *   search: { text: ['title', 'body'], tokenizer: 'porter', weights: { title: 10 } },
 * })
 */
export interface SearchDef<C extends Columns = Columns> {
  readonly text?: readonly (keyof C & string)[]
  readonly semantic?: readonly (keyof C & string)[]
  /**
   * How `text` columns are split into terms: `unicode61` (default; case and diacritics ignored),
   * `porter` (English stemming on top: "running" finds "run"), `trigram` (substring search; a
   * query term needs 3 characters or more).
   */
  readonly tokenizer?: 'unicode61' | 'porter' | 'trigram'
  /** Rank weight of each `text` column (default 1): `{ title: 10 }` ranks a title hit above a body hit. */
  readonly weights?: { readonly [K in keyof C & string]?: number }
}

export interface TableOptions<C extends Columns = Columns> {
  /** Composite indexes: a list of column names, or `{ columns, unique }`. */
  readonly indexes?: readonly (readonly (keyof C & string)[] | IndexDef<C>)[]
  readonly search?: SearchDef<C>
  /** The table used to be called `oldName`: the migration renames it and keeps the rows. */
  readonly renamedFrom?: string
  /**
   * The singular of the table's name, where the built-in rule gets it wrong: generated type names
   * are its PascalCase (`table('people', {…}, { singular: 'person' })` → `Person`, `PersonInsert`).
   */
  readonly singular?: string
  /**
   * The path from a row to the user it is about, for export and erasure (docs/compliance.md):
   * a ref column to users (`'createdBy'`), or refs followed through other tables
   * (`'projectId.ownerId'`). Default: inferred, the shortest path of refs to users.
   */
  readonly owner?: string
  /**
   * What erasing the owner does to the row: `'delete'` it (the default), `'anonymize'` its
   * personal columns (and unset optional refs to the user), or `'keep'` it unchanged.
   */
  readonly onErase?: 'delete' | 'anonymize' | 'keep'
}

/** What the user wrote for one table: plain, frozen data. */
export interface TableDef<N extends string = string, C extends Columns = Columns> {
  readonly kind: 'table'
  readonly name: N
  readonly columns: C
  readonly options: TableOptions<C>
  /** Made by `table.users()`: the auth-managed users table. */
  readonly users: boolean
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any table, whatever its columns
export type AnyTable = TableDef<string, any>

type IdColumn = ReturnType<typeof t.id>
type WithId<C extends Columns> = 'id' extends keyof C ? C : { readonly id: IdColumn } & C

/** The columns `table.users()` adds; the app's own columns come after them. */
const usersCoreColumns = () => ({
  id: t.id(),
  email: t.text().max(320).unique().personal(),
  emailVerified: t.bool().default(false),
  createdAt: t.createdAt(),
  updatedAt: t.updatedAt(),
})
type UsersCore = ReturnType<typeof usersCoreColumns>
/** The app's columns; a core column name among them is typed `never`, so only it is flagged. */
type WithoutCoreColumns<C extends Columns> = { readonly [K in keyof C]: K extends keyof UsersCore ? never : C[K] }
export const USERS_CORE_COLUMNS: readonly string[] = Object.freeze(Object.keys(usersCoreColumns()))

function makeTable<N extends string, C extends Columns>(name: N, columns: C, options: TableOptions<C>, users: boolean): TableDef<N, C> {
  return Object.freeze({
    kind: 'table',
    name,
    columns: Object.freeze({ ...columns }),
    options: Object.freeze({ ...options }),
    users,
  })
}

interface TableFunction {
  /**
   * Declare a table. Columns are NOT NULL unless `.optional()`. A table without an `id` column
   * gets `id: t.id()` (a UUIDv7 text primary key) as its first column.
   *
   * @example
   * export const projects = table('projects', {
   *   id: t.id(),
   *   workspaceId: t.ref(() => workspaces, { onDelete: 'cascade' }),
   *   name: t.text().min(1).max(120),
   * }, { indexes: [['workspaceId', 'name']] })
   */
  <const N extends string, const C extends Columns>(name: N, columns: C, options?: TableOptions<C>): TableDef<N, WithId<C>>
  /**
   * The auth-managed users table, extended with the app's own columns. It has `id`, `email`,
   * `emailVerified`, `createdAt` and `updatedAt`; credentials and sessions live in system
   * tables no API exposes.
   *
   * @example
   * export const users = table.users({ displayName: t.text().max(80) })
   */
  users<const C extends Columns>(
    columns: WithoutCoreColumns<C>,
    options?: TableOptions<UsersCore & C>,
  ): TableDef<'users', UsersCore & C>
}

export const table = Object.assign(
  <N extends string, C extends Columns>(name: N, columns: C, options: TableOptions<C> = {}) => {
    const withId = 'id' in columns ? columns : { id: t.id(), ...columns }
    return makeTable(name, withId as WithId<C>, options as TableOptions<WithId<C>>, false)
  },
  {
    users: <C extends Columns>(columns: C, options: TableOptions<UsersCore & C> = {}) =>
      // The app's columns are spread after the core ones so the compiler sees an override
      // (and reports it) instead of it silently winning.
      makeTable('users', { ...usersCoreColumns(), ...columns } as UsersCore & C, options, true),
  },
) as TableFunction

export function isColumn(value: unknown): value is Column<ColumnState> {
  return typeof value === 'object' && value !== null && 'def' in value && (value as Column).def?.kind === 'column'
}
