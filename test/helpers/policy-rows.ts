import type { ColumnIR, TableIR } from '../../engine/ir/project-ir.ts'
import type { SqliteDatabase } from '../../engine/shared/sqlite.ts'
import type { Row, Rows } from './policy-evaluator.ts'
import type { Random } from './policy-random.ts'

/**
 * Random rows for any schema (TableIR), as the policy property tests need them: every column's
 * CHECKs and foreign keys respected (parents drawn before children, a self-reference points at
 * an earlier row), nulls wherever a column allows them, unique columns and unique indexes never
 * repeated, and small value domains so that comparisons between rows and literals often hold.
 *
 * The texts include '1' (which SQLite's column affinity would take for a number), a quote and a
 * '?' (which the policy SQL must bind, never print).
 */
export const TEXT_VALUES: readonly string[] = ['a', 'b', 'B', '1', "it's", 'a?b']
export const TIMESTAMPS: readonly string[] = ['2026-01-01T00:00:00.000Z', '2026-06-01T12:00:00.000Z', '2027-01-01T00:00:00.000Z']
export const INT_VALUES: readonly number[] = [-1, 0, 1, 2, 3]
const JSON_VALUES: readonly string[] = ['{"a":1}', '"a"', '[]']

/** How a column's values are stored and compared: as text or as a number (bools are 0/1). */
export type StorageKind = 'text' | 'int' | 'bool'

export function storageKindOf(column: ColumnIR): StorageKind {
  switch (column.type) {
    case 'int':
    case 'real':
      return 'int'
    case 'bool':
      return 'bool'
    default:
      return 'text'
  }
}

/** Tables parents first (self-references do not order). */
export function parentsFirst(tables: readonly TableIR[]): TableIR[] {
  const ordered: TableIR[] = []
  const placed = new Set<string>()
  while (ordered.length < tables.length) {
    const next = tables.find((t) => !placed.has(t.name) && t.columns.every((c) => !c.references || c.references.table === t.name || placed.has(c.references.table)))
    if (!next) throw new Error('policy-rows: the foreign keys form a cycle')
    ordered.push(next)
    placed.add(next.name)
  }
  return ordered
}

/** A short id prefix per table (`u` for users, `w` for workspaces…), distinct across the schema. */
export function idPrefixes(tables: readonly TableIR[]): ReadonlyMap<string, string> {
  const prefixes = new Map<string, string>()
  for (const table of [...tables].sort((a, b) => a.name.localeCompare(b.name))) {
    let length = 1
    while ([...prefixes.values()].includes(table.name.slice(0, length))) length++
    prefixes.set(table.name, table.name.slice(0, length))
  }
  return prefixes
}

export interface RandomRowsOptions {
  /** How many rows to draw per table; rows that would repeat a unique key are dropped. */
  readonly counts: Readonly<Record<string, number>>
  /** Rows a table already has (the real server's signed-up users), used as they are. */
  readonly given?: Rows
  /** The id of a table's n-th drawn row; `t3` by default. */
  readonly idOf?: (table: string, n: number) => string
}

/** Random rows of every table, as the system role would store them. */
export function randomRowsOf(random: Random, tables: readonly TableIR[], options: RandomRowsOptions): Rows {
  const prefixes = idPrefixes(tables)
  const idOf = options.idOf ?? ((table: string, n: number) => `${prefixes.get(table)}${n}`)
  const rows: Record<string, Row[]> = {}
  for (const table of parentsFirst(tables)) {
    const given = options.given?.[table.name]
    if (given) {
      rows[table.name] = [...given]
      continue
    }
    const drawn: Row[] = []
    rows[table.name] = drawn
    const count = options.counts[table.name] ?? 0
    for (let n = 0; n < count; n++) {
      const row = randomRow(random, table, rows, { id: idOf(table.name, n), timestamps: true })
      if (row && !repeatsUniqueKey(table, row, drawn)) drawn.push(row)
    }
  }
  return rows
}

/**
 * One row of `table` whose references point at `rows`. `id` set: the row's id and (with
 * `timestamps`) its system timestamps are drawn too, as a seed would write them; unset: only
 * the columns a caller may write (for an insert through the API). Undefined when a required
 * reference has no row to point at.
 */
export function randomRow(random: Random, table: TableIR, rows: Rows, options: { id?: string; timestamps?: boolean } = {}): Row | undefined {
  const row: Record<string, unknown> = {}
  for (const column of table.columns) {
    if (column.type === 'id') {
      if (options.id !== undefined) row[column.name] = options.id
      continue
    }
    if (column.readOnly && !options.timestamps) continue
    const value = randomValue(random, table, column, rows, options.id ?? `new${random.int(1_000_000)}`)
    if (value === undefined) return undefined
    row[column.name] = value
  }
  return row
}

/**
 * A value for `column` as SQLite stores it; undefined when it is a required reference with
 * nothing to point at. `id` makes unique text values unique.
 */
export function randomValue(random: Random, table: TableIR, column: ColumnIR, rows: Rows, id: string): unknown {
  if (column.references) {
    const targets = (rows[column.references.table] ?? []).map((r) => r.id)
    if (column.nullable && (targets.length === 0 || random.chance(0.3))) return null
    return targets.length === 0 ? undefined : random.pick(targets)
  }
  if (column.nullable && random.chance(0.3)) return null
  switch (column.type) {
    case 'int':
    case 'real': {
      const allowed = INT_VALUES.filter((v) => (column.min === null || v >= column.min) && (column.max === null || v <= column.max))
      return random.pick(allowed.length > 0 ? allowed : [column.min ?? 0])
    }
    case 'bool':
      return random.int(2)
    case 'enum':
      return random.pick(column.values ?? ['a'])
    case 'timestamp':
    case 'date':
    case 'createdAt':
    case 'updatedAt':
      return random.pick(TIMESTAMPS)
    case 'json':
      return random.pick(JSON_VALUES)
    case 'text': {
      if (column.unique || uniqueIn(table, column.name)) return `${id}-${column.name}`
      const allowed = TEXT_VALUES.filter((v) => (column.min === null || v.length >= column.min) && (column.max === null || v.length <= column.max))
      return random.pick(allowed.length > 0 ? allowed : ['ab'])
    }
    case 'id':
    case 'ref':
      throw new Error(`policy-rows: column "${column.name}" of type ${column.type} has no reference`)
    default: {
      const never: never = column.type
      throw new Error(`policy-rows: unknown column type ${String(never)}`)
    }
  }
}

/** Whether the column is part of a unique index (its own or a composite one). */
export function uniqueIn(table: TableIR, column: string): boolean {
  return table.columns.some((c) => c.name === column && c.unique) || table.indexes.some((i) => i.unique && i.columns.includes(column))
}

/** Whether `row` repeats the key of a unique column or index among `rows` (nulls never repeat). */
export function repeatsUniqueKey(table: TableIR, row: Row, rows: readonly Row[]): boolean {
  const keys = [...table.columns.filter((c) => c.unique).map((c) => [c.name]), ...table.indexes.filter((i) => i.unique).map((i) => i.columns)]
  return keys.some((key) => key.every((c) => row[c] !== null) && rows.some((other) => other.id !== row.id && key.every((c) => other[c] === row[c])))
}

/** INSERT statements for the rows, parents first. */
export function insertStatements(tables: readonly TableIR[], rows: Rows): { sql: string; values: unknown[] }[] {
  return parentsFirst(tables).flatMap((table) =>
    (rows[table.name] ?? []).map((row) => {
      const columns = Object.keys(row)
      return { sql: `INSERT INTO "${table.name}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`, values: Object.values(row) }
    }),
  )
}

/** Every row of every table as stored, ordered by id: what the evaluator reads. */
export function storedRows(db: SqliteDatabase, tables: readonly TableIR[]): Rows {
  return Object.fromEntries(tables.map((t) => [t.name, db.prepare(`SELECT * FROM "${t.name}" ORDER BY "id"`).all() as Row[]]))
}

/** The users table's columns only /auth (or the service key) writes. */
export const AUTH_MANAGED: readonly string[] = ['email', 'emailVerified']

/**
 * A patch for rows of `table` as the API takes it (booleans as booleans): one or two writable
 * columns that are in no unique key, so one patch can go to many rows, and not managed by /auth.
 * Undefined when the table has no such column.
 */
export function randomPatch(random: Random, table: TableIR, rows: Rows): Record<string, unknown> | undefined {
  const candidates = table.columns.filter((c) => !c.readOnly && c.type !== 'json' && !uniqueIn(table, c.name) && !(table.isUsers && AUTH_MANAGED.includes(c.name)))
  if (candidates.length === 0) return undefined
  const patch: Record<string, unknown> = {}
  for (let i = 0; i < 1 + random.int(2); i++) {
    const column = random.pick(candidates)
    const value = randomValue(random, table, column, rows, 'patch')
    if (value === undefined) continue
    patch[column.name] = column.type === 'bool' && value !== null ? value === 1 : value
  }
  return Object.keys(patch).length === 0 ? undefined : patch
}

/** A patch's values as SQLite stores them (booleans as 0/1). */
export function storedPatch(patch: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(patch).map(([k, v]) => [k, typeof v === 'boolean' ? (v ? 1 : 0) : v]))
}

/** A new row for an insert through the API (no id, no timestamps; booleans as booleans), or undefined. */
export function randomNewRow(random: Random, table: TableIR, rows: Rows): Record<string, unknown> | undefined {
  for (let tries = 0; tries < 4; tries++) {
    const row = randomRow(random, table, rows)
    if (row === undefined) return undefined
    if (repeatsUniqueKey(table, row, rows[table.name] ?? [])) continue
    const boolColumns = new Set(table.columns.filter((c) => c.type === 'bool').map((c) => c.name))
    return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, boolColumns.has(k) && v !== null ? v === 1 : v]))
  }
  return undefined
}
