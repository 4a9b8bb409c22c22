import { COLUMN_TYPE_FACTS, type ColumnTypeFacts } from '../ir/column-types.ts'
import type { ColumnIR, ColumnType, DefaultIR, EmbeddingsIR, ProjectIR, ReferentialAction, SearchTokenizer, TableIR } from '../ir/project-ir.ts'
import { quoteIdent, quoteLiteral } from '../shared/sql-text.ts'

/**
 * What the database looks like after a migration: the SQL-relevant part of the IR. Stored as
 * generated/migrations/meta/NNNN.snapshot.json; the next migration is the diff from it.
 */
export const SNAPSHOT_VERSION = 1

export type SqlType = ColumnTypeFacts['storage']

export interface ColumnSnapshot {
  readonly name: string
  /** The logical type: decides whether a change narrows data and what counts as "same-typed". */
  readonly type: ColumnType
  readonly sqlType: SqlType
  readonly notNull: boolean
  readonly primaryKey: boolean
  /** SQL expression, as printed after DEFAULT. */
  readonly default: string | null
  /** SQL expression, as printed inside CHECK ( ). */
  readonly check: string | null
  readonly references: { readonly table: string; readonly column: string; readonly onDelete: ReferentialAction } | null
  readonly min: number | null
  readonly max: number | null
  readonly values: readonly string[] | null
}

export interface IndexSnapshot {
  readonly name: string
  readonly columns: readonly string[]
  readonly unique: boolean
}

/**
 * The table's full-text index (FTS5, external content, kept in step by triggers). Only what
 * changes the index's DDL: rank weights are applied at query time and are not recorded.
 */
export interface SearchSnapshot {
  readonly columns: readonly string[]
  readonly tokenizer: SearchTokenizer
}

/**
 * The table's vector index (sqlite-vec `vec0`, keyed by row id): what its vectors were made from.
 * A change of any of these makes every stored vector wrong, so the index is re-created (and the
 * rows re-embedded by the queue's backfill).
 */
export interface VectorSnapshot {
  readonly columns: readonly string[]
  readonly dimensions: number
  readonly model: string
}

export interface TableSnapshot {
  readonly name: string
  readonly columns: readonly ColumnSnapshot[]
  readonly indexes: readonly IndexSnapshot[]
  /** Absent when the table has no `search.text` columns (and in snapshots written before search). */
  readonly search?: SearchSnapshot
  /** Absent when the table has no `search.semantic` columns or no embeddings are configured. */
  readonly vectors?: VectorSnapshot
}

export interface SchemaSnapshot {
  readonly version: typeof SNAPSHOT_VERSION
  /** Sorted by name. */
  readonly tables: readonly TableSnapshot[]
}

export const EMPTY_SNAPSHOT: SchemaSnapshot = { version: SNAPSHOT_VERSION, tables: [] }

/** Renames the definition asks for (`renamedFrom`), by new name. */
export interface RenameHints {
  readonly tables: ReadonlyMap<string, string>
  /** Keyed by `table.column` with the table's new name. */
  readonly columns: ReadonlyMap<string, string>
}

/** ISO 8601 UTC with milliseconds, the format every timestamp column holds. */
export const SQL_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

/**
 * A UUIDv7 in plain SQLite: 48 bits of Unix milliseconds, the version nibble, random bits and
 * the RFC 9562 variant ('now' is fixed within one statement, so both halves of the time agree).
 * The runtime generates ids itself; this default makes inserts from any
 * SQLite client (a script, the sqlite3 shell) produce the same kind of id.
 */
const SQL_NOW_MS = "CAST(unixepoch('subsec') * 1000 AS INTEGER)"
export const SQL_UUIDV7 =
  `lower(printf('%08x', ${SQL_NOW_MS} >> 16) || '-' || printf('%04x', ${SQL_NOW_MS} & 65535) || '-7' || ` +
  "substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))"

export function buildSnapshot(ir: ProjectIR): SchemaSnapshot {
  return {
    version: SNAPSHOT_VERSION,
    tables: [...ir.tables].sort((a, b) => a.name.localeCompare(b.name)).map((table) => buildTableSnapshot(table, ir.embeddings)),
  }
}

export function buildRenameHints(ir: ProjectIR): RenameHints {
  const tables = new Map<string, string>()
  const columns = new Map<string, string>()
  for (const table of ir.tables) {
    if (table.renamedFrom !== null) tables.set(table.name, table.renamedFrom)
    for (const column of table.columns) {
      if (column.renamedFrom !== null) columns.set(`${table.name}.${column.name}`, column.renamedFrom)
    }
  }
  return { tables, columns }
}

function buildTableSnapshot(table: TableIR, embeddings: EmbeddingsIR | undefined): TableSnapshot {
  return {
    name: table.name,
    columns: table.columns.map(buildColumnSnapshot),
    indexes: table.indexes.map((index) => ({ name: index.name, columns: [...index.columns], unique: index.unique })),
    ...(table.search && table.search.text.length > 0 ? { search: { columns: [...table.search.text], tokenizer: table.search.tokenizer } } : {}),
    ...(embeddings && table.search && table.search.semantic.length > 0 ? { vectors: { columns: [...table.search.semantic], dimensions: embeddings.dimensions, model: embeddings.model } } : {}),
  }
}

function buildColumnSnapshot(column: ColumnIR): ColumnSnapshot {
  return {
    name: column.name,
    type: column.type,
    sqlType: COLUMN_TYPE_FACTS[column.type].storage,
    notNull: !column.nullable,
    primaryKey: column.type === 'id',
    default: printDefault(column.default, column.type),
    check: printCheck(column),
    references: column.references ? { ...column.references } : null,
    min: column.min,
    max: column.max,
    values: column.values ? [...column.values] : null,
  }
}

function printDefault(value: DefaultIR | null, type: ColumnType): string | null {
  if (value === null) return null
  switch (value.kind) {
    case 'now':
      return `(${SQL_NOW})`
    case 'uuidv7':
      return `(${SQL_UUIDV7})`
    case 'value': {
      const v = value.value
      if (type === 'json') return quoteLiteral(JSON.stringify(v))
      if (typeof v === 'boolean') return v ? '1' : '0'
      if (typeof v === 'number') return String(v)
      if (typeof v === 'string') return quoteLiteral(v)
      return quoteLiteral(JSON.stringify(v))
    }
  }
}

/** Column constraints SQLite enforces on every write, whatever client writes. */
function printCheck(column: ColumnIR): string | null {
  const name = quoteIdent(column.name)
  const checks: string[] = []
  switch (column.type) {
    case 'enum':
      if (column.values && column.values.length > 0) checks.push(`${name} IN (${column.values.map(quoteLiteral).join(', ')})`)
      break
    case 'bool':
      checks.push(`${name} IN (0, 1)`)
      break
    case 'json':
      checks.push(`json_valid(${name})`)
      break
    case 'text':
      if (column.min !== null && column.max !== null) checks.push(`length(${name}) BETWEEN ${column.min} AND ${column.max}`)
      else if (column.min !== null) checks.push(`length(${name}) >= ${column.min}`)
      else if (column.max !== null) checks.push(`length(${name}) <= ${column.max}`)
      break
    case 'int':
    case 'real':
      if (column.min !== null && column.max !== null) checks.push(`${name} BETWEEN ${column.min} AND ${column.max}`)
      else if (column.min !== null) checks.push(`${name} >= ${column.min}`)
      else if (column.max !== null) checks.push(`${name} <= ${column.max}`)
      break
    case 'timestamp':
    case 'createdAt':
    case 'updatedAt':
      checks.push(printInstantCheck(name))
      break
    case 'id':
    case 'date':
    case 'ref':
      break
  }
  return checks.length === 0 ? null : checks.join(' AND ')
}

/** How SQLite prints an instant: ISO 8601 UTC with milliseconds, the one form timestamps are stored in. */
export const SQL_INSTANT_FORMAT = '%Y-%m-%dT%H:%M:%fZ'

/**
 * A stored instant must already be in its one form, so text order is time order and filters
 * compare like with like (`…T01:00:00+05:00` would sort after `…T00:00:00Z`). `IS` keeps NULL
 * allowed (strftime of NULL is NULL) and refuses what strftime cannot read (it gives NULL).
 */
function printInstantCheck(name: string): string {
  return `${name} IS strftime('${SQL_INSTANT_FORMAT}', ${name})`
}

/**
 * The SQL that rewrites a stored instant into its one form (what a rebuild copies): an offset is
 * applied (`+05:00` → UTC), missing milliseconds are added, and a value strftime cannot read is
 * kept as it is, so the new CHECK refuses it and the migration stops instead of losing it.
 */
export function printInstantNormalize(source: string): string {
  return `COALESCE(strftime('${SQL_INSTANT_FORMAT}', ${source}), ${source})`
}
