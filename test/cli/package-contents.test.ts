import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../helpers/paths.ts'

/**
 * What `npm publish` would ship, from `npm pack --dry-run` (the file list npm itself computes).
 * The full check (pack, install the tarball into a new project, generate, the template's test,
 * start) is distribution.test.ts.
 */
describe('the npm package', () => {
  const files = (() => {
    const text = execFileSync('npm', ['pack', '--dry-run', '--ignore-scripts', '--json'], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 })
    return (JSON.parse(text) as [{ files: { path: string }[] }])[0].files.map((f) => f.path)
  })()

  it('ships the bin, the built engine with its types, the init template and the infra program', () => {
    expect(files).toContain('bin/koyalite.js')
    expect(files).toContain('package.json')
    for (const entry of ['dsl', 'runtime', 'testing']) {
      expect(files).toContain(`dist/engine/${entry}/index.js`)
      expect(files).toContain(`dist/engine/${entry}/index.d.ts`)
    }
    expect(files).toContain('dist/engine/cli/main.js')
    expect(files.some((f) => f.startsWith('templates/init/'))).toBe(true)
    expect(files).toContain('infra/index.ts')
  })

  // The init template's own test (templates/init/test) is part of what init writes.
  it('ships no tests, fixtures, benchmarks, sources, the reference app or build state', () => {
    const unwanted = files.filter((f) => !f.startsWith('templates/')).filter((f) => /^(test|bench|engine|schema|policies|seed|generated|docs|\.ci)\//.test(f) || /fixtures|\.test\.|\.tsbuildinfo$/.test(f) || f === 'koyalite.ts')
    expect(unwanted).toEqual([])
  })
})
