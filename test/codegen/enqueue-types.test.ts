import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import ts from 'typescript'
import { afterAll, describe, expect, it } from 'vitest'
import { fixturesDir, repoRoot } from '../helpers/paths.ts'

/**
 * `ctx.enqueue` is typed per job by the generated/register.d.ts of an app with jobs
 * (test/fixtures/queue): a job's name must be one of the app's, and its payload of that job's
 * type. Checked by compiling a probe with the TypeScript compiler, once with the registration and
 * once without it (where the same calls compile, so the probe's expectations are not vacuous).
 */
const generated = path.join(fixturesDir, 'queue', 'generated')
const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-enqueue-types-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const PROBE = `import type { JobContext } from 'koyalite'

declare const ctx: JobContext

export async function probe(): Promise<void> {
  await ctx.enqueue('typed', { key: 'a' })
  await ctx.enqueue('typed', { key: 'b', copies: 2 }, { delay: '1s', key: 'b' })
  await ctx.enqueue('record', { key: 'c', sleep: 10 })
  await ctx.enqueue('tick')
  // @ts-expect-error: the app has no job of that name
  await ctx.enqueue('nope', {})
  // @ts-expect-error: typed's key is a string
  await ctx.enqueue('typed', { key: 1 })
  // @ts-expect-error: typed takes a payload
  await ctx.enqueue('typed')
  // @ts-expect-error: welcomer's payload needs a name
  await ctx.enqueue('welcomer', { to: 'ada@example.com' })
}
`

/** The compiler's messages for the probe, with or without the app's register.d.ts beside it. */
function diagnosticsOf(registered: boolean): string[] {
  const root = mkdtempSync(path.join(dir, registered ? 'registered-' : 'bare-'))
  writeFileSync(path.join(root, 'probe.ts'), PROBE)
  const files = [path.join(root, 'probe.ts')]
  if (registered) {
    for (const name of ['register.d.ts', 'types.ts']) copyFileSync(path.join(generated, name), path.join(root, name))
    files.push(path.join(root, 'register.d.ts'))
  }
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2023,
    lib: ['lib.es2023.d.ts'],
    types: ['node'],
    typeRoots: [path.join(repoRoot, 'node_modules', '@types')],
    module: ts.ModuleKind.Preserve,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    paths: {
      koyalite: [path.join(repoRoot, 'engine', 'dsl', 'index.ts')],
      'koyalite/runtime': [path.join(repoRoot, 'engine', 'runtime', 'index.ts')],
    },
  })
  return ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName.startsWith(root)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
}

describe("ctx.enqueue's types", () => {
  it('take only the names of the registered jobs, each with its payload type', () => {
    expect(diagnosticsOf(true)).toEqual([])
  }, 120_000)

  it('are any name and any payload without the registration (so the checks above are real)', () => {
    const messages = diagnosticsOf(false)
    expect(messages).toHaveLength(4)
    for (const message of messages) expect(message).toContain("Unused '@ts-expect-error' directive")
  }, 120_000)
})
