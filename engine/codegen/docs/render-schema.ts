import type { JsonValue } from '../../ir/project-ir.ts'
import type { JsonSchema } from '../json-schema/column-schemas.ts'
import type { OpenApiDocument } from '../openapi/openapi-types.ts'
import { anchor, escapeHtml, inlineMarkdown, markdown } from './html.ts'

/** How deep the property table follows nested objects (`meta.author.name`). */
const MAX_NESTING = 3

const SCHEMA_REF_PREFIX = '#/components/schemas/'

/** The component schema a `$ref` names, when it is one of the document's. */
export function schemaRefName(schema: JsonSchema, doc: OpenApiDocument): string | undefined {
  const ref = schema.$ref
  if (typeof ref !== 'string' || !ref.startsWith(SCHEMA_REF_PREFIX)) return undefined
  const name = ref.slice(SCHEMA_REF_PREFIX.length).replace(/~1/g, '/').replace(/~0/g, '~')
  return Object.hasOwn(doc.components.schemas, name) ? name : undefined
}

/** The component schemas a schema points at, through `oneOf`, `anyOf` and `items`, in order of appearance. */
export function referencedSchemas(schema: JsonSchema, doc: OpenApiDocument): string[] {
  const found: string[] = []
  const visit = (s: JsonValue | undefined): void => {
    if (!isSchema(s)) return
    const name = schemaRefName(s, doc)
    if (name !== undefined && !found.includes(name)) found.push(name)
    for (const member of [...list(s.oneOf), ...list(s.anyOf)]) visit(member)
    visit(s.items)
  }
  visit(schema)
  return found
}

/**
 * A schema's type, in HTML: a link for a component schema, `string (uuid)`, `Task[]`,
 * `string | null`, `any JSON` for the empty schema.
 */
export function typeLabel(schema: JsonSchema, doc: OpenApiDocument): string {
  const name = schemaRefName(schema, doc)
  if (name !== undefined) return `<a href="#${anchor('schema', name)}">${escapeHtml(name)}</a>`
  if (typeof schema.$ref === 'string') return `<code>${escapeHtml(schema.$ref)}</code>`
  if (schema.oneOf !== undefined) return list(schema.oneOf).filter(isSchema).map((s) => typeLabel(s, doc)).join(' or ')
  if (schema.anyOf !== undefined) return list(schema.anyOf).filter(isSchema).map((s) => typeLabel(s, doc)).join(' | ')
  if (schema.const !== undefined) return `<code>${escapeHtml(JSON.stringify(schema.const))}</code>`
  const types = typeof schema.type === 'string' ? [schema.type] : list(schema.type).filter((t): t is string => typeof t === 'string')
  if (types.length === 0) return isSchema(schema.properties) ? 'object' : 'any JSON'
  return types
    .map((type) => {
      if (type === 'array') return `${isSchema(schema.items) ? typeLabel(schema.items, doc) : 'any JSON'}[]`
      if (type === 'string' && typeof schema.format === 'string') return `string (${escapeHtml(schema.format)})`
      return escapeHtml(type)
    })
    .join(' | ')
}

/** What a schema allows beyond its type, in HTML: lengths, bounds, enum values, default, read-only. */
export function constraintsOf(schema: JsonSchema): string {
  const parts: string[] = []
  const length = range(num(schema.minLength), num(schema.maxLength))
  if (length !== undefined) parts.push(`${length} characters`)
  const min = num(schema.minimum)
  const max = num(schema.maximum)
  if (min === -Number.MAX_SAFE_INTEGER && max === Number.MAX_SAFE_INTEGER) parts.push('safe integer')
  else {
    const bounds = range(min, max)
    if (bounds !== undefined) parts.push(bounds)
  }
  const items = range(num(schema.minItems), num(schema.maxItems))
  if (items !== undefined) parts.push(`${items} items`)
  if (Array.isArray(schema.enum)) parts.push(`one of ${schema.enum.map((v) => `<code>${escapeHtml(typeof v === 'string' ? v : JSON.stringify(v))}</code>`).join(' ')}`)
  if (typeof schema.pattern === 'string') parts.push(`pattern <code>${escapeHtml(schema.pattern)}</code>`)
  if (schema.default !== undefined) parts.push(`default <code>${escapeHtml(JSON.stringify(schema.default))}</code>`)
  if (schema.readOnly === true) parts.push('read-only')
  for (const member of [...list(schema.anyOf), ...list(schema.oneOf)]) if (isSchema(member)) parts.push(constraintsOf(member))
  return parts.filter((p) => p !== '').join('; ')
}

/**
 * A schema as a block: its description, notes and a table of its properties (name, type,
 * required, constraints, description), nested objects flattened to `parent.child` rows.
 */
export function schemaTable(schema: JsonSchema, doc: OpenApiDocument): string {
  const notes: string[] = []
  if (schema.additionalProperties === false) notes.push('No other properties are accepted.')
  const minProperties = num(schema.minProperties)
  if (minProperties !== undefined) notes.push(`At least ${minProperties} ${minProperties === 1 ? 'property' : 'properties'}.`)
  const rows = propertyRows(schema, '', 0, doc)
  const table =
    rows.length === 0
      ? `<p class="muted">Type: ${typeLabel(schema, doc)}${constraintsOf(schema) === '' ? '' : `; ${constraintsOf(schema)}`}</p>`
      : `<div class="table-wrap"><table class="props"><thead><tr><th>Name</th><th>Type</th><th>Required</th><th>Constraints</th><th>Description</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`
  const description = typeof schema.description === 'string' ? markdown(schema.description) : ''
  return `${description}${notes.length === 0 ? '' : `<p class="muted">${notes.join(' ')}</p>`}${table}`
}

function propertyRows(schema: JsonSchema, prefix: string, depth: number, doc: OpenApiDocument): string[] {
  const object = objectPart(schema)
  if (object === undefined || depth >= MAX_NESTING) return []
  const properties = object.schema.properties as JsonSchema
  const required = new Set(list(object.schema.required))
  const rows: string[] = []
  for (const [key, value] of Object.entries(properties)) {
    if (!isSchema(value)) continue
    const base = `${prefix}${object.path}`
    const name = base === '' ? key : `${base}.${key}`
    const description = descriptionOf(value)
    rows.push(
      `<tr><td class="name"><code>${escapeHtml(name)}</code></td><td class="type">${typeLabel(value, doc)}</td>` +
        `<td>${required.has(key) ? '<span class="req">required</span>' : '<span class="opt">optional</span>'}</td>` +
        `<td class="constraints">${constraintsOf(value)}</td><td class="desc">${description}</td></tr>`,
    )
    rows.push(...propertyRows(value, name, depth + 1, doc))
  }
  return rows
}

/** The object with properties inside a schema: itself, a member of `anyOf`/`oneOf`, or its array items (path `[]`, rows `tags[].name`). */
function objectPart(schema: JsonSchema): { schema: JsonSchema; path: string } | undefined {
  if (isSchema(schema.properties)) return { schema, path: '' }
  for (const member of [...list(schema.anyOf), ...list(schema.oneOf)]) {
    if (isSchema(member)) {
      const found = objectPart(member)
      if (found !== undefined) return found
    }
  }
  if (isSchema(schema.items)) {
    const found = objectPart(schema.items)
    if (found !== undefined) return { schema: found.schema, path: `[]${found.path}` }
  }
  return undefined
}

/** A property's description: its own, or that of the schema a nullable wrapper (`anyOf` with null) holds. */
function descriptionOf(schema: JsonSchema): string {
  if (typeof schema.description === 'string') return inlineMarkdown(schema.description)
  const member = [...list(schema.anyOf), ...list(schema.oneOf)].find((m) => isSchema(m) && typeof m.description === 'string')
  return isSchema(member) ? inlineMarkdown(member.description as string) : ''
}

function range(min: number | undefined, max: number | undefined): string | undefined {
  if (min !== undefined && max !== undefined) return min === max ? `exactly ${min}` : `${min} to ${max}`
  if (min !== undefined) return `≥ ${min}`
  if (max !== undefined) return `≤ ${max}`
  return undefined
}

function isSchema(value: JsonValue | undefined): value is JsonSchema {
  return value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value)
}

function list(value: JsonValue | undefined): readonly JsonValue[] {
  return Array.isArray(value) ? value : []
}

function num(value: JsonValue | undefined): number | undefined {
  return typeof value === 'number' ? value : undefined
}
