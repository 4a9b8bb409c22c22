import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { compileProject } from '../../engine/compiler/index.ts'
import { KoyaErrorList } from '../../engine/shared/errors.ts'
import { repoRoot } from '../helpers/paths.ts'

/**
 * compileProject builds the IR once: after the import and the type-check, with the policies and
 * the locations the source gives. The build calls each ref thunk once, so the user's own code
 * counts the builds (the definition is imported afresh on every compile; the counter lives on
 * globalThis, which this process shares with it).
 */
const counter = globalThis as unknown as { koyaRefThunkCalls?: number }

function project(name: string, extraColumn: string): string {
  // Inside the repository (test/.tmp is git-ignored), so `from 'koyalite'` resolves to this checkout.
  const root = path.join(repoRoot, 'test', '.tmp', `${name}-${process.pid}`)
  mkdirSync(root, { recursive: true })
  writeFileSync(
    path.join(root, 'koyalite.ts'),
    [
      "import { defineConfig, policies, table, t } from 'koyalite'",
      '',
      'const counter = globalThis as unknown as { koyaRefThunkCalls?: number }',
      "export const projects = table('projects', { name: t.text() })",
      "export const tasks = table('tasks', {",
      '  projectId: t.ref(() => {',
      '    counter.koyaRefThunkCalls = (counter.koyaRefThunkCalls ?? 0) + 1',
      '    return projects',
      '  }),',
      '  title: t.text(),',
      `  ${extraColumn}`,
      '})',
      "const rules = policies({ projects, tasks }, { tasks: { read: (task) => task.title === 'mine' } })",
      '',
      "export default defineConfig({ name: 'once', tables: { projects, tasks }, policies: rules })",
      '',
    ].join('\n'),
  )
  return root
}

async function refThunkCallsDuring(compile: () => Promise<unknown>): Promise<number> {
  counter.koyaRefThunkCalls = 0
  await compile().catch(() => undefined)
  return counter.koyaRefThunkCalls
}

describe('compileProject builds the IR once', () => {
  const valid = project('compile-once-valid', "done: t.bool().default(false),")
  const broken = project('compile-once-broken', 'code: t.text().min(5).max(1),')
  afterAll(() => {
    rmSync(valid, { recursive: true, force: true })
    rmSync(broken, { recursive: true, force: true })
  })

  it('for a valid definition with policies', async () => {
    expect(await refThunkCallsDuring(() => compileProject({ root: valid }))).toBe(1)
    const { ir } = await compileProject({ root: valid })
    expect(ir.policies.map((p) => p.table)).toEqual(['tasks'])
  })

  it('for a definition with a problem, which is still reported where it is written', async () => {
    expect(await refThunkCallsDuring(() => compileProject({ root: broken }))).toBe(1)
    const thrown = await compileProject({ root: broken }).catch((error: unknown) => error)
    expect(thrown).toBeInstanceOf(KoyaErrorList)
    expect((thrown as KoyaErrorList).errors.map((e) => [e.code, e.at])).toEqual([['KL_DEF_MIN_MAX', { file: 'koyalite.ts', line: 11, column: 22 }]])
  })

  it('without the type-check too', async () => {
    expect(await refThunkCallsDuring(() => compileProject({ root: valid, skipTypeCheck: true }))).toBe(1)
  })
})
