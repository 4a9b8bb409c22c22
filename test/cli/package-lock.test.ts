import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../helpers/paths.ts'

/**
 * `npm install` in a fresh clone recomputes `hasInstallScript` from each installed package and
 * rewrites package-lock.json when the committed lock disagrees, leaving a clone dirty. npm's rule
 * (arborist): a package has an install script when its package.json has a preinstall, install or
 * postinstall script, or a binding.gyp (npm then runs `node-gyp rebuild` for it).
 */
interface LockEntry {
  readonly hasInstallScript?: boolean
  readonly link?: boolean
}

function hasInstallScript(dir: string): boolean {
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }
  const scripts = manifest.scripts ?? {}
  return ['preinstall', 'install', 'postinstall'].some((name) => name in scripts) || existsSync(path.join(dir, 'binding.gyp'))
}

describe('package-lock.json', () => {
  it('marks exactly the installed packages that have install scripts, as npm install would write it', () => {
    const lock = JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> }
    const mismatches: string[] = []
    let checked = 0
    for (const [where, entry] of Object.entries(lock.packages)) {
      const dir = path.join(repoRoot, where)
      // The root, links (the package itself as a devDependency) and optional packages for
      // other platforms, which are not on this machine.
      if (where === '' || entry.link === true || !existsSync(path.join(dir, 'package.json'))) continue
      checked++
      if (hasInstallScript(dir) !== (entry.hasInstallScript === true)) mismatches.push(`${where}: lock says ${entry.hasInstallScript === true}, package says ${!entry.hasInstallScript}`)
    }
    expect(checked).toBeGreaterThan(50)
    expect(mismatches).toEqual([])
  })
})
