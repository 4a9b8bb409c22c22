/**
 * ProjectIR: the checked, normalized application. Serialized as generated/model.json; the
 * runtime boots from it without TypeScript. Other layers import these types only (`import type`).
 *
 * Every array here has a defined order (declaration order for columns, name order for tables and
 * indexes) so the JSON is deterministic.
 */

export const PROJECT_IR_VERSION = 1

export type ColumnType =
  | 'id'
  | 'text'
  | 'int'
  | 'real'
  | 'bool'
  | 'timestamp'
  | 'date'
  | 'json'
  | 'enum'
  | 'ref'
  | 'createdAt'
  | 'updatedAt'

export type ReferentialAction = 'cascade' | 'restrict' | 'set null' | 'no action'

/** A JSON value, as it appears in model.json. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue }

export type DefaultIR =
  /** A constant the user gave with `.default(v)`. */
  | { readonly kind: 'value'; readonly value: JsonValue }
  /** The current instant (createdAt, updatedAt). */
  | { readonly kind: 'now' }
  /** A new UUIDv7 (id). */
  | { readonly kind: 'uuidv7' }

export interface ReferenceIR {
  readonly table: string
  readonly column: 'id'
  readonly onDelete: ReferentialAction
}

export interface ColumnIR {
  readonly name: string
  readonly type: ColumnType
  readonly nullable: boolean
  readonly default: DefaultIR | null
  readonly unique: boolean
  /** Length for text, value for int and real. */
  readonly min: number | null
  readonly max: number | null
  /** The allowed values of an enum column. */
  readonly values: readonly string[] | null
  readonly references: ReferenceIR | null
  /** Set by the system (id, createdAt, updatedAt); never written by inserts or updates. */
  readonly readOnly: boolean
  /** The JSON Schema of a json column's validator, when it has one. */
  readonly jsonSchema: JsonValue | null
  readonly renamedFrom: string | null
}

export interface IndexIR {
  readonly name: string
  readonly columns: readonly string[]
  readonly unique: boolean
  /** Why the index exists: declared on a column, in the table options, or added for a foreign key. */
  readonly origin: 'column' | 'table' | 'foreignKey'
}

export type RelationIR =
  /** `task.project`: this table's `column` points at `table`. */
  | { readonly kind: 'belongsTo'; readonly name: string; readonly table: string; readonly column: string; readonly nullable: boolean }
  /** `project.tasks`: rows of `table` whose `column` points here. */
  | { readonly kind: 'hasMany'; readonly name: string; readonly table: string; readonly column: string }

export interface SearchIR {
  readonly text: readonly string[]
  readonly semantic: readonly string[]
}

export interface TableIR {
  readonly name: string
  /** Singular PascalCase name for generated types: `tasks` → `Task`. */
  readonly typeName: string
  /** The auth-managed users table (`table.users`). */
  readonly isUsers: boolean
  readonly columns: readonly ColumnIR[]
  readonly primaryKey: 'id'
  readonly indexes: readonly IndexIR[]
  readonly relations: readonly RelationIR[]
  readonly search: SearchIR | null
  readonly renamedFrom: string | null
}

/** A setting resolved when the server starts: from the environment, or inline (never a secret). */
export type SettingIR = { readonly env: string } | { readonly value: string }

export interface OAuthProviderIR {
  readonly clientId: SettingIR
  readonly clientSecret: SettingIR
}

export interface AuthIR {
  readonly email: { readonly enabled: boolean; readonly verify: boolean }
  readonly oauth: { readonly github: OAuthProviderIR | null; readonly google: OAuthProviderIR | null }
  readonly session: { readonly idleTimeoutSeconds: number; readonly absoluteTimeoutSeconds: number }
}

export interface ProjectIR {
  readonly version: typeof PROJECT_IR_VERSION
  readonly name: string
  /** Sorted by name. */
  readonly tables: readonly TableIR[]
  /** Sorted; always contains `admin`. */
  readonly roles: readonly string[]
  readonly auth: AuthIR
}
