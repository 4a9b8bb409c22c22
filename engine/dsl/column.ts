import type { ColumnType } from '../shared/column-types.ts'
import type { AnyTable } from './table.ts'

/** The column types a table can have. */
export type { ColumnType }

/** What happens to referencing rows when the referenced row is deleted or its id changes. */
export type ReferentialAction = 'cascade' | 'restrict' | 'set null' | 'no action'

/** Options of `t.ref()`. */
export interface RefOptions {
  /** What deleting the referenced row does to this one. Default: `'no action'` (the delete fails). */
  readonly onDelete?: ReferentialAction
  /** Name of the has-many relation on the referenced table. Default: this table's name. */
  readonly inverse?: string
}

/** The target of a ref: a thunk returning the table, or the table's name (for cycles). */
export type RefTarget = string | (() => AnyTable)

export interface RefDef extends RefOptions {
  readonly target: RefTarget
}

/** A JSON column's validator: any object with zod's `safeParse` (a zod schema). */
export interface JsonValidator<T = unknown> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: unknown }
}

/**
 * What the user wrote for one column: plain, frozen data. The compiler checks it and turns it
 * into a `ColumnIR`.
 */
export interface ColumnDef {
  readonly kind: 'column'
  readonly type: ColumnType
  readonly optional: boolean
  readonly hasDefault: boolean
  readonly default?: unknown
  readonly unique: boolean
  readonly index: boolean
  readonly min?: number
  readonly max?: number
  readonly values?: readonly string[]
  readonly ref?: RefDef
  readonly renamedFrom?: string
  readonly schema?: JsonValidator
  /** A json column's nesting limit (arrays and objects); absent: the runtime's default, 64. */
  readonly maxDepth?: number
  /** Files on rows: the bucket whose object ids the column holds (`t.file`, `t.files`). */
  readonly file?: { readonly bucket: string; readonly many: boolean; readonly max?: number }
  /** Personal data (`.personal()`): exported and erased with its owner (docs/compliance.md). */
  readonly personal?: boolean
  /** Protected health information (`.phi()`, implies personal): reads audited in HIPAA mode. */
  readonly phi?: boolean
}

/** Options of `t.json()`. */
export interface JsonOptions {
  /**
   * How deeply a stored value may nest arrays and objects (1–256). Default 64: far below
   * SQLite's JSON depth limit (1000), which embedded reads count every level of the row against.
   */
  readonly maxDepth?: number
}

/** Type-level facts about a column, carried by the builder for row type inference. */
export interface ColumnState {
  readonly type: ColumnType
  /** The value's TypeScript type, without null. */
  readonly value: unknown
  readonly nullable: boolean
  /** An insert may omit the column. */
  readonly hasDefault: boolean
  /** The system sets the column; inserts and updates may not (id, createdAt, updatedAt). */
  readonly readOnly: boolean
  /** The referenced table's name, for refs. */
  readonly target: string | undefined
  /** The explicit inverse relation name, for refs. */
  readonly inverse: string | undefined
}

export type Patch<S extends ColumnState, P extends Partial<ColumnState>> = Omit<S, keyof P> & P

interface Writable {
  readonly readOnly: false
}
interface Bounded {
  readonly type: 'text' | 'int' | 'real'
}

/**
 * A column under construction. Every modifier returns a new, frozen column; none changes the
 * one it is called on, so a column can be shared as a template.
 *
 * @example
 * const title = t.text().min(1).max(200)
 * const body = t.text().optional()
 * const status = t.enum(['todo', 'doing', 'done']).default('todo')
 */
export class Column<S extends ColumnState = ColumnState> {
  /** Phantom: the type-level state. Never present at run time. */
  declare readonly '~state': S
  readonly def: ColumnDef

  constructor(def: ColumnDef) {
    this.def = Object.freeze({ ...def })
    Object.freeze(this)
  }

  /** Allow NULL. Columns are NOT NULL unless marked optional. */
  optional(this: Column<S & Writable>): Column<Patch<S, { nullable: true }>> {
    return new Column({ ...this.def, optional: true })
  }

  /** The value an insert that omits the column gets. */
  default(this: Column<S & Writable>, value: S['value']): Column<Patch<S, { hasDefault: true }>> {
    return new Column({ ...this.def, hasDefault: true, default: value })
  }

  /** No two rows may share a value (NULLs excepted). */
  unique(): Column<S> {
    return new Column({ ...this.def, unique: true })
  }

  /** Add a single-column index. */
  index(): Column<S> {
    return new Column({ ...this.def, index: true })
  }

  /** Minimum length (text) or value (int, real). */
  min(this: Column<S & Bounded>, value: number): Column<S> {
    return new Column({ ...this.def, min: value })
  }

  /** Maximum length (text) or value (int, real). */
  max(this: Column<S & Bounded>, value: number): Column<S> {
    return new Column({ ...this.def, max: value })
  }

  /** This column used to be called `oldName`: the migration renames it and keeps the data. */
  renamedFrom(oldName: string): Column<S> {
    return new Column({ ...this.def, renamedFrom: oldName })
  }

  /**
   * Personal data (a name, an address, free text about a person): part of its owner's export,
   * anonymised or deleted on erasure, shown in access.md (docs/compliance.md).
   *
   * @example
   * displayName: t.text().max(80).personal()
   */
  personal(): Column<S> {
    return new Column({ ...this.def, personal: true })
  }

  /**
   * Protected health information; implies `.personal()`. In HIPAA mode every read of it is
   * audited, its table needs a read policy, and logs never show its values.
   *
   * @example
   * diagnosis: t.text().phi()
   */
  phi(): Column<S> {
    return new Column({ ...this.def, personal: true, phi: true })
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any column, whatever its state
export type AnyColumn = Column<any>

export type ColumnStateOf<C> = C extends Column<infer S> ? S : never

export interface State<Type extends ColumnType, Value, Extra extends Partial<ColumnState> = object> {
  readonly type: Type
  readonly value: Value
  readonly nullable: Extra extends { nullable: infer N extends boolean } ? N : false
  readonly hasDefault: Extra extends { hasDefault: infer D extends boolean } ? D : false
  readonly readOnly: Extra extends { readOnly: infer R extends boolean } ? R : false
  readonly target: Extra extends { target: infer T extends string } ? T : undefined
  readonly inverse: Extra extends { inverse: infer I extends string } ? I : undefined
}

function column(type: ColumnType, extra: Partial<ColumnDef> = {}): ColumnDef {
  return { kind: 'column', type, optional: false, hasDefault: false, unique: false, index: false, ...extra }
}

type RefState<Target extends string, O extends RefOptions> = State<
  'ref',
  string,
  O extends { inverse: infer I extends string } ? { target: Target; inverse: I } : { target: Target }
>

/**
 * A reference to another table's id. A ref named `xId` gives the relation `x` here and a
 * has-many relation on the other table named after this table (or `inverse`). Pass the
 * table's name instead of a thunk for self-references and cycles.
 */
function ref<T extends AnyTable, const O extends RefOptions = object>(target: () => T, options?: O): Column<RefState<T['name'], O>>
function ref<const N extends string, const O extends RefOptions = object>(target: N, options?: O): Column<RefState<N, O>>
function ref(target: RefTarget, options: RefOptions = {}): AnyColumn {
  return new Column(column('ref', { ref: Object.freeze({ ...options, target }) }))
}

/**
 * The column builders.
 *
 * @example
 * export const tasks = table('tasks', {
 *   id: t.id(),
 *   projectId: t.ref(() => projects, { onDelete: 'cascade' }),
 *   title: t.text().min(1).max(200),
 *   dueAt: t.timestamp().optional(),
 *   createdAt: t.createdAt(),
 * })
 */
export const t = Object.freeze({
  /** Text primary key: a UUIDv7 the system generates. */
  id: (): Column<State<'id', string, { hasDefault: true; readOnly: true }>> => new Column(column('id')),
  text: (): Column<State<'text', string>> => new Column(column('text')),
  int: (): Column<State<'int', number>> => new Column(column('int')),
  real: (): Column<State<'real', number>> => new Column(column('real')),
  bool: (): Column<State<'bool', boolean>> => new Column(column('bool')),
  /** An instant, stored as ISO 8601 UTC text: `2026-11-25T08:00:00.000Z`. */
  timestamp: (): Column<State<'timestamp', string>> => new Column(column('timestamp')),
  /** A calendar date, stored as `YYYY-MM-DD`. */
  date: (): Column<State<'date', string>> => new Column(column('date')),
  /**
   * JSON text; with a zod schema, values are validated and typed by it. Values nest at most 64
   * levels unless `maxDepth` says otherwise.
   *
   * @example
   * meta: t.json(z.object({ tags: z.array(z.string()) })).optional()
   * tree: t.json(undefined, { maxDepth: 128 })
   */
  json: <T = unknown>(schema?: JsonValidator<T>, options: JsonOptions = {}): Column<State<'json', T>> =>
    new Column(column('json', { ...(schema === undefined ? {} : { schema }), ...(options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth }) })),
  /** One of the listed strings. */
  enum: <const V extends readonly [string, ...string[]]>(values: V): Column<State<'enum', V[number]>> =>
    new Column(column('enum', { values: Object.freeze([...values]) })),
  /** A reference to another table's id; see {@link ref}. */
  ref,
  /**
   * Files on rows: one object id of `bucket`. Whoever may read the row may download the object;
   * writing it checks the object exists and the writer uploaded it or may read it; clearing it
   * (or deleting the row) deletes the object once no row references it.
   *
   * @example
   * cover: t.file('attachments').optional()
   */
  file: (bucket: string): Column<State<'text', string>> => new Column(column('text', { file: Object.freeze({ bucket, many: false }) })),
  /**
   * Files on rows: a JSON array of object ids of `bucket` (at most `max`), with the rules of `t.file`.
   *
   * @example
   * attachments: t.files('attachments', { max: 10 }).default([])
   */
  files: (bucket: string, options: { readonly max?: number } = {}): Column<State<'json', string[]>> =>
    new Column(column('json', { file: Object.freeze({ bucket, many: true, ...(options.max === undefined ? {} : { max: options.max }) }) })),
  /** Set by the system when the row is created. */
  createdAt: (): Column<State<'createdAt', string, { hasDefault: true; readOnly: true }>> => new Column(column('createdAt')),
  /** Set by the system when the row is created and on every update. */
  updatedAt: (): Column<State<'updatedAt', string, { hasDefault: true; readOnly: true }>> => new Column(column('updatedAt')),
})

