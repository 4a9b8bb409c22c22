import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { parseEnv } from 'node:util'
import type { StudioEnvFile } from '../../ir/routes/studio-dev-routes.ts'
import { KoyaError } from '../../shared/errors.ts'

/** The file the editor writes: `.env`, the weakest of the files `koyalite dev` reads (env-files.ts). */
export const EDITED_ENV_FILE = '.env'

const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/

/** The names `.env` assigns (never their values). */
export function readEnvNames(root: string): StudioEnvFile {
  const file = path.join(root, EDITED_ENV_FILE)
  const names = existsSync(file) ? Object.keys(parseEnv(readFileSync(file, 'utf8'))).sort() : []
  return { file: EDITED_ENV_FILE, names }
}

/**
 * Set or remove variables in `.env`: an assignment already there is replaced where it stands (the
 * file's comments and order kept), a new one appended, a removed one dropped. The new text is read
 * back with util.parseEnv (what `koyalite dev` reads it with) and must give every value exactly,
 * else nothing is written; then it replaces the file atomically (a temporary file renamed over it).
 *
 * @example
 * writeEnvValues(root, { RESEND_API_KEY: 're_123', OLD_FLAG: null })
 */
export function writeEnvValues(root: string, values: Readonly<Record<string, string | null>>): StudioEnvFile {
  const file = path.join(root, EDITED_ENV_FILE)
  const before = existsSync(file) ? readFileSync(file, 'utf8') : ''
  const pending = new Map(Object.entries(values))
  const placed = new Set<string>()
  const lines: string[] = []
  for (const line of before === '' ? [] : before.replace(/\n$/, '').split('\n')) {
    const name = ASSIGNMENT.exec(line)?.[1]
    if (name === undefined || !pending.has(name)) {
      lines.push(line)
      continue
    }
    // A name assigned twice keeps only its first place.
    if (placed.has(name)) continue
    placed.add(name)
    const value = pending.get(name)!
    if (value !== null) lines.push(`${name}=${quoted(value)}`)
  }
  for (const [name, value] of pending) if (!placed.has(name) && value !== null) lines.push(`${name}=${quoted(value)}`)
  const text = lines.length === 0 ? '' : `${lines.join('\n')}\n`
  const parsed = parseEnv(text)
  for (const [name, value] of Object.entries(values)) {
    if (value === null ? name in parsed : parsed[name] !== value) {
      throw new KoyaError('KL_API_VALIDATION', `The value of ${name} cannot be written to .env so that it reads back the same (its quotes or line breaks).`, { hint: 'Set it in the environment instead, or edit .env by hand.' })
    }
  }
  const temporary = `${file}.${process.pid}.tmp`
  writeFileSync(temporary, text, { mode: 0o600 })
  renameSync(temporary, file)
  return readEnvNames(root)
}

/** A value in the quotes util.parseEnv reads back literally: single, else double, else backticks. */
function quoted(value: string): string {
  if (!value.includes('\n')) {
    if (!value.includes("'")) return `'${value}'`
    if (!value.includes('"')) return `"${value}"`
    if (!value.includes('`')) return `\`${value}\``
  }
  // Line breaks: double quotes expand \n.
  return `"${value.replaceAll('\n', '\\n')}"`
}
