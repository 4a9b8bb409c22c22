/**
 * The column types a table can have: the one list the DSL, the compiler's validation and the IR
 * share (`shared/` so the pure DSL layer can name it too). Facts about each type that more than
 * one layer needs live in `ir/column-types.ts`, keyed by this union.
 */
export const COLUMN_TYPES = ['id', 'text', 'int', 'real', 'bool', 'timestamp', 'date', 'json', 'enum', 'ref', 'createdAt', 'updatedAt'] as const

export type ColumnType = (typeof COLUMN_TYPES)[number]
