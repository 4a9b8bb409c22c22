import { literal, valueType } from '../ts-types.ts'
import type { ColumnIR, RelationIR, TableIR } from '../../ir/project-ir.ts'
import { assertNever } from '../../shared/assert-never.ts'

/**
 * The app's own types in the SDK: for each table its row, insert and update interfaces, and the
 * `Tables` map the generic query types read them (and the relations) from. The SDK carries its
 * own copy so that it imports nothing (not generated/types.ts, not 'koyalite').
 */
export function printTableTypes(tables: readonly TableIR[]): string {
  return [
    '// ─── Rows ───────────────────────────────────────────────────────────────────────────────────────',
    '',
    '/** Any JSON value: what a json column holds. */',
    'export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }',
    '',
    ...tables.map(printRowTypes),
    printTablesMap(tables),
  ].join('\n')
}

function printRowTypes(table: TableIR): string {
  const writable = table.columns.filter((c) => !c.readOnly)
  const systemSet = table.columns.filter((c) => c.readOnly).map((c) => c.name)
  return [
    `/** A row of ${table.name}. */`,
    `export interface ${table.typeName} {`,
    ...table.columns.flatMap((c) => [...doc(describeColumn(c)), `  ${c.name}: ${columnType(c)}`]),
    '}',
    '',
    `/** What creating a row of ${table.name} takes${systemSet.length > 0 ? `; the system sets ${systemSet.join(', ')}` : ''}. */`,
    `export interface ${table.typeName}Insert {`,
    ...writable.flatMap((c) => [...doc(joined(describeColumn(c), describeDefault(c))), `  ${c.name}${c.nullable || c.default !== null ? '?' : ''}: ${columnType(c)}`]),
    '}',
    '',
    `/** What updating a row of ${table.name} takes: any of its writable columns. */`,
    `export interface ${table.typeName}Update {`,
    ...writable.map((c) => `  ${c.name}?: ${columnType(c)}`),
    '}',
    '',
  ].join('\n')
}

/** The table map the client is typed from: table name → row, insert, update and relations. */
function printTablesMap(tables: readonly TableIR[]): string {
  const lines = [
    '// ─── Tables ─────────────────────────────────────────────────────────────────────────────────────',
    '',
    '/** Each table: its row, insert and update types, and its relations (what include can fetch). */',
    'export interface Tables {',
  ]
  for (const table of tables) {
    const relations = [...table.relations].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    lines.push(`  ${table.name}: {`, `    row: ${table.typeName}`, `    insert: ${table.typeName}Insert`, `    update: ${table.typeName}Update`)
    if (relations.length === 0) {
      lines.push('    relations: {}')
    } else {
      lines.push('    relations: {')
      for (const relation of relations) lines.push(`      /** ${describeRelation(relation)} */`, `      ${relation.name}: ${relationType(relation)}`)
      lines.push('    }')
    }
    lines.push('  }')
  }
  lines.push('}', '')
  return lines.join('\n')
}

function relationType(relation: RelationIR): string {
  switch (relation.kind) {
    case 'belongsTo':
      return `{ kind: 'belongsTo'; table: ${literal(relation.table)}; column: ${literal(relation.column)}; nullable: ${relation.nullable} }`
    case 'hasMany':
      return `{ kind: 'hasMany'; table: ${literal(relation.table)}; column: ${literal(relation.column)} }`
    default:
      return assertNever(relation, 'relation')
  }
}

function describeRelation(relation: RelationIR): string {
  switch (relation.kind) {
    case 'belongsTo':
      return `The row of ${relation.table} that ${relation.column} points at${relation.nullable ? `, or null when ${relation.column} is null` : ''}.`
    case 'hasMany':
      return `The rows of ${relation.table} whose ${relation.column} is this row's id.`
    default:
      return assertNever(relation, 'relation')
  }
}

function joined(...parts: (string | undefined)[]): string | undefined {
  const present = parts.filter((p) => p !== undefined)
  return present.length === 0 ? undefined : present.join(' ')
}

function doc(text: string | undefined): string[] {
  return text === undefined ? [] : [`  /** ${text} */`]
}

/** What a reader of the row type should know about a column: who sets it, its format and limits. */
function describeColumn(column: ColumnIR): string | undefined {
  const parts: string[] = []
  switch (column.type) {
    case 'id':
      parts.push('Primary key (a UUIDv7), set by the system.')
      break
    case 'createdAt':
      parts.push('When the row was created (ISO 8601, UTC), set by the system.')
      break
    case 'updatedAt':
      parts.push('When the row last changed (ISO 8601, UTC), set by the system.')
      break
    case 'ref':
      if (column.references) parts.push(`The id of a row of ${column.references.table}${column.references.onDelete === 'no action' ? '' : ` (on delete: ${column.references.onDelete})`}.`)
      break
    case 'timestamp':
      parts.push('An instant, ISO 8601 in UTC: 2026-12-01T09:30:00.000Z.')
      break
    case 'date':
      parts.push('A date: 2026-12-01.')
      break
    case 'text':
      parts.push(...describeRange(column, ' characters'))
      break
    case 'int':
      parts.push('A whole number.', ...describeRange(column, ''))
      break
    case 'real':
      parts.push(...describeRange(column, ''))
      break
    case 'bool':
    case 'json':
    case 'enum':
      break
    default:
      assertNever(column.type, 'column type')
  }
  if (column.unique && column.type !== 'id') parts.push('Unique.')
  return parts.length === 0 ? undefined : parts.join(' ')
}

function describeRange(column: ColumnIR, unit: string): string[] {
  const { min, max } = column
  if (min !== null && max !== null) return [`${min} to ${max}${unit}.`]
  if (min !== null) return [`At least ${min}${unit}.`]
  if (max !== null) return [`At most ${max}${unit}.`]
  return []
}

function describeDefault(column: ColumnIR): string | undefined {
  const value = column.default
  if (value === null) return column.nullable ? 'Default: null.' : undefined
  switch (value.kind) {
    case 'value':
      return `Default: ${JSON.stringify(value.value)}.`
    case 'now':
      return 'Default: now.'
    case 'uuidv7':
      return 'Default: a new UUIDv7.'
    default:
      return assertNever(value, 'default')
  }
}

/** The TypeScript type of a column's values in the API (JSON), null included when nullable. */
function columnType(column: ColumnIR): string {
  const type = valueType(column)
  return column.nullable ? `${type} | null` : type
}


