import { KoyaError } from '../../shared/errors.ts'

/**
 * The deepest nesting of arrays and objects a request body may have. A row's json column is
 * capped far lower (its own depth limit); this bound exists so that nothing that walks a body
 * recursively (validation, conversion, JSON.stringify) can run out of stack.
 */
export const MAX_BODY_DEPTH = 256

/**
 * Refuse JSON text nested deeper than `limit`, before it is parsed: one pass over the text that
 * counts brackets outside strings. JSON.parse itself is iterative, but what runs on its result is
 * not, so a 20,000-level body must never reach it.
 *
 * @example
 * checkJsonDepth('{"a":[1]}') // ok
 * checkJsonDepth('['.repeat(300) + ']'.repeat(300)) // throws KL_API_VALIDATION
 */
export function checkJsonDepth(text: string, limit = MAX_BODY_DEPTH): void {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (inString) {
      if (code === 0x5c) i++ // a backslash escapes the next character, a quote included
      else if (code === 0x22) inString = false
    } else if (code === 0x22) inString = true
    else if (code === 0x5b || code === 0x7b) {
      if (++depth > limit) {
        throw new KoyaError('KL_API_VALIDATION', `The JSON body nests arrays and objects more than ${limit} levels deep.`, {
          hint: 'Flatten the value; a json column holds at most its own depth limit (64 levels unless the column says otherwise).',
        })
      }
    } else if (code === 0x5d || code === 0x7d) depth--
  }
}
