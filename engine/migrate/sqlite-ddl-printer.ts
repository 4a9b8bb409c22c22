import { assertNever } from '../shared/assert-never.ts'
import { FTS5_TOKENIZE, searchIndexName, searchTriggerNames, vectorIndexName } from '../ir/search-index.ts'
import type { ColumnSnapshot, IndexSnapshot, SearchSnapshot, TableSnapshot } from './snapshot.ts'
import { quoteIdent, quoteLiteral } from '../shared/sql-text.ts'
import type { MigrationStep } from './steps.ts'

/** The prefix of the temporary table a rebuild copies into. */
const REBUILD_PREFIX = '__koya_new_'

/**
 * Print migration steps as SQLite statements, one or more per step, each ending in `;`. The
 * runner executes them in one transaction with foreign keys off, then runs
 * `PRAGMA foreign_key_check` before committing (SQLite's documented way to rebuild tables).
 */
export function printSteps(steps: readonly MigrationStep[]): string[] {
  return steps.flatMap(printStep)
}

export function printStep(step: MigrationStep): string[] {
  switch (step.kind) {
    case 'createTable':
      return [printCreateTable(step.table.name, step.table.columns)]
    case 'dropTable':
      return [`DROP TABLE ${quoteIdent(step.name)};`]
    case 'renameTable':
      return [`ALTER TABLE ${quoteIdent(step.from)} RENAME TO ${quoteIdent(step.to)};`]
    case 'addColumn':
      return [`ALTER TABLE ${quoteIdent(step.table)} ADD COLUMN ${printColumn(step.column)};`]
    case 'dropColumn':
      return [`ALTER TABLE ${quoteIdent(step.table)} DROP COLUMN ${quoteIdent(step.column)};`]
    case 'renameColumn':
      return [`ALTER TABLE ${quoteIdent(step.table)} RENAME COLUMN ${quoteIdent(step.from)} TO ${quoteIdent(step.to)};`]
    case 'rebuildTable': {
      const temp = REBUILD_PREFIX + step.table.name
      const columns = step.copy.map((c) => quoteIdent(c.column)).join(', ')
      const sources = step.copy.map((c) => c.source).join(', ')
      return [
        `-- Rebuild "${step.table.name}" (${step.reason}): copy the rows into the new shape.`,
        printCreateTable(temp, step.table.columns),
        ...(step.copy.length > 0 ? [`INSERT INTO ${quoteIdent(temp)} (${columns}) SELECT ${sources} FROM ${quoteIdent(step.table.name)};`] : []),
        `DROP TABLE ${quoteIdent(step.table.name)};`,
        `ALTER TABLE ${quoteIdent(temp)} RENAME TO ${quoteIdent(step.table.name)};`,
        ...step.table.indexes.map((index) => printCreateIndex(step.table.name, index)),
      ]
    }
    case 'retypeColumn':
      return [`-- "${step.table}"."${step.column}" is now ${step.to} (was ${step.from}); stored alike, nothing to change.`]
    case 'createIndex':
      return [printCreateIndex(step.table, step.index)]
    case 'dropIndex':
      return [`DROP INDEX ${quoteIdent(step.name)};`]
    case 'createSearchIndex':
      return printCreateSearchIndex(step.table, step.search)
    case 'dropSearchIndex': {
      const triggers = searchTriggerNames(step.table)
      return [
        ...[triggers.insert, triggers.update, triggers.delete].map((name) => `DROP TRIGGER IF EXISTS ${quoteIdent(name)};`),
        `DROP TABLE IF EXISTS ${quoteIdent(searchIndexName(step.table))};`,
      ]
    }
    case 'createVectorIndex':
      // Keyed by the row's id (rowids change on rebuilds); `+hash` is the digest of the text
      // a vector was made from, so a write that does not change it is not re-embedded.
      return [
        `CREATE VIRTUAL TABLE ${quoteIdent(vectorIndexName(step.table))} USING vec0(id text primary key, embedding float[${step.vectors.dimensions}] distance_metric=cosine, +hash text);`,
      ]
    case 'dropVectorIndex':
      return [`DROP TABLE IF EXISTS ${quoteIdent(vectorIndexName(step.table))};`]
    default:
      return assertNever(step, 'migration step')
  }
}

/**
 * An external-content FTS5 index over the table's rowid: the text lives once, in the table; the
 * triggers keep the index in step on every write, whatever client writes (the runtime, a script,
 * the sqlite3 shell); `rebuild` indexes the rows already there.
 */
function printCreateSearchIndex(table: string, search: SearchSnapshot): string[] {
  const fts = quoteIdent(searchIndexName(table))
  const triggers = searchTriggerNames(table)
  const columns = search.columns.map(quoteIdent).join(', ')
  const values = (row: 'new' | 'old') => search.columns.map((c) => `${row}.${quoteIdent(c)}`).join(', ')
  const remove = `INSERT INTO ${fts} (${fts}, rowid, ${columns}) VALUES ('delete', old.rowid, ${values('old')});`
  const add = `INSERT INTO ${fts} (rowid, ${columns}) VALUES (new.rowid, ${values('new')});`
  return [
    `CREATE VIRTUAL TABLE ${fts} USING fts5(${columns}, content=${quoteLiteral(table)}, content_rowid='rowid', tokenize=${quoteLiteral(FTS5_TOKENIZE[search.tokenizer])});`,
    `CREATE TRIGGER ${quoteIdent(triggers.insert)} AFTER INSERT ON ${quoteIdent(table)} BEGIN ${add} END;`,
    // Only a change of an indexed column touches the index (rowids do not change on update).
    `CREATE TRIGGER ${quoteIdent(triggers.update)} AFTER UPDATE OF ${columns} ON ${quoteIdent(table)} BEGIN ${remove} ${add} END;`,
    `CREATE TRIGGER ${quoteIdent(triggers.delete)} AFTER DELETE ON ${quoteIdent(table)} BEGIN ${remove} END;`,
    `INSERT INTO ${fts} (${fts}) VALUES ('rebuild');`,
  ]
}

function printCreateTable(name: string, columns: TableSnapshot['columns']): string {
  const lines = columns.map((column) => `  ${printColumn(column)}`)
  return `CREATE TABLE ${quoteIdent(name)} (\n${lines.join(',\n')}\n) STRICT;`
}

function printColumn(column: ColumnSnapshot): string {
  const parts = [quoteIdent(column.name), column.sqlType]
  if (column.primaryKey) parts.push('PRIMARY KEY')
  if (column.notNull) parts.push('NOT NULL')
  if (column.default !== null) parts.push(`DEFAULT ${column.default}`)
  if (column.check !== null) parts.push(`CHECK (${column.check})`)
  if (column.references) {
    parts.push(`REFERENCES ${quoteIdent(column.references.table)} (${quoteIdent(column.references.column)})`)
    if (column.references.onDelete !== 'no action') parts.push(`ON DELETE ${column.references.onDelete.toUpperCase()}`)
  }
  return parts.join(' ')
}

function printCreateIndex(table: string, index: IndexSnapshot): string {
  const columns = index.columns.map(quoteIdent).join(', ')
  return `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX ${quoteIdent(index.name)} ON ${quoteIdent(table)} (${columns});`
}

/** A short description of a step, for migration headers and CLI output. */
export function describeStep(step: MigrationStep): string {
  switch (step.kind) {
    case 'createTable':
      return `create table ${step.table.name}`
    case 'dropTable':
      return `drop table ${step.name}`
    case 'renameTable':
      return `rename table ${step.from} to ${step.to}`
    case 'addColumn':
      return `add column ${step.table}.${step.column.name}`
    case 'dropColumn':
      return `drop column ${step.table}.${step.column}`
    case 'renameColumn':
      return `rename column ${step.table}.${step.from} to ${step.to}`
    case 'rebuildTable':
      return `rebuild table ${step.table.name} (${step.reason})`
    case 'retypeColumn':
      return `retype column ${step.table}.${step.column} (${step.from} → ${step.to})`
    case 'createIndex':
      return `create index ${step.index.name}`
    case 'dropIndex':
      return `drop index ${step.name}`
    case 'createSearchIndex':
      return `create search index on ${step.table} (${step.search.columns.join(', ')}; ${step.search.tokenizer})`
    case 'dropSearchIndex':
      return `drop search index on ${step.table}`
    case 'createVectorIndex':
      return `create vector index on ${step.table} (${step.vectors.columns.join(', ')}; ${step.vectors.model}, ${step.vectors.dimensions} dimensions)`
    case 'dropVectorIndex':
      return `drop vector index on ${step.table}`
    default:
      return assertNever(step, 'migration step')
  }
}
