import type { ColumnType } from '../ir/project-ir.ts'
import type { ColumnSnapshot, IndexSnapshot, SearchSnapshot, TableSnapshot, VectorSnapshot } from './snapshot.ts'

/** One change to a SQLite schema. The printer turns each kind into SQL; the switch is exhaustive. */
export type MigrationStep =
  | { readonly kind: 'createTable'; readonly table: TableSnapshot }
  | { readonly kind: 'dropTable'; readonly name: string }
  | { readonly kind: 'renameTable'; readonly from: string; readonly to: string }
  | { readonly kind: 'addColumn'; readonly table: string; readonly column: ColumnSnapshot }
  | { readonly kind: 'dropColumn'; readonly table: string; readonly column: string }
  | { readonly kind: 'renameColumn'; readonly table: string; readonly from: string; readonly to: string }
  /**
   * What ALTER TABLE cannot express (a type, nullability, default, CHECK or foreign key change):
   * create the new shape, copy the rows, drop the old table, rename, recreate the indexes.
   */
  | { readonly kind: 'rebuildTable'; readonly table: TableSnapshot; readonly copy: readonly RebuildCopy[]; readonly reason: string }
  /** A logical type change with the same storage (text ↔ date): recorded, no SQL needed. */
  | { readonly kind: 'retypeColumn'; readonly table: string; readonly column: string; readonly from: ColumnType; readonly to: ColumnType }
  | { readonly kind: 'createIndex'; readonly table: string; readonly index: IndexSnapshot }
  | { readonly kind: 'dropIndex'; readonly name: string }
  /**
   * The table's FTS5 index (external content over the table's rowid), its insert/update/delete
   * triggers, and a `rebuild` that indexes the rows already there.
   */
  | { readonly kind: 'createSearchIndex'; readonly table: string; readonly search: SearchSnapshot }
  /** Drops the triggers and the FTS5 table (the application table keeps its rows). */
  | { readonly kind: 'dropSearchIndex'; readonly table: string }
  /** The table's sqlite-vec `vec0` table, empty: the queue's backfill embeds the rows (runtime/search). */
  | { readonly kind: 'createVectorIndex'; readonly table: string; readonly vectors: VectorSnapshot }
  | { readonly kind: 'dropVectorIndex'; readonly table: string }

/** A column of the rebuilt table and the SQL expression over the old table that fills it. */
export interface RebuildCopy {
  readonly column: string
  readonly source: string
}

export type MigrationStepKind = MigrationStep['kind']
