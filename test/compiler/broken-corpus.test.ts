import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { compileProject } from '../../engine/compiler/index.ts'
import { formatLocation, KoyaError, KoyaErrorList } from '../../engine/shared/errors.ts'
import { runCli } from '../helpers/cli.ts'
import { repoRoot } from '../helpers/paths.ts'

/**
 * The broken-project corpus: each directory under test/broken is a project with one mistake (or
 * a few), and its expected.json lists every error the compiler must report, in order, as code
 * and file:line:col relative to the project. `KOYA_UPDATE_GOLDEN=1` rewrites expected.json from
 * what the compiler reports: check each new location by hand before keeping it.
 */

interface ExpectedErrors {
  readonly errors: readonly { readonly code: string; readonly at: string }[]
}

const brokenDir = path.join(repoRoot, 'test', 'broken')
const update = process.env.KOYA_UPDATE_GOLDEN === '1'
const cases = readdirSync(brokenDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort()

const sentence = (name: string) => name.replaceAll('-', ' ')

async function compileErrors(root: string): Promise<readonly KoyaError[]> {
  const thrown = await compileProject({ root }).then(
    () => undefined,
    (error: unknown) => error,
  )
  expect(thrown, 'the project should not compile').toBeInstanceOf(KoyaErrorList)
  return (thrown as KoyaErrorList).errors
}

function readExpected(root: string): ExpectedErrors {
  return JSON.parse(readFileSync(path.join(root, 'expected.json'), 'utf8')) as ExpectedErrors
}

/** The location names a real place in the case: an existing file, a line it has, a column on it. */
function expectRealPlace(root: string, error: KoyaError): void {
  const at = error.at!
  const file = path.join(root, at.file)
  expect(existsSync(file), `${error.code} at ${formatLocation(at)}: no such file`).toBe(true)
  const lines = readFileSync(file, 'utf8').split('\n')
  expect(at.line, `${error.code} at ${formatLocation(at)}: no such line`).toBeLessThanOrEqual(lines.length)
  expect(at.column, `${error.code} at ${formatLocation(at)}: no such column`).toBeLessThanOrEqual(lines[at.line - 1]!.length)
}

describe('broken projects: every problem is reported with its code at file:line:col', () => {
  it('has a corpus of at least 25 cases, each with its expected errors', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25)
    if (!update) for (const name of cases) expect(existsSync(path.join(brokenDir, name, 'expected.json')), name).toBe(true)
  })

  for (const name of cases) {
    it(sentence(name), async () => {
      const root = path.join(brokenDir, name)
      const errors = await compileErrors(root)
      for (const error of errors) {
        expect(error.at, `${error.code} has no location`).toBeDefined()
        expectRealPlace(root, error)
        expect(error.message.trim(), error.code).not.toBe('')
        expect(error.hint.trim(), error.code).not.toBe('')
        // No stack trace, ours or the user's: those go to logs, never into the message.
        expect(error.message, error.code).not.toContain('    at ')
        expect(error.hint, error.code).not.toContain('    at ')
        // Messages name project files relative to the root, never the machine's paths.
        expect(error.message, error.code).not.toContain(root)
      }

      const actual: ExpectedErrors = { errors: errors.map((e) => ({ code: e.code, at: formatLocation(e.at!) })) }
      if (update) writeFileSync(path.join(root, 'expected.json'), JSON.stringify(actual, null, 2) + '\n')
      expect(actual).toEqual(readExpected(root))
    })
  }
})

describe('koyalite generate on a broken project', () => {
  const cliCases = ['enum-default-outside-values', 'syntax-error', 'import-throws']

  for (const name of cliCases) {
    it(`exits 1 and prints each problem of ${sentence(name)} as file:line:col CODE message with a hint`, async () => {
      const root = path.join(brokenDir, name)
      const { errors } = readExpected(root)
      const run = await runCli(root, ['generate'])

      expect(run.code).toBe(1)
      const lines = run.err.split('\n')
      const problemLines = lines.filter((line) => /^\S+:\d+:\d+ KL_[A-Z_]+ \S/.test(line))
      expect(problemLines.map((line) => line.split(' ').slice(0, 2).join(' '))).toEqual(errors.map((e) => `${e.at} ${e.code}`))
      expect(lines.filter((line) => /^ {2}hint: \S/.test(line))).toHaveLength(errors.length)
      expect(lines.at(-1)).toBe(`${errors.length} problem${errors.length === 1 ? '' : 's'}.`)
      expect(run.err).not.toContain('    at ')
      expect(run.err).not.toContain('\u001b[')
      expect(existsSync(path.join(root, 'generated')), 'nothing is written for a broken project').toBe(false)
    })
  }
})
