import { quotedValue } from '../../ir/privacy.ts'
import type { ColumnIR } from '../../ir/project-ir.ts'
import { assertNever } from '../../shared/assert-never.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { FilterScalar } from './query.ts'
import type { SqlValue } from './read-plan.ts'

/**
 * Values as columns store them, checked against the model: the one place that knows that bools
 * are 0/1, JSON is text and instants are UTC `YYYY-MM-DDTHH:mm:ss.sssZ` (so they sort and
 * compare as text: `…T01:00:00+05:00` would sort after `…T00:00:00Z` though it is earlier).
 */

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?([Zz]|[+-]\d{2}(?::?\d{2})?))?$/

/**
 * An ISO 8601 instant as UTC `YYYY-MM-DDTHH:mm:ss.sssZ`; a date alone is its midnight UTC. A
 * date-time needs a zone (`Z` or an offset): without one it names no instant. Undefined when
 * the text is not a valid instant (February 30th included).
 *
 * @example
 * normalizeInstant('2026-12-24T01:00:00+05:00') // '2026-12-23T20:00:00.000Z'
 */
export function normalizeInstant(text: string): string | undefined {
  const m = INSTANT.exec(text)
  if (!m) return undefined
  const [, y, mo, d, h, mi, s, fraction, zone] = m
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0–99 as 1900–1999.
  const day = new Date(0)
  day.setUTCFullYear(Number(y), Number(mo) - 1, Number(d))
  if (day.getUTCFullYear() !== Number(y) || day.getUTCMonth() !== Number(mo) - 1 || day.getUTCDate() !== Number(d)) return undefined
  if (h === undefined) return day.toISOString()
  if (Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59) return undefined
  const offsetHours = zone === 'Z' || zone === 'z' ? 0 : Number(zone!.slice(1, 3))
  const offsetMinutes = zone === 'Z' || zone === 'z' ? 0 : Number(zone!.replace(':', '').slice(3, 5) || 0)
  if (offsetHours > 23 || offsetMinutes > 59) return undefined
  const offset = zone === 'Z' || zone === 'z' ? 0 : (zone!.startsWith('-') ? -1 : 1) * (offsetHours * 60 + offsetMinutes)
  const ms = Number(((fraction ?? '') + '000').slice(0, 3))
  const utc = new Date(day.getTime() + ((Number(h) * 60 + Number(mi) - offset) * 60 + Number(s ?? 0)) * 1000 + ms).toISOString()
  // An offset can carry 9999-12-31T23:00-05:00 past year 9999 (`+010000-…`), which is no stored form.
  return /^\d{4}-/.test(utc) ? utc : undefined
}

function instantOf(column: ColumnIR, value: unknown, fail: (expected: string) => KoyaError): string {
  const normalized = typeof value === 'string' ? normalizeInstant(value) : undefined
  if (normalized === undefined) throw fail('an ISO 8601 instant with a time zone, such as 2026-12-24T09:30:00Z')
  return normalized
}

/**
 * A filter's value as `column` stores it: checked against the column's type (and an enum's
 * values), bools as 0/1, instants in UTC.
 *
 * @throws KoyaError KL_API_BAD_FILTER naming `what` and what it takes.
 * @example
 * filterValue(dueAt, '2026-12-24T01:00:00+05:00', 'The filter on "dueAt"') // '2026-12-23T20:00:00.000Z'
 */
export function filterValue(column: ColumnIR, value: FilterScalar, what: string): SqlValue {
  const allowed = column.values ?? []
  if (column.type === 'enum' && (typeof value !== 'string' || !allowed.includes(value))) {
    throw new KoyaError('KL_API_BAD_FILTER', `${what} compares with ${quotedValue(column, String(value))}, which is not a value of "${column.name}".`, {
      hint: `"${column.name}" takes one of: ${allowed.join(', ')}.`,
    })
  }
  // A json column is filtered by its text.
  return scalarValue(column, value, (expected) =>
    new KoyaError('KL_API_BAD_FILTER', `${what} compares with ${quotedValue(column, String(value))}, which is not ${expected}.`, { hint: `Give ${expected}.` }),
  )
}

/**
 * A value (from a request body or a default) as SQLite stores it in `column`: booleans as 0/1,
 * JSON as text, instants normalized to UTC. A null clears the column.
 *
 * @throws KoyaError KL_API_VALIDATION for an instant that is not one.
 * @example
 * storedValue(done, true) // 1
 */
export function storedValue(column: ColumnIR, value: unknown): SqlValue {
  if (value === null || value === undefined) return null
  if (column.type === 'json') {
    const limit = column.maxDepth ?? DEFAULT_JSON_MAX_DEPTH
    // Before stringifying: JSON.stringify recurses, and an in-process caller's value is unbounded.
    if (nestsDeeperThan(value, limit)) {
      throw new KoyaError('KL_API_VALIDATION', `"${column.name}" nests arrays and objects more than ${limit} levels deep.`, {
        hint: `Flatten the value, or raise the column's limit: t.json(schema, { maxDepth }) (at most 256).`,
      })
    }
    return JSON.stringify(value)
  }
  // REST bodies were validated by the route's JSON Schema already; in-process callers (GraphQL,
  // jobs, functions) were not, so the column's type and an enum's values are checked here.
  return scalarValue(column, value, (expected) =>
    new KoyaError('KL_API_VALIDATION', `"${column.name}" must be ${expected}; got ${typeof value === 'string' ? quotedValue(column, value) : JSON.stringify(typeof value)}.`, { hint: `Send "${column.name}" as ${expected}.` }),
  )
}

/**
 * A value of a column as SQLite stores it, checked against the column's type: what filters and
 * writes share (they differ in the error `fail` makes). Bools become 0/1, instants UTC; a json
 * column's value here is its text.
 */
function scalarValue(column: ColumnIR, value: unknown, fail: (expected: string) => KoyaError): SqlValue {
  switch (column.type) {
    case 'int':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw fail('an integer')
      return value
    case 'real':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw fail('a number')
      return value
    case 'bool':
      if (typeof value !== 'boolean') throw fail('true or false')
      return value ? 1 : 0
    case 'enum':
      if (typeof value !== 'string' || !(column.values ?? []).includes(value)) throw fail(`one of ${(column.values ?? []).join(', ')}`)
      return value
    case 'timestamp':
    case 'createdAt':
    case 'updatedAt':
      return instantOf(column, value, fail)
    case 'id':
    case 'text':
    case 'date':
    case 'json':
    case 'ref':
      if (typeof value !== 'string') throw fail('a string')
      return value
    default:
      return assertNever(column.type, 'column type')
  }
}

/**
 * How deeply a json column's values may nest when the column does not say (`t.json(…, { maxDepth })`).
 * SQLite refuses JSON nested over 1000 levels, and an embedded read re-parses each level of the
 * row around the value: a stored value near the limit would make its parent unreadable for
 * every caller. 64 leaves the rest of the 1000 to embedding.
 */
export const DEFAULT_JSON_MAX_DEPTH = 64

/** Whether `value` nests arrays and objects more than `limit` deep; iterative, so any depth is safe to ask about. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]]
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!
    if (item === null || typeof item !== 'object') continue
    if (depth + 1 > limit) return true
    for (const child of Array.isArray(item) ? item : Object.values(item)) stack.push([child, depth + 1])
  }
  return false
}
