import type { ColumnType } from '../shared/column-types.ts'

/**
 * What each column type is, for every stage that has to know: how SQLite stores it, whether it
 * compares as text (pattern filters apply), and whether the system sets it. A `Record` over the
 * union, so a new column type does not compile until it is described here.
 */
export interface ColumnTypeFacts {
  /** The STRICT column type it is stored as. */
  readonly storage: 'TEXT' | 'INTEGER' | 'REAL'
  /** Stored as text that a caller sends as a string: `like`/`ilike` apply. */
  readonly textual: boolean
  /** Written by the system (`id`, `createdAt`, `updatedAt`): never optional, never defaulted by hand. */
  readonly system: boolean
  /** Takes `.min()`/`.max()`: a length for text, a value for numbers. */
  readonly bounded: boolean
  /** Stored as ISO 8601 UTC text (`YYYY-MM-DDTHH:mm:ss.sssZ`), normalized on every write and filter. */
  readonly instant: boolean
}

export const COLUMN_TYPE_FACTS: Readonly<Record<ColumnType, ColumnTypeFacts>> = {
  id: { storage: 'TEXT', textual: true, system: true, bounded: false, instant: false },
  text: { storage: 'TEXT', textual: true, system: false, bounded: true, instant: false },
  int: { storage: 'INTEGER', textual: false, system: false, bounded: true, instant: false },
  real: { storage: 'REAL', textual: false, system: false, bounded: true, instant: false },
  bool: { storage: 'INTEGER', textual: false, system: false, bounded: false, instant: false },
  timestamp: { storage: 'TEXT', textual: true, system: false, bounded: false, instant: true },
  date: { storage: 'TEXT', textual: true, system: false, bounded: false, instant: false },
  json: { storage: 'TEXT', textual: true, system: false, bounded: false, instant: false },
  enum: { storage: 'TEXT', textual: true, system: false, bounded: false, instant: false },
  ref: { storage: 'TEXT', textual: true, system: false, bounded: false, instant: false },
  createdAt: { storage: 'TEXT', textual: true, system: true, bounded: false, instant: true },
  updatedAt: { storage: 'TEXT', textual: true, system: true, bounded: false, instant: true },
}

export type { ColumnType }
