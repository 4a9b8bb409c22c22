import { z } from 'zod'
import type { EnvSchemaIR, EnvVarIR } from '../ir/env-ir.ts'
import type { Problems } from './problems.ts'

interface Found {
  readonly name: string
  readonly schema: z.ZodType | undefined
  readonly path: string
}

/** The JSON Schema keywords the runtime's check understands (runtime/environment/check-env.ts). */
const SUPPORTED = new Set(['type', 'format', 'enum', 'const', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'default', 'description'])
const TYPES = new Set(['string', 'number', 'integer', 'boolean'])

/**
 * Every `env(…)` of the config, by name, with its schema as JSON Schema: what `koyalite start`
 * and `koyalite env check` validate the environment against. One name with two different
 * schemas, and schemas the runtime cannot check (objects, unions, transforms), are problems.
 */
export function buildEnv(config: object, problems: Problems): EnvVarIR[] {
  const found: Found[] = []
  walk(config, '', found, new Set())
  const byName = new Map<string, { schema: EnvSchemaIR | null; required: boolean; usedBy: Set<string> }>()
  for (const ref of found) {
    const converted = ref.schema === undefined ? null : toSchema(ref, problems)
    const required = ref.schema === undefined ? false : !ref.schema.safeParse(undefined).success
    const seen = byName.get(ref.name)
    if (seen === undefined) {
      byName.set(ref.name, { schema: converted, required, usedBy: new Set([ref.path]) })
      continue
    }
    seen.usedBy.add(ref.path)
    if (converted === null) continue
    if (seen.schema !== null && JSON.stringify(seen.schema) !== JSON.stringify(converted)) {
      problems.add('KL_DEF_INVALID', `env('${ref.name}') is declared with two different schemas (${[...seen.usedBy].join(', ')}).`, problems.atConfig(ref.path), 'Give the schema once (or the same one everywhere); other uses may write env(\'NAME\') alone.')
      continue
    }
    seen.schema = converted
    seen.required ||= required
  }
  return [...byName.entries()]
    .map(([name, v]): EnvVarIR => ({ name, required: v.required, schema: v.schema, usedBy: [...v.usedBy].sort() }))
    .sort((a, b) => a.name.localeCompare(b.name))
}

function walk(value: unknown, path: string, found: Found[], seen: Set<object>): void {
  if (typeof value !== 'object' || value === null || seen.has(value)) return
  seen.add(value)
  const record = value as Record<string, unknown>
  if (record.kind === 'env' && typeof record.name === 'string') {
    found.push({ name: record.name, schema: record.schema as z.ZodType | undefined, path })
    return
  }
  // Tables hold column builders, never env(): not walked.
  if (path === '' && 'tables' in record) {
    for (const [key, child] of Object.entries(record)) if (key !== 'tables' && key !== 'policies') walk(child, key, found, seen)
    return
  }
  if (Array.isArray(value)) value.forEach((child, i) => walk(child, `${path}[${i}]`, found, seen))
  else for (const [key, child] of Object.entries(record)) walk(child, path === '' ? key : `${path}.${key}`, found, seen)
}

function toSchema(ref: Found, problems: Problems): EnvSchemaIR | null {
  let json: Record<string, unknown>
  try {
    json = z.toJSONSchema(ref.schema!, { unrepresentable: 'throw' }) as Record<string, unknown>
  } catch {
    json = {}
  }
  delete json.$schema
  const unsupported = Object.keys(json).filter((key) => !SUPPORTED.has(key))
  if (typeof json.type !== 'string' || !TYPES.has(json.type) || unsupported.length > 0) {
    problems.add('KL_DEF_INVALID', `env('${ref.name}') has a schema start cannot check: an environment variable is one string, read as a string, number, integer or boolean${unsupported.length > 0 ? ` (unsupported: ${unsupported.join(', ')})` : ''}.`, problems.atConfig(ref.path), "Use z.string() (with min, max, regex, url, email), z.enum([...]), z.coerce.number() or z.stringbool(), optionally .optional().")
    return null
  }
  return Object.fromEntries(Object.entries(json).sort(([a], [b]) => a.localeCompare(b)))
}
