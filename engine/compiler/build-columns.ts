import { sortKeys } from '../shared/generated-file.ts'
import { inspect } from 'node:util'
import { z } from 'zod'
import { assertNever } from '../shared/assert-never.ts'
import type { ColumnDef, TableDef } from '../dsl/index.ts'
import { IDENTIFIER_PATTERN, MAX_NAME_LENGTH, RESERVED_COLUMN_NAMES, reservedPrefixOf } from '../shared/naming.ts'
import { COLUMN_TYPE_FACTS } from '../ir/column-types.ts'
import type { ColumnIR, DefaultIR, JsonValue, ReferentialAction } from '../ir/project-ir.ts'
import type { Problems } from './problems.ts'

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/

/** A column as the builder needs it: checked, with its ref target resolved to a table name. */
export interface ResolvedColumn {
  readonly ir: ColumnIR
  /** The name of the referenced table, before it is checked to exist. */
  readonly refTarget: string | undefined
  readonly inverse: string | undefined
  readonly index: boolean
}

/**
 * Check one column's definition and build its IR. Problems are collected; the returned column
 * is still usable so later checks (indexes, relations) run too.
 */
export function buildColumn(table: TableDef, name: string, def: ColumnDef, problems: Problems): ResolvedColumn {
  const at = (modifier?: string) => problems.atColumn(table.name, name, modifier)

  // The reserved prefix first: `_koya_x` also fails the pattern, but "reserved" is the real reason.
  if (reservedPrefixOf(name)) {
    problems.add('KL_DEF_RESERVED_NAME', `Column "${name}" on table "${table.name}" starts with the reserved prefix "${reservedPrefixOf(name)}".`, at())
  } else if (!IDENTIFIER_PATTERN.test(name) || name.length > MAX_NAME_LENGTH) {
    problems.add('KL_DEF_INVALID_NAME', `Column "${name}" on table "${table.name}" is not a valid identifier.`, at())
  } else if ((RESERVED_COLUMN_NAMES as readonly string[]).includes(name)) {
    problems.add('KL_DEF_RESERVED_NAME', `Column "${name}" on table "${table.name}" is a word the REST query grammar reserves.`, at(), `Rename it (e.g. "${name}Value"); reserved: ${RESERVED_COLUMN_NAMES.join(', ')}.`)
  }

  if (def.type === 'id' && name !== 'id') {
    problems.add('KL_DEF_INVALID', `Column "${name}" on table "${table.name}" uses t.id(), which only the "id" column may.`, at(), 'Use t.ref(...) to point at another row, or t.text() for other identifiers.')
  }
  if (name === 'id' && def.type !== 'id') {
    problems.add('KL_DEF_INVALID', `Column "id" on table "${table.name}" must be t.id(): the primary key is a generated UUIDv7.`, at(), 'Write `id: t.id()`, or leave the column out and it is added for you.')
  }
  if (COLUMN_TYPE_FACTS[def.type].system && (def.optional || def.hasDefault)) {
    problems.add('KL_DEF_INVALID', `Column "${name}" on table "${table.name}" is set by the system (t.${def.type}()) and cannot be optional or have a default.`, at(def.optional ? 'optional' : 'default'), 'Remove .optional() / .default() from it.')
  }

  const values = def.type === 'enum' ? checkEnumValues(table.name, name, def, problems) : null
  const { min, max } = checkBounds(table.name, name, def, problems)
  const defaultIR = buildDefault(table.name, name, def, values, min, max, problems)

  let refTarget: string | undefined
  let onDelete: ReferentialAction = 'no action'
  if (def.type === 'ref' && def.ref) {
    refTarget = resolveRefTarget(table.name, name, def.ref.target, problems)
    onDelete = def.ref.onDelete ?? 'no action'
    if (onDelete === 'set null' && !def.optional) {
      problems.add('KL_DEF_INVALID', `Column "${name}" on table "${table.name}" uses onDelete: 'set null' but is not optional.`, at('ref.onDelete'), 'Add .optional() to the column, or choose another onDelete.')
    }
    const inverse = def.ref.inverse
    if (inverse !== undefined && (!IDENTIFIER_PATTERN.test(inverse) || inverse.length > MAX_NAME_LENGTH)) {
      problems.add('KL_DEF_INVALID_NAME', `The inverse relation name "${inverse}" of column "${name}" on table "${table.name}" is not a valid identifier.`, at('ref.inverse'), `Use a camelCase name such as '${camelCaseOf(inverse)}'.`)
    }
  }

  const ir: ColumnIR = {
    name,
    type: def.type,
    nullable: def.optional,
    default: defaultIR,
    unique: def.unique,
    min,
    max,
    values,
    references: refTarget === undefined ? null : { table: refTarget, column: 'id', onDelete },
    readOnly: COLUMN_TYPE_FACTS[def.type].system,
    jsonSchema: def.file?.many ? { type: 'array', items: { type: 'string', minLength: 1, maxLength: 64 }, uniqueItems: true, ...(def.file.max === undefined ? {} : { maxItems: def.file.max }) } : def.type === 'json' && def.schema ? jsonSchemaOf(def.schema) : null,
    renamedFrom: def.renamedFrom ?? null,
    // Only when the user set it: the runtime applies the default (64) otherwise.
    ...(def.type === 'json' && def.maxDepth !== undefined ? { maxDepth: def.maxDepth } : {}),
    ...(def.file === undefined ? {} : { file: { bucket: def.file.bucket, many: def.file.many, max: def.file.max ?? null } }),
    // Only when set, so model.json of a project without annotations is unchanged.
    ...(def.personal === true || def.phi === true ? { personal: true as const } : {}),
    ...(def.phi === true ? { phi: true as const } : {}),
  }
  return { ir, refTarget, inverse: def.ref?.inverse, index: def.index }
}

function checkEnumValues(table: string, column: string, def: ColumnDef, problems: Problems): string[] {
  const values = def.values ?? []
  const at = problems.atColumn(table, column, 'enum')
  const strings = values.filter((v): v is string => typeof v === 'string' && v.length > 0)
  if (values.length === 0) problems.add('KL_DEF_ENUM_VALUES', `Enum column "${column}" on table "${table}" has no values.`, at)
  else if (strings.length !== values.length) problems.add('KL_DEF_ENUM_VALUES', `Enum column "${column}" on table "${table}" has a value that is not a non-empty string.`, at)
  const duplicate = strings.find((v, i) => strings.indexOf(v) !== i)
  if (duplicate !== undefined) problems.add('KL_DEF_ENUM_VALUES', `Enum column "${column}" on table "${table}" lists "${duplicate}" twice.`, problems.atColumn(table, column, `enum.${duplicate}`))
  return [...new Set(strings)]
}

function checkBounds(table: string, column: string, def: ColumnDef, problems: Problems): { min: number | null; max: number | null } {
  const min = def.min ?? null
  const max = def.max ?? null
  if (min === null && max === null) return { min, max }
  const at = problems.atColumn(table, column, min !== null ? 'min' : 'max')
  if (!COLUMN_TYPE_FACTS[def.type].bounded) {
    problems.add('KL_DEF_MIN_MAX', `Column "${column}" on table "${table}" is ${def.type}, which has no min/max.`, at)
    return { min: null, max: null }
  }
  if (min !== null && max !== null && min > max) {
    problems.add('KL_DEF_MIN_MAX', `Column "${column}" on table "${table}" has min ${min} greater than max ${max}.`, at)
  }
  if (def.type === 'text' && ((min !== null && (min < 0 || !Number.isInteger(min))) || (max !== null && (max < 0 || !Number.isInteger(max))))) {
    problems.add('KL_DEF_MIN_MAX', `Column "${column}" on table "${table}" has a length bound that is not a non-negative integer.`, at)
  }
  return { min, max }
}

function buildDefault(
  table: string,
  column: string,
  def: ColumnDef,
  values: readonly string[] | null,
  min: number | null,
  max: number | null,
  problems: Problems,
): DefaultIR | null {
  if (def.type === 'id') return { kind: 'uuidv7' }
  if (def.type === 'createdAt' || def.type === 'updatedAt') return { kind: 'now' }
  if (!def.hasDefault) return null
  const value = def.default
  const at = problems.atColumn(table, column, 'default')
  const wrong = (expected: string) =>
    problems.add('KL_DEF_DEFAULT_TYPE', `The default of column "${column}" on table "${table}" is ${describeValue(value)}, not ${expected}.`, at)

  if (def.type === 'enum') {
    if (typeof value !== 'string' || !values?.includes(value)) {
      problems.add('KL_DEF_ENUM_DEFAULT', `The default ${describeValue(value)} of column "${column}" on table "${table}" is not one of its values (${values?.map((v) => `'${v}'`).join(', ')}).`, at)
      return null
    }
    return { kind: 'value', value }
  }
  switch (def.type) {
    case 'text':
    case 'ref':
      if (typeof value !== 'string') return wrong('a string'), null
      if ((min !== null && value.length < min) || (max !== null && value.length > max)) return wrong(`a string of length ${min ?? 0}..${max ?? '∞'}`), null
      return { kind: 'value', value }
    case 'int':
    case 'real':
      if (typeof value !== 'number' || !Number.isFinite(value) || (def.type === 'int' && !Number.isInteger(value))) return wrong(def.type === 'int' ? 'an integer' : 'a finite number'), null
      if ((min !== null && value < min) || (max !== null && value > max)) return wrong(`a number in ${min ?? '-∞'}..${max ?? '∞'}`), null
      return { kind: 'value', value }
    case 'bool':
      if (typeof value !== 'boolean') return wrong('a boolean'), null
      return { kind: 'value', value }
    case 'timestamp':
      if (typeof value !== 'string' || !ISO_TIMESTAMP.test(value) || Number.isNaN(Date.parse(value))) return wrong('an ISO 8601 UTC timestamp such as "2026-01-01T00:00:00.000Z"'), null
      return { kind: 'value', value }
    case 'date':
      if (typeof value !== 'string' || !ISO_DATE.test(value) || Number.isNaN(Date.parse(value))) return wrong('a date such as "2026-01-01"'), null
      return { kind: 'value', value }
    case 'json': {
      const json = toJsonValue(value)
      if (json === undefined) return wrong('a JSON value'), null
      return { kind: 'value', value: json }
    }
    default:
      return assertNever(def.type, 'column type')
  }
}

/** A value for a message: JSON when it has one (BigInts and cycles have none), else String(). */
function describeValue(value: unknown): string {
  try {
    const text = JSON.stringify(value)
    if (text !== undefined) return text
  } catch {
    // Not representable as JSON: fall through.
  }
  return typeof value === 'function' ? 'a function' : inspect(value, { breakLength: Infinity })
}

/** `assigned-tasks` → `assignedTasks`: a suggestion for an invalid relation name. */
function camelCaseOf(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter((word) => word.length > 0)
  const camel = words.map((word, i) => (i === 0 ? word[0]!.toLowerCase() : word[0]!.toUpperCase()) + word.slice(1)).join('')
  return /^[A-Za-z]/.test(camel) ? camel : `x${camel}`
}

function toJsonValue(value: unknown): JsonValue | undefined {
  try {
    const text = JSON.stringify(value)
    return text === undefined ? undefined : (JSON.parse(text) as JsonValue)
  } catch {
    return undefined
  }
}

function resolveRefTarget(table: string, column: string, target: string | (() => unknown), problems: Problems): string | undefined {
  if (typeof target === 'string') return target
  let resolved: unknown
  try {
    resolved = target()
  } catch (cause) {
    problems.add('KL_DEF_UNKNOWN_REF_TABLE', `The ref target of column "${column}" on table "${table}" threw when called: ${(cause as Error)?.message ?? String(cause)}.`, problems.atColumn(table, column, 'ref'), `For a cycle or a self-reference, name the table instead: t.ref('${column.replace(/Id$/, '')}s').`)
    return undefined
  }
  const name = (resolved as { kind?: unknown; name?: unknown } | undefined)?.kind === 'table' ? (resolved as { name: unknown }).name : undefined
  if (typeof name !== 'string') {
    problems.add('KL_DEF_UNKNOWN_REF_TABLE', `The ref target of column "${column}" on table "${table}" did not return a table.`, problems.atColumn(table, column, 'ref'), 'Pass a function returning a table made by table(...), or the table\'s name.')
    return undefined
  }
  return name
}

/**
 * The JSON Schema of a zod 4 schema, or null for other validators (which still validate). `io`
 * 'input' describes what may be sent (a field with a default is optional), 'output' what it parses to.
 */
export function jsonSchemaOf(schema: unknown, io: 'input' | 'output' = 'output'): JsonValue | null {
  // Only zod 4 schemas can be turned into JSON Schema here; other validators still validate.
  if (typeof schema !== 'object' || schema === null || !('_zod' in schema)) return null
  try {
    const { $schema: _drop, ...rest } = z.toJSONSchema(schema as z.ZodType, { unrepresentable: 'any', io }) as Record<string, unknown>
    // Keys sorted: the IR then equals what model.json holds (stableJson sorts them), so what
    // `generate` emits from the IR in memory (OpenAPI, docs, SDK) is what the runtime builds
    // from model.json. (Column defaults keep their order: they are in existing migrations.)
    const value = toJsonValue(rest)
    return value === undefined ? null : (sortKeys(value) as JsonValue)
  } catch {
    return null
  }
}
