import { KoyaError } from '../shared/errors.ts'
import { COLUMN_TYPE_FACTS } from '../ir/column-types.ts'
import { printInstantNormalize, type ColumnSnapshot, type IndexSnapshot, type RenameHints, type SchemaSnapshot, type TableSnapshot } from './snapshot.ts'
import { quoteIdent } from '../shared/sql-text.ts'
import type { MigrationStep, RebuildCopy } from './steps.ts'

export interface DiffOptions {
  /** Allow steps that drop or narrow data; without it they are refused with KL_MIG_DESTRUCTIVE. */
  readonly allowDataLoss: boolean
  /**
   * 'up' refuses a required column without a default; 'down' (undoing a migration) rebuilds
   * instead, which fails at apply time only if the table has rows.
   */
  readonly direction: 'up' | 'down'
}

export interface SchemaDiff {
  readonly steps: readonly MigrationStep[]
  /** Refusals: KL_MIG_DESTRUCTIVE, KL_MIG_AMBIGUOUS_RENAME, KL_MIG_NEEDS_DEFAULT. */
  readonly problems: readonly KoyaError[]
}

/** Type changes that keep every value: the old values all fit the new type's storage and checks. */
const WIDENING: ReadonlySet<string> = new Set(['int>real', 'enum>text', 'bool>int', 'timestamp>text', 'date>text', 'ref>text', 'createdAt>timestamp', 'updatedAt>timestamp'])

/**
 * Compare two snapshots and list the steps from `prev` to `next`, in an order that SQLite
 * accepts: renames, new tables, changes per table (name order), drops last.
 */
export function diffSnapshots(prev: SchemaSnapshot, next: SchemaSnapshot, hints: RenameHints, options: DiffOptions): SchemaDiff {
  const problems: KoyaError[] = []
  const prevByName = new Map(prev.tables.map((t) => [t.name, t]))
  const nextNames = new Set(next.tables.map((t) => t.name))

  const renames: MigrationStep[] = []
  const matched: [TableSnapshot, TableSnapshot][] = []
  const created: TableSnapshot[] = []
  const renamedTables = new Map<string, string>() // old → new
  for (const table of next.tables) {
    const same = prevByName.get(table.name)
    const hinted = hints.tables.get(table.name)
    if (same) {
      matched.push([same, table])
    } else if (hinted !== undefined && prevByName.has(hinted) && !nextNames.has(hinted)) {
      renames.push({ kind: 'renameTable', from: hinted, to: table.name })
      renamedTables.set(hinted, table.name)
      matched.push([prevByName.get(hinted)!, table])
    } else {
      created.push(table)
    }
  }
  const matchedOld = new Set(matched.map(([old]) => old.name))
  const dropped = prev.tables.filter((t) => !matchedOld.has(t.name))

  if (!options.allowDataLoss) {
    if (dropped.length > 0 && created.length > 0) {
      problems.push(
        new KoyaError('KL_MIG_AMBIGUOUS_RENAME', `Table ${names(dropped)} disappeared while ${names(created)} appeared: a rename, or a drop and a create?`, {
          hint: `To rename, pass { renamedFrom: '${dropped[0]!.name}' } in the options of table('${created[0]!.name}', …); to drop "${dropped[0]!.name}" and its rows, run generate with --allow-data-loss.`,
        }),
      )
    } else {
      for (const table of dropped) {
        problems.push(
          new KoyaError('KL_MIG_DESTRUCTIVE', `Table "${table.name}" is no longer defined; dropping it deletes its rows.`, {
            hint: `If it was renamed, pass { renamedFrom: '${table.name}' } to the new table. To drop it, back up the database and run \`koyalite generate --allow-data-loss\`.`,
          }),
        )
      }
    }
  }

  const tableSteps: MigrationStep[] = []
  // Search indexes are dropped before any other step (a trigger naming a column would stop its
  // drop or rename) and created after every one (a rebuilt table has new rowids).
  const dropSearch: MigrationStep[] = []
  const createSearch: MigrationStep[] = []
  for (const [old, table] of matched.sort((a, b) => a[1].name.localeCompare(b[1].name))) {
    const steps = diffTable(old, table, hints, renamedTables, options, problems)
    tableSteps.push(...steps)
    const reshaped = old.name !== table.name || steps.some((s) => s.kind !== 'createIndex' && s.kind !== 'dropIndex' && s.kind !== 'retypeColumn')
    if (reshaped || !sameSearch(old.search, table.search)) {
      if (old.search) dropSearch.push({ kind: 'dropSearchIndex', table: old.name })
      if (table.search) createSearch.push({ kind: 'createSearchIndex', table: table.name, search: table.search })
    }
    // Vectors are keyed by id, so only a rename or a change of what they are made from re-creates them.
    if (old.name !== table.name || !sameVectors(old.vectors, table.vectors)) {
      if (old.vectors) dropSearch.push({ kind: 'dropVectorIndex', table: old.name })
      if (table.vectors) createSearch.push({ kind: 'createVectorIndex', table: table.name, vectors: table.vectors })
    }
  }

  const createSteps: MigrationStep[] = []
  for (const table of sortByDependency(created)) {
    createSteps.push({ kind: 'createTable', table })
    for (const index of table.indexes) createSteps.push({ kind: 'createIndex', table: table.name, index })
    if (table.search) createSearch.push({ kind: 'createSearchIndex', table: table.name, search: table.search })
    if (table.vectors) createSearch.push({ kind: 'createVectorIndex', table: table.name, vectors: table.vectors })
  }
  for (const table of dropped) if (table.search) dropSearch.push({ kind: 'dropSearchIndex', table: table.name })
  for (const table of dropped) if (table.vectors) dropSearch.push({ kind: 'dropVectorIndex', table: table.name })
  // Children before parents, so the file is also safe to run by hand with foreign keys on.
  const dropSteps: MigrationStep[] = sortByDependency(dropped)
    .reverse()
    .map((t) => ({ kind: 'dropTable', name: t.name }))

  return { steps: [...dropSearch, ...renames, ...createSteps, ...tableSteps, ...dropSteps, ...createSearch], problems }
}

function sameVectors(a: TableSnapshot['vectors'], b: TableSnapshot['vectors']): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.dimensions === b.dimensions && a.model === b.model && a.columns.join('\0') === b.columns.join('\0')
}

function sameSearch(a: TableSnapshot['search'], b: TableSnapshot['search']): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.tokenizer === b.tokenizer && a.columns.join('\0') === b.columns.join('\0')
}

function diffTable(
  old: TableSnapshot,
  table: TableSnapshot,
  hints: RenameHints,
  renamedTables: ReadonlyMap<string, string>,
  options: DiffOptions,
  problems: KoyaError[],
): MigrationStep[] {
  const oldByName = new Map(old.columns.map((c) => [c.name, c]))
  const newNames = new Set(table.columns.map((c) => c.name))
  const pairs: [ColumnSnapshot, ColumnSnapshot][] = []
  const added: ColumnSnapshot[] = []
  const renamedColumns: { from: string; to: string }[] = []
  for (const column of table.columns) {
    const same = oldByName.get(column.name)
    const hinted = hints.columns.get(`${table.name}.${column.name}`)
    if (same) pairs.push([same, column])
    else if (hinted !== undefined && oldByName.has(hinted) && !newNames.has(hinted)) {
      pairs.push([oldByName.get(hinted)!, column])
      renamedColumns.push({ from: hinted, to: column.name })
    } else added.push(column)
  }
  const pairedOld = new Set(pairs.map(([o]) => o.name))
  const droppedColumns = old.columns.filter((c) => !pairedOld.has(c.name))

  if (!options.allowDataLoss) {
    for (const gone of droppedColumns) {
      const twin = added.find((c) => c.type === gone.type)
      if (twin) {
        problems.push(
          new KoyaError('KL_MIG_AMBIGUOUS_RENAME', `Column "${table.name}.${gone.name}" disappeared while "${twin.name}" of the same type (${gone.type}) appeared: a rename, or a drop and an add?`, {
            hint: `To rename, write \`${twin.name}: t.${twin.type}()….renamedFrom('${gone.name}')\`; to drop "${gone.name}" and its values, run generate with --allow-data-loss.`,
          }),
        )
      } else {
        problems.push(
          new KoyaError('KL_MIG_DESTRUCTIVE', `Column "${table.name}.${gone.name}" is no longer defined; dropping it deletes its values.`, {
            hint: `If it was renamed, write .renamedFrom('${gone.name}') on the new column. To drop it, back up the database and run \`koyalite generate --allow-data-loss\`.`,
          }),
        )
      }
    }
  }

  const changedPairs = pairs.filter(([o, n]) => !sameStorage(o, n, renamedTables))
  // Stored alike but typed differently (text ↔ date): no SQL to run, yet the snapshot must
  // record it and a narrowing must be refused like any other.
  const retypedPairs = pairs.filter(([o, n]) => o.type !== n.type && sameStorage(o, n, renamedTables))
  if (!options.allowDataLoss) {
    for (const [o, n] of [...changedPairs, ...retypedPairs]) {
      const narrowing = narrowingOf(o, n, renamedTables)
      if (narrowing !== undefined) {
        problems.push(
          new KoyaError('KL_MIG_DESTRUCTIVE', `Column "${table.name}.${n.name}" ${narrowing}; existing values may not fit.`, {
            hint: 'Check the existing data, back up the database, then run `koyalite generate --allow-data-loss`; rows that still do not fit make the migration fail and roll back.',
          }),
        )
      }
    }
  }

  const needsDefault = added.filter((c) => c.notNull && c.default === null)
  if (options.direction === 'up') {
    for (const column of needsDefault) {
      problems.push(
        new KoyaError('KL_MIG_NEEDS_DEFAULT', `Column "${table.name}.${column.name}" is required and has no default, so the rows already in "${table.name}" would have no value.`, {
          hint: `Give it a default (\`.default(…)\`) or make it \`.optional()\`.`,
        }),
      )
    }
  }

  const rebuildReasons = [
    ...changedPairs.map(([, n]) => `${n.name} changed`),
    ...added.filter((c) => !canAddColumn(c)).map((c) => `${c.name} cannot be added by ALTER TABLE`),
    ...droppedColumns.filter((c) => c.references !== null || c.primaryKey).map((c) => `${c.name} is a key`),
  ]
  if (rebuildReasons.length > 0) {
    const copy: RebuildCopy[] = pairs.map(([o, n]) => ({ column: n.name, source: copySource(o, n, options) }))
    return [{ kind: 'rebuildTable', table, copy, reason: rebuildReasons.join(', ') }]
  }

  const steps: MigrationStep[] = []
  for (const { from, to } of renamedColumns) steps.push({ kind: 'renameColumn', table: table.name, from, to })
  const oldIndexes = new Map(old.indexes.map((i) => [i.name, i]))
  const newIndexes = new Map(table.indexes.map((i) => [i.name, i]))
  const renamedColumnOf = new Map(renamedColumns.map((r) => [r.from, r.to]))
  const sameIndex = (a: IndexSnapshot, b: IndexSnapshot) =>
    a.unique === b.unique && a.columns.map((c) => renamedColumnOf.get(c) ?? c).join() === b.columns.join()
  for (const index of old.indexes) {
    const kept = newIndexes.get(index.name)
    if (!kept || !sameIndex(index, kept)) steps.push({ kind: 'dropIndex', name: index.name })
  }
  for (const column of droppedColumns) steps.push({ kind: 'dropColumn', table: table.name, column: column.name })
  for (const column of added) steps.push({ kind: 'addColumn', table: table.name, column })
  for (const [o, n] of retypedPairs) steps.push({ kind: 'retypeColumn', table: table.name, column: n.name, from: o.type, to: n.type })
  for (const index of table.indexes) {
    const before = oldIndexes.get(index.name)
    if (!before || !sameIndex(before, index)) steps.push({ kind: 'createIndex', table: table.name, index })
  }
  return steps
}

/** Whether two versions of a column are stored alike (no rebuild needed). */
function sameStorage(o: ColumnSnapshot, n: ColumnSnapshot, renamedTables: ReadonlyMap<string, string>): boolean {
  return (
    o.sqlType === n.sqlType &&
    o.notNull === n.notNull &&
    o.primaryKey === n.primaryKey &&
    o.default === n.default &&
    (o.check === null ? null : renameInCheck(o.check, o.name, n.name)) === n.check &&
    sameReference(o.references, n.references, renamedTables)
  )
}

/**
 * A CHECK names its column; RENAME COLUMN rewrites that name (and only identifiers, never string
 * literals), so a renamed column's CHECK is compared after the same rewrite.
 */
function renameInCheck(check: string, from: string, to: string): string {
  if (from === to) return check
  return check
    .split(/('(?:[^']|'')*')/)
    .map((part, i) => (i % 2 === 1 ? part : part.replaceAll(quoteIdent(from), quoteIdent(to))))
    .join('')
}

function sameReference(o: ColumnSnapshot['references'], n: ColumnSnapshot['references'], renamedTables: ReadonlyMap<string, string>): boolean {
  if (o === null || n === null) return o === n
  // A renamed parent table is followed by SQLite itself (ALTER TABLE … RENAME rewrites references).
  return (renamedTables.get(o.table) ?? o.table) === n.table && o.column === n.column && o.onDelete === n.onDelete
}

/** Why a column change may not fit existing values, or undefined when every old value fits. */
function narrowingOf(o: ColumnSnapshot, n: ColumnSnapshot, renamedTables: ReadonlyMap<string, string>): string | undefined {
  if (o.type !== n.type && !WIDENING.has(`${o.type}>${n.type}`)) return `changes type from ${o.type} to ${n.type}`
  if (o.references !== null && n.references !== null && (renamedTables.get(o.references.table) ?? o.references.table) !== n.references.table) {
    return `points at "${n.references.table}" instead of "${o.references.table}"`
  }
  if (!o.notNull && n.notNull) return 'becomes required (NOT NULL)'
  if (n.min !== null && (o.min === null || n.min > o.min)) return `gets a higher minimum (${o.min ?? 'none'} → ${n.min})`
  if (n.max !== null && (o.max === null || n.max < o.max)) return `gets a lower maximum (${o.max ?? 'none'} → ${n.max})`
  const removed = (o.values ?? []).filter((v) => n.values !== null && !n.values.includes(v))
  if (removed.length > 0) return `loses enum value${removed.length > 1 ? 's' : ''} ${removed.map((v) => `'${v}'`).join(', ')}`
  return undefined
}

/** SQLite's ADD COLUMN takes a constant default, no PRIMARY KEY, and a foreign key only with a NULL default. */
function canAddColumn(column: ColumnSnapshot): boolean {
  if (column.primaryKey) return false
  if (column.default !== null && column.default.startsWith('(')) return false
  if (column.references !== null && column.default !== null) return false
  if (column.notNull && column.default === null) return false
  return true
}

function copySource(o: ColumnSnapshot, n: ColumnSnapshot, options: DiffOptions): string {
  const source = quoteIdent(o.name)
  // Allowed to narrow into NOT NULL: fill the gaps with the new default, when there is one.
  if (options.allowDataLoss && !o.notNull && n.notNull && n.default !== null) return `COALESCE(${source}, ${n.default})`
  if (o.type === 'bool' && n.type !== 'bool' && n.sqlType === 'TEXT') return `CASE ${source} WHEN 1 THEN 'true' WHEN 0 THEN 'false' END`
  // The reverse, so undoing bool → text works: other text is copied as is and fails if it does not fit.
  if (n.type === 'bool' && o.type !== 'bool' && o.sqlType === 'TEXT') return `CASE ${source} WHEN 'true' THEN 1 WHEN 'false' THEN 0 ELSE ${source} END`
  // Instants stored before the one-form CHECK (or as text) are brought into it on the way.
  if (COLUMN_TYPE_FACTS[n.type].instant && o.sqlType === 'TEXT' && o.check !== n.check) return printInstantNormalize(source)
  return source
}

/** Parents before children, so the created tables read top-down; cycles keep name order. */
function sortByDependency(tables: readonly TableSnapshot[]): TableSnapshot[] {
  const byName = new Map(tables.map((t) => [t.name, t]))
  const done = new Set<string>()
  const visiting = new Set<string>()
  const out: TableSnapshot[] = []
  const visit = (table: TableSnapshot): void => {
    if (done.has(table.name) || visiting.has(table.name)) return
    visiting.add(table.name)
    for (const column of table.columns) {
      const parent = column.references ? byName.get(column.references.table) : undefined
      if (parent && parent !== table) visit(parent)
    }
    visiting.delete(table.name)
    done.add(table.name)
    out.push(table)
  }
  for (const table of [...tables].sort((a, b) => a.name.localeCompare(b.name))) visit(table)
  return out
}

function names(tables: readonly TableSnapshot[]): string {
  return tables.map((t) => `"${t.name}"`).join(', ')
}
