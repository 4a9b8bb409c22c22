import path from 'node:path'
import type { EmailTemplateIR } from '../ir/project-ir.ts'
import type { Problems } from './problems.ts'

/** The runtime's built-in templates (runtime/email/templates.ts): an app template may not take their names. */
const BUILT_IN = new Set(['verify-email', 'reset-password', 'signup-attempt'])
const NAME = /^[a-z][A-Za-z0-9-]{0,63}$/
const EXTENSIONS = ['.tsx', '.jsx', '.ts', '.js']

/**
 * `email.templates` checked and sorted: names that fit a URL (`/_/emails/<name>`) and are not a
 * built-in's, files inside the project with a script extension. Whether each file exists and
 * compiles is the bundler's check (KL_DEF_BUNDLE at the file's line).
 *
 * @example
 * emailTemplatesOf({ welcome: 'emails/welcome.tsx' }, problems) // { templates: [{ name: 'welcome', file: 'emails/welcome.tsx' }] }
 */
export function emailTemplatesOf(templates: Readonly<Record<string, string>> | undefined, problems: Problems): { templates?: EmailTemplateIR[] } {
  const entries = Object.entries(templates ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  if (entries.length === 0) return {}
  const list = entries.map(([name, file]) => {
    const at = problems.atConfig(`email.templates.${name}`)
    if (!NAME.test(name)) problems.add('KL_DEF_INVALID_NAME', `Email template name "${name}" is not a name.`, at, 'Use lower-case letters, digits and dashes, starting with a letter: e.g. "welcome" or "weekly-digest".')
    if (BUILT_IN.has(name)) problems.add('KL_DEF_INVALID_NAME', `Email template "${name}" takes the name of a built-in template.`, at, `Name it otherwise; the built-in ones are ${[...BUILT_IN].join(', ')}.`)
    const normalized = path.posix.normalize(file.replaceAll('\\', '/')).replace(/^\.\//, '')
    if (path.posix.isAbsolute(normalized) || normalized.startsWith('../') || !EXTENSIONS.includes(path.posix.extname(normalized))) {
      problems.add('KL_DEF_INVALID', `email.templates.${name} "${file}" is not a .tsx/.jsx/.ts/.js file inside the project.`, at, "Give a path relative to the project root, e.g. 'emails/welcome.tsx'.")
    }
    return { name, file: normalized }
  })
  return { templates: list }
}
