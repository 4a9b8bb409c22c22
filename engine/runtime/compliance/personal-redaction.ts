import { personalColumns } from '../../ir/privacy.ts'
import type { ProjectIR } from '../../ir/project-ir.ts'
import { KoyaError } from '../../shared/errors.ts'

/** What replaces a personal value in a logged URL. */
export const REDACTED_PERSONAL = '[personal]'

/** PostgREST's logic groups: their value is a list of filters (`or=(email.eq.a,name.eq.b)`). */
const LOGIC_GROUP = /(^|\.)(or|and)$/

/**
 * The personal columns of an app (`.personal()`, `.phi()`, the users table's email) as URL
 * query parameters name them. A column name that is personal in any table counts in every table:
 * hiding too much is the safe mistake.
 */
export interface PersonalParams {
  /** The query parameters of `url` that filter on a personal column (a logic group naming one included). */
  of(url: string): { readonly raw: string; readonly value: string }[]
}

/** Undefined when the app declares no personal column: nothing is added anywhere then. */
export function personalParamsOf(model: Pick<ProjectIR, 'tables'>): PersonalParams | undefined {
  const personal = new Set(model.tables.flatMap((t) => personalColumns(t)))
  if (personal.size === 0) return undefined
  // Column names are identifiers: nothing in them needs escaping.
  const mentioned = new RegExp(`(^|[(,.!])(${[...personal].join('|')})\\.`)
  return {
    of(url) {
      const at = url.indexOf('?')
      if (at === -1) return []
      return url
        .slice(at + 1)
        .split('&')
        .flatMap((pair) => {
          const eq = pair.indexOf('=')
          if (eq === -1) return []
          const key = safeDecode(pair.slice(0, eq))
          const value = safeDecode(pair.slice(eq + 1))
          return key.split('.').some((part) => personal.has(part)) || (LOGIC_GROUP.test(key) && mentioned.test(value)) ? [{ raw: pair, value }] : []
        })
    },
  }
}

/**
 * A function that hides, in a request URL, the values of filters on personal columns before the
 * URL is logged: `?diagnosis=eq.HIV` → `?diagnosis=[personal]`, `?patients.diagnosis=…` (an
 * embedded filter) too, and a whole logic group that names one. Undefined when the app declares
 * no personal column.
 *
 * @example
 * const redact = personalUrlRedactor(model)
 * redact?.('/api/patients?diagnosis=eq.HIV&limit=5') // '/api/patients?diagnosis=[personal]&limit=5'
 */
export function personalUrlRedactor(model: Pick<ProjectIR, 'tables'>): ((url: string) => string) | undefined {
  const params = personalParamsOf(model)
  if (params === undefined) return undefined
  return (url) => {
    let redacted = url
    for (const { raw } of params.of(url)) redacted = redacted.replace(raw, `${raw.slice(0, raw.indexOf('='))}=${REDACTED_PERSONAL}`)
    return redacted
  }
}

/**
 * The error a request's query string caused, with the values of its personal filters taken out
 * of the message and hint (a grammar error quotes the text it could not read). Other errors, and
 * every error of a request without personal filters, are returned as they are.
 *
 * @example
 * throw withoutPersonalValues(error, request.url, params) // 'Cannot read the "email" filter "is.[a personal value]" …'
 */
export function withoutPersonalValues(error: unknown, url: string, params: PersonalParams): unknown {
  if (!(error instanceof KoyaError)) return error
  // The whole value, and each of its parts after an operator (`eq.`, `not.ilike.`), longest first.
  const values = params
    .of(url)
    .flatMap(({ value }) => value.split('.').map((_, i, parts) => parts.slice(i).join('.')))
    .filter((v) => v.length >= 3)
    .sort((a, b) => b.length - a.length)
  if (values.length === 0) return error
  const scrub = (text: string) => values.reduce((t, v) => t.split(v).join('[a personal value]'), text)
  const message = scrub(error.message)
  const hint = scrub(error.hint)
  if (message === error.message && hint === error.hint) return error
  return new KoyaError(error.code, message, { hint, cause: error, ...(error.details === undefined ? {} : { details: error.details }) })
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '))
  } catch {
    return text
  }
}
