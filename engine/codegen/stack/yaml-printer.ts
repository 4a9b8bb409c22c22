/** A YAML value as the stack's files use it: strings, numbers, booleans, lists and maps (in key order given). */
export type YamlValue = string | number | boolean | readonly YamlValue[] | { readonly [key: string]: YamlValue }

/**
 * Block-style YAML with every string double-quoted (JSON string syntax is valid YAML), so no value
 * is ever read as another type (`"on"`, `"3.0"`, `"*"`). Deterministic: maps print in the order given.
 */
export function printYaml(value: YamlValue): string {
  return lines(value, 0).join('\n') + '\n'
}

function lines(value: YamlValue, indent: number): string[] {
  const pad = ' '.repeat(indent)
  if (isScalar(value)) return [pad + scalar(value)]
  if (Array.isArray(value)) {
    if (value.length === 0) return [pad + '[]']
    return value.flatMap((item: YamlValue) => {
      if (isScalar(item) || isEmpty(item)) return [`${pad}- ${inline(item)}`]
      const [first, ...rest] = lines(item, indent + 2)
      return [`${pad}- ${first!.slice(indent + 2)}`, ...rest]
    })
  }
  const entries = Object.entries(value as { readonly [key: string]: YamlValue })
  if (entries.length === 0) return [pad + '{}']
  return entries.flatMap(([key, item]) => (isScalar(item) || isEmpty(item) ? [`${pad}${printKey(key)}: ${inline(item)}`] : [`${pad}${printKey(key)}:`, ...lines(item, indent + 2)]))
}

const isScalar = (value: YamlValue): value is string | number | boolean => typeof value !== 'object'
const isEmpty = (value: YamlValue) => typeof value === 'object' && (Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0)
const inline = (value: YamlValue) => (isScalar(value) ? scalar(value) : Array.isArray(value) ? '[]' : '{}')
const scalar = (value: string | number | boolean) => (typeof value === 'string' ? JSON.stringify(value) : String(value))
const printKey = (key: string) => (/^[A-Za-z_][A-Za-z0-9_.\/-]*$/.test(key) ? key : JSON.stringify(key))
