import type { JsonValue } from '../project-ir.ts'

/**
 * The TypeScript type a JSON Schema describes, inline: what the SDK's function methods take and
 * return (the JSON Schema of a function's zod `input`/`output`). Covers what zod's JSON Schema
 * output uses; anything else (a `$ref`, `not`) is `unknown`.
 *
 * @example
 * tsTypeOfSchema({ type: 'object', properties: { planId: { type: 'string' } }, required: ['planId'] }) // '{ planId: string }'
 */
export function tsTypeOfSchema(schema: JsonValue | undefined): string {
  if (schema === true || schema === undefined) return 'unknown'
  if (schema === false) return 'never'
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return 'unknown'
  const s = schema as { readonly [key: string]: JsonValue }
  if ('const' in s) return JSON.stringify(s.const)
  if (Array.isArray(s.enum)) return union(s.enum.map((value) => JSON.stringify(value)))
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = s[key]
    if (Array.isArray(options)) return union(options.map((option) => tsTypeOfSchema(option)))
  }
  if (Array.isArray(s.allOf)) return s.allOf.map((part) => wrap(tsTypeOfSchema(part))).join(' & ') || 'unknown'
  const types = Array.isArray(s.type) ? s.type : typeof s.type === 'string' ? [s.type] : undefined
  if (types === undefined) return 'properties' in s ? objectType(s) : 'unknown'
  return union(types.map((type) => typeOfName(String(type), s)))
}

function typeOfName(type: string, s: { readonly [key: string]: JsonValue }): string {
  switch (type) {
    case 'string':
      return 'string'
    case 'number':
    case 'integer':
      return 'number'
    case 'boolean':
      return 'boolean'
    case 'null':
      return 'null'
    case 'array':
      if (Array.isArray(s.prefixItems)) return `[${s.prefixItems.map((item) => tsTypeOfSchema(item)).join(', ')}]`
      return `${wrap(tsTypeOfSchema(s.items as JsonValue | undefined))}[]`
    case 'object':
      return objectType(s)
    default:
      return 'unknown'
  }
}

function objectType(s: { readonly [key: string]: JsonValue }): string {
  const properties = (s.properties ?? {}) as { readonly [key: string]: JsonValue }
  const required = new Set(Array.isArray(s.required) ? s.required.map(String) : [])
  const fields = Object.entries(properties).map(([name, property]) => `${/^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name)}${required.has(name) ? '' : '?'}: ${tsTypeOfSchema(property)}`)
  const extra = s.additionalProperties
  const rest = extra === undefined || extra === false ? undefined : `[key: string]: ${extra === true ? 'unknown' : tsTypeOfSchema(extra)}`
  const members = [...fields, ...(rest === undefined ? [] : [rest])]
  return members.length === 0 ? (extra === false ? 'Record<string, never>' : 'Record<string, unknown>') : `{ ${members.join('; ')} }`
}

function union(parts: readonly string[]): string {
  const unique = [...new Set(parts)]
  return unique.length === 0 ? 'never' : unique.map(wrap).join(' | ')
}

/** Parenthesized when it is a union or intersection at its top level, so `[]`, `|` and `&` bind as meant. */
function wrap(type: string): string {
  let depth = 0
  let quote: string | undefined
  for (let i = 0; i < type.length; i++) {
    const char = type[i]!
    if (quote !== undefined) {
      if (char === '\\') i++
      else if (char === quote) quote = undefined
    } else if (char === '"' || char === "'") quote = char
    else if ('{[(<'.includes(char)) depth++
    else if ('}])>'.includes(char)) depth--
    else if (depth === 0 && (char === '|' || char === '&')) return `(${type})`
  }
  return type
}
