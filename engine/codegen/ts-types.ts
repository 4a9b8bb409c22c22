import type { ColumnIR } from '../ir/project-ir.ts'
import { assertNever } from '../shared/assert-never.ts'

/** A TypeScript string literal in single quotes: `it's` → `'it\'s'`. */
export function literal(value: string): string {
  return `'${JSON.stringify(value).slice(1, -1).replaceAll('\\"', '"').replaceAll("'", "\\'")}'`
}

/** The TypeScript type of a column's values as the API carries them (JSON), without null. */
export function valueType(column: ColumnIR): string {
  switch (column.type) {
    case 'id':
    case 'text':
    case 'timestamp':
    case 'date':
    case 'ref':
    case 'createdAt':
    case 'updatedAt':
      return 'string'
    case 'int':
    case 'real':
      return 'number'
    case 'bool':
      return 'boolean'
    case 'json':
      return 'JsonValue'
    case 'enum':
      return (column.values ?? []).map(literal).join(' | ') || 'never'
    default:
      return assertNever(column.type, 'column type')
  }
}
