import { sql, type RawBuilder } from 'kysely'
import type { ColumnIR, DefaultIR } from '../../ir/project-ir.ts'
import { assertNever } from '../../shared/assert-never.ts'
import { uuidv7 } from '../../shared/uuid.ts'
import type { IndexedTable } from './model-index.ts'
import type { SqlValue } from './read-plan.ts'
import { valueSlot } from './access.ts'
import { storedValue } from './column-values.ts'

/**
 * The rows a write proposes, as SQL a policy can be evaluated on before anything is written.
 *
 * `create` and `update.check` must judge the row as it would be stored, but against the database
 * as it is *before* the write: evaluated after it, a policy's subqueries would see the written
 * rows themselves (a membership row admitting its own insert, as PostgreSQL's WITH CHECK never
 * does). So the proposed rows are built as a derived table aliased like the policy's row.
 */

/** A new row, every column filled as SQLite would store it: given values, else the column's default. */
export function proposeNewRow(table: IndexedTable, id: string, values: Readonly<Record<string, SqlValue>>, now: string): Record<string, SqlValue> {
  const row: Record<string, SqlValue> = {}
  for (const column of table.ir.columns) {
    if (column.name === 'id') row.id = id
    else if (column.name in values) row[column.name] = values[column.name]!
    else row[column.name] = column.default === null ? null : storedDefault(column, column.default, now)
  }
  return row
}

function storedDefault(column: ColumnIR, value: DefaultIR, now: string): SqlValue {
  switch (value.kind) {
    case 'value':
      return storedValue(column, value.value)
    case 'now':
      return now
    case 'uuidv7':
      return uuidv7()
    default:
      return assertNever(value, 'default')
  }
}

/** `(SELECT ? AS "id", ? AS "title", … UNION ALL SELECT …)`: new rows, every column of the table. */
export function printNewRows(table: IndexedTable, rows: readonly Readonly<Record<string, SqlValue>>[]): RawBuilder<unknown> {
  const selects = rows.map((row) => sql`SELECT ${sql.join(table.ir.columns.map((c) => sql`${row[c.name] ?? null} AS ${sql.id(c.name)}`))}`)
  return sql`(${sql.join(selects, sql` UNION ALL `)})`
}

/** `(SELECT "old"."id" AS "id", ? AS "title", "old"."status" AS "status", … FROM t AS "old" WHERE "old"."id" IN (…))`: stored rows with a patch applied. */
export function printChangedRows(table: IndexedTable, ids: readonly string[], patch: Readonly<Record<string, SqlValue>>): RawBuilder<unknown> {
  const columns = table.ir.columns.map((c) => (c.name in patch ? sql`${patch[c.name]!} AS ${sql.id(c.name)}` : sql`${sql.id('old', c.name)} AS ${sql.id(c.name)}`))
  return sql`(SELECT ${sql.join(columns)} FROM ${sql.id(table.name)} AS "old" WHERE "old"."id" IN (${sql.join(ids)}))`
}

/**
 * One new row inserted only if `predicate` (the create policy, over `"row"`) admits it, in one
 * statement whose values are slots (`valueSlot(i)`, the table's columns in order): compiled once
 * per table, as reads are. The SELECT is evaluated before its row is written, so the policy sees
 * the database as it was (see above). No predicate (the system role): a plain insert.
 * `RETURNING "id"` answers nothing when the policy refused.
 */
export function printJudgedInsert(table: IndexedTable, predicate: RawBuilder<unknown> | undefined): RawBuilder<{ id: string }> {
  const columns = table.ir.columns.map((c) => sql.id(c.name))
  const values = table.ir.columns.map((_, i) => sql`${valueSlot(i)}`)
  if (predicate === undefined) return sql`INSERT INTO ${sql.id(table.name)} (${sql.join(columns)}) VALUES (${sql.join(values)}) RETURNING "id"`
  const row = table.ir.columns.map((c, i) => sql`${values[i]!} AS ${sql.id(c.name)}`)
  return sql`INSERT INTO ${sql.id(table.name)} (${sql.join(columns)}) SELECT ${sql.join(columns)} FROM (SELECT ${sql.join(row)}) AS "row" WHERE COALESCE(${predicate}, 0) RETURNING "id"`
}
