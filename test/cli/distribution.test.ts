import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import * as tar from 'tar'
import { afterAll, describe, expect, it } from 'vitest'
import { exitOf, startProcess } from '../helpers/child-process.ts'
import { repoRoot } from '../helpers/paths.ts'

const engine = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }

/**
 * The package as a user gets it: `npm pack` of this checkout (dist/ as `npm run build` left it),
 * installed into a fresh project made by `koyalite init`, outside the repository, with its
 * dependencies from the npm cache (the registry for anything missing); then the installed
 * `koyalite` generates, runs the template's test, serves, and scaffolds a project of its own.
 */
describe('distribution: the packed tarball installed into a new project', () => {
  const parent = mkdtempSync(path.join(os.tmpdir(), 'koya-dist-'))
  const app = path.join(parent, 'my-app')
  const installed = path.join(app, 'node_modules', '.bin', 'koyalite')
  // An installed project is thousands of files: removing them outlasts the default hook timeout.
  afterAll(() => rm(parent, { recursive: true, force: true }), 120_000)

  it('installs from the tarball, and the installed koyalite generates, tests and serves the new project', async () => {
    expect(existsSync(path.join(repoRoot, 'dist', 'engine', 'cli', 'main.js')), 'dist/ is built (npm run build)').toBe(true)
    const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', parent], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 })
    expect(pack.status, pack.stderr).toBe(0)
    const tarball = path.join(parent, (JSON.parse(pack.stdout) as [{ filename: string }])[0].filename)

    const init = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'koyalite.js'), 'init', app, '--koyalite', tarball], { encoding: 'utf8', timeout: 60_000 })
    expect(init.status, init.stderr).toBe(0)
    const manifest = readFileSync(path.join(app, 'package.json'), 'utf8')
    expect(JSON.parse(manifest)).toMatchObject({ dependencies: { koyalite: `file:../${path.basename(tarball)}` } })
    expect(manifest).not.toContain(parent)

    const install = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, encoding: 'utf8', timeout: 360_000 })
    expect(install.status, install.stderr).toBe(0)
    // A copy from the tarball inside the project, not a link back to this checkout.
    expect(realpathSync(path.join(app, 'node_modules', 'koyalite')).startsWith(realpathSync(app))).toBe(true)

    const generate = spawnSync(installed, ['generate'], { cwd: app, encoding: 'utf8', timeout: 120_000 })
    expect(generate.status, generate.stderr).toBe(0)
    expect(generate.stdout).toContain('0001_init')
    // The template's own test, on koyalite/testing, under the project's vitest.
    const test = spawnSync('npm', ['test'], { cwd: app, encoding: 'utf8', timeout: 180_000, env: { ...process.env, CI: '1' } })
    expect(test.status, test.stdout + test.stderr).toBe(0)
    expect(test.stdout).toMatch(/1 passed/)

    const { child, match } = await startProcess(installed, ['start', '--port', '0'], app, /serving (http:\/\/127\.0\.0\.1:\d+)/)
    try {
      const url = match[1]!
      expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok', app: 'my-app' })
      const notes = await fetch(`${url}/api/notes`)
      expect(notes.status).toBe(200)
      expect(await notes.json()).toEqual([])
    } finally {
      const exited = exitOf(child)
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    }

    // koyalite installed from a package depends new projects on the published range.
    const second = spawnSync(installed, ['init', path.join(parent, 'second')], { cwd: app, encoding: 'utf8', timeout: 60_000 })
    expect(second.status, second.stderr).toBe(0)
    expect(JSON.parse(readFileSync(path.join(parent, 'second', 'package.json'), 'utf8'))).toMatchObject({ dependencies: { koyalite: `^${engine.version}` } })
  }, 600_000)

  it('from a checkout, init depends on the published range unless told otherwise', () => {
    const third = path.join(parent, 'third')
    const init = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'koyalite.js'), 'init', third], { encoding: 'utf8', timeout: 60_000 })
    expect(init.status, init.stderr).toBe(0)
    expect(JSON.parse(readFileSync(path.join(third, 'package.json'), 'utf8'))).toMatchObject({ dependencies: { koyalite: `^${engine.version}` } })
    const both = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'koyalite.js'), 'init', path.join(parent, 'fourth'), '--pack', '--koyalite', '0.1.0'], { encoding: 'utf8', timeout: 60_000 })
    expect(both.status).toBe(1)
    expect(both.stderr).toContain('KL_CLI_USAGE')
  })

  it('init --pack packs this checkout into the new project and depends on that tarball (bounded in time)', async () => {
    const fifth = path.join(parent, 'fifth')
    // npm pack runs the package's prepare script (the build) first: minutes on a busy machine at most.
    const init = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'koyalite.js'), 'init', fifth, '--pack'], { encoding: 'utf8', timeout: 540_000 })
    expect(init.error, init.stderr).toBeUndefined()
    expect(init.status, init.stderr).toBe(0)
    const spec = (JSON.parse(readFileSync(path.join(fifth, 'package.json'), 'utf8')) as { dependencies: { koyalite: string } }).dependencies.koyalite
    expect(spec).toBe(`file:koyalite-${engine.version}.tgz`)
    // The tarball is this package: its manifest and the compiled engine, no TypeScript sources of it.
    const names: string[] = []
    await tar.list({ file: path.join(fifth, spec.slice('file:'.length)), onReadEntry: (entry) => void names.push(entry.path) })
    expect(names).toContain('package/package.json')
    expect(names).toContain('package/bin/koyalite.js')
    expect(names.some((name) => name.startsWith('package/dist/engine/runtime/'))).toBe(true)
    expect(readdirSync(fifth).filter((name) => name.endsWith('.tgz'))).toEqual([`koyalite-${engine.version}.tgz`])
  }, 600_000)
})
