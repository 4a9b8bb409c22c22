import type { ColumnIR, JsonValue, TableIR } from '../../ir/project-ir.ts'
import { assertNever } from '../../shared/assert-never.ts'
import { stableJson } from '../../shared/generated-file.ts'

/**
 * A JSON Schema (draft 2020-12, the OpenAPI 3.1 dialect), as a plain JSON object.
 *
 * The schemas below use only keywords that draft-07 reads the same way (`type` arrays, `anyOf`,
 * `enum`, `format`, lengths, bounds, `readOnly`, `default`), so the runtime can hand them to
 * Fastify's Ajv unchanged. They never contain `$ref`: each one stands alone.
 */
export type JsonSchema = { readonly [key: string]: JsonValue }

/**
 * The schema of a row as the API returns it: every column, all required; the columns the system
 * sets (id, createdAt, updatedAt) are `readOnly`. Extra properties are allowed, because `select`
 * may embed related rows (`select=*,project(name)`).
 *
 * @example
 * rowSchema(tasks) // { type: 'object', properties: { id: { type: 'string', format: 'uuid', readOnly: true }, … }, required: ['id', …] }
 */
export function rowSchema(table: TableIR): JsonSchema {
  return {
    type: 'object',
    description: `A row of \`${table.name}\`.`,
    properties: Object.fromEntries(table.columns.map((c) => [c.name, columnSchema(c, 'row')])),
    required: table.columns.map((c) => c.name),
  }
}

/**
 * What creating a row takes: the writable columns; NOT NULL columns without a default are
 * required; unknown fields (including the system-set columns) are refused.
 *
 * @example
 * insertSchema(tasks).required // ['projectId', 'title', 'createdBy']
 */
export function insertSchema(table: TableIR): JsonSchema {
  const writable = table.columns.filter((c) => !c.readOnly)
  return {
    type: 'object',
    description: `What creating a row of \`${table.name}\` takes.${systemSetNote(table)}`,
    properties: Object.fromEntries(writable.map((c) => [c.name, columnSchema(c, 'insert')])),
    required: writable.filter((c) => !c.nullable && c.default === null).map((c) => c.name),
    additionalProperties: false,
  }
}

/**
 * What updating a row takes: any non-empty subset of the writable columns; unknown fields are
 * refused. It carries no `default` (an update never resets a column it does not name).
 *
 * @example
 * updateSchema(tasks) // { type: 'object', properties: { projectId: …, title: …, … }, additionalProperties: false, minProperties: 1 }
 */
export function updateSchema(table: TableIR): JsonSchema {
  const writable = table.columns.filter((c) => !c.readOnly)
  return {
    type: 'object',
    description: `What updating a row of \`${table.name}\` takes: one or more of its writable columns.`,
    properties: Object.fromEntries(writable.map((c) => [c.name, columnSchema(c, 'update')])),
    additionalProperties: false,
    minProperties: 1,
  }
}

type SchemaUse = 'row' | 'insert' | 'update'

function systemSetNote(table: TableIR): string {
  const system = table.columns.filter((c) => c.readOnly).map((c) => `\`${c.name}\``)
  return system.length === 0 ? '' : ` The system sets ${system.join(', ')}.`
}

/** One column's schema: the value schema, made nullable, with its annotations. */
function columnSchema(column: ColumnIR, use: SchemaUse): JsonSchema {
  const schema: Record<string, JsonValue> = { ...(column.nullable ? nullable(valueSchema(column), column.type) : valueSchema(column)) }
  const description = describeColumn(column)
  if (description !== '' && schema.description === undefined) schema.description = description
  // `default` only where it means something: an insert that leaves the column out gets it.
  if (use === 'insert' && column.default?.kind === 'value') schema.default = canonical(column.default.value)
  if (use === 'row' && column.readOnly) schema.readOnly = true
  return schema
}

/** The schema of a column's non-null values. */
function valueSchema(column: ColumnIR): JsonSchema {
  switch (column.type) {
    case 'text':
      return withBounds({ type: 'string' }, 'minLength', column.min, 'maxLength', column.max)
    case 'int':
      return withBounds({ type: 'integer' }, 'minimum', column.min, 'maximum', column.max)
    case 'real':
      return withBounds({ type: 'number' }, 'minimum', column.min, 'maximum', column.max)
    case 'bool':
      return { type: 'boolean' }
    case 'timestamp':
    case 'createdAt':
    case 'updatedAt':
      return { type: 'string', format: 'date-time' }
    case 'date':
      return { type: 'string', format: 'date' }
    case 'json':
      return isSchemaObject(column.jsonSchema) ? (canonical(column.jsonSchema) as JsonSchema) : {}
    case 'enum':
      return { type: 'string', enum: [...(column.values ?? [])] }
    case 'id':
    case 'ref':
      return { type: 'string', format: 'uuid' }
    default:
      return assertNever(column.type, 'column type')
  }
}

function withBounds(schema: JsonSchema, minKey: string, min: number | null, maxKey: string, max: number | null): JsonSchema {
  return { ...schema, ...(min === null ? {} : { [minKey]: min }), ...(max === null ? {} : { [maxKey]: max }) }
}

/**
 * Adds null to a column's schema. A plain scalar gets a `type` list (`['string', 'null']`; formats
 * and bounds apply to strings and numbers only, so null still passes). An enum or a json schema
 * gets `anyOf` with null: `enum`, `const`, `allOf`… would refuse a null the type list let in. The
 * empty schema (any JSON) already accepts null.
 */
function nullable(schema: JsonSchema, type: ColumnIR['type']): JsonSchema {
  if (Object.keys(schema).length === 0) return schema
  if (type === 'enum' || type === 'json' || typeof schema.type !== 'string') return { anyOf: [schema, { type: 'null' }] }
  return { ...schema, type: [schema.type, 'null'] }
}

/**
 * A user's JSON value with its object keys sorted: the IR from the compiler keeps the order the
 * user wrote, model.json sorts it, and the schemas must read the same from either.
 */
function canonical(value: JsonValue): JsonValue {
  return JSON.parse(stableJson(value)) as JsonValue
}

function isSchemaObject(value: JsonValue | null): value is JsonSchema {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function describeColumn(column: ColumnIR): string {
  const parts: string[] = []
  if (column.type === 'id') parts.push('Primary key, a UUIDv7 the system generates.')
  else if (column.type === 'createdAt') parts.push('When the row was created (set by the system).')
  else if (column.type === 'updatedAt') parts.push('When the row was last updated (set by the system).')
  if (column.references !== null) parts.push(`References \`${column.references.table}.${column.references.column}\` (on delete ${column.references.onDelete}).`)
  if (column.unique) parts.push('Unique.')
  if (column.type === 'json' && column.jsonSchema === null) parts.push('Any JSON value.')
  return parts.join(' ')
}
