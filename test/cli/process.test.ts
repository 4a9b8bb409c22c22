import { spawnSync } from 'node:child_process'
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { scratchProject } from '../helpers/cli.ts'
import { exitOf, startProcess } from '../helpers/child-process.ts'
import { repoRoot } from '../helpers/paths.ts'

const bin = path.join(repoRoot, 'bin', 'koyalite.js')

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const until = Date.now() + ms
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('koyalite start (a real process)', () => {
  const project = scratchProject('minimal', 'start')
  afterAll(() => project.remove())

  it('migrates, serves /healthz on an ephemeral port and shuts down on SIGTERM', async () => {
    expect(spawnSync('node', [bin, 'generate'], { cwd: project.root }).status).toBe(0)
    const db = path.join(project.root, 'data', 'start.db')
    const { child, match } = await startProcess('node', [bin, 'start', '--port', '0', '--db', db], project.root, /serving (http:\/\/127\.0\.0\.1:\d+)/)
    const url = match[1]!
    // The server re-executed itself in place (same pid) with V8's young generation capped.
    expect(readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0')).toContain('--max-semi-space-size=8')
    const health = await fetch(`${url}/healthz`)
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok', app: 'minimal' })
    const missing = await fetch(`${url}/nope`)
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({ code: 'KL_API_NOT_FOUND' })
    const exited = exitOf(child)
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    await expect(fetch(`${url}/healthz`)).rejects.toThrow()
    expect(existsSync(db)).toBe(true)
  })

  it("keeps the operator's own young-generation size", async () => {
    const db = path.join(project.root, 'data', 'start-flags.db')
    const { child } = await startProcess('node', ['--max-semi-space-size=2', bin, 'start', '--port', '0', '--db', db], project.root, /serving (http:\/\/127\.0\.0\.1:\d+)/)
    const flags = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0').filter((arg) => arg.startsWith('--max-semi-space-size'))
    const exited = exitOf(child)
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(flags).toEqual(['--max-semi-space-size=2'])
  })
})

describe('koyalite dev sees every kind of save', () => {
  const project = scratchProject('minimal', 'dev-saves')
  afterAll(() => project.remove())
  const config = path.join(project.root, 'koyalite.ts')
  const addTable = (source: string, name: string) =>
    source.replace('export default defineConfig', `export const ${name} = table('${name}', { title: t.text() })\n\nexport default defineConfig`).replace('tables: { ', `tables: { ${name}, `)

  it('reloads after an in-place write, after a write-to-temp-then-rename (sed -i, editors), and after later saves, naming the file', async () => {
    const db = path.join(project.root, 'data', 'dev.db')
    const { child, match, output } = await startProcess('node', [bin, 'dev', '--port', '0', '--db', db], project.root, /dev server on (http:\/\/127\.0\.0\.1:\d+)/)
    const reloads = () => output().match(/reloaded/g)?.length ?? 0
    try {
      const url = match[1]!
      // In place: the file keeps its inode.
      writeFileSync(config, addTable(readFileSync(config, 'utf8'), 'alpha'))
      await waitFor(() => reloads() === 1, 'a reload after the in-place write')
      expect((await fetch(`${url}/api/alpha`)).status).toBe(401) // served: it exists, and asks for credentials

      // Write to a temporary file and rename it over the original: a new inode.
      const temporary = path.join(project.root, '.koyalite.ts.swp')
      writeFileSync(temporary, addTable(readFileSync(config, 'utf8'), 'beta'))
      renameSync(temporary, config)
      await waitFor(() => reloads() === 2, 'a reload after the renamed save')
      expect((await fetch(`${url}/api/beta`)).status).toBe(401)

      // The save after a rename is the one a watcher attached to the old inode misses.
      writeFileSync(config, addTable(readFileSync(config, 'utf8'), 'gamma'))
      await waitFor(() => reloads() === 3, 'a reload after the save that follows the rename')
      expect((await fetch(`${url}/api/gamma`)).status).toBe(401)

      const changes = output().split('\n').filter((line) => line.startsWith('change: '))
      expect(changes).toEqual(['change: koyalite.ts', 'change: koyalite.ts', 'change: koyalite.ts'])
    } finally {
      const exited = exitOf(child)
      child.kill('SIGTERM')
      await exited
    }
  })
})

describe('a new user: koyalite init outside the repository', () => {
  const parent = mkdtempSync(path.join(os.tmpdir(), 'koya-init-'))
  const app = path.join(parent, 'my-app')
  afterAll(() => rmSync(parent, { recursive: true, force: true }))

  it('scaffolds a project that installs and generates', () => {
    // The development override: this checkout, written relative to the project (never absolute).
    const init = spawnSync('node', [bin, 'init', app, '--koyalite', `file:${repoRoot}`], { encoding: 'utf8' })
    expect(init.status, init.stderr).toBe(0)
    expect(init.stdout).toContain('npx koyalite dev')
    expect(JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8'))).toMatchObject({ name: 'my-app', dependencies: { koyalite: `file:${path.relative(app, repoRoot)}` } })
    const again = spawnSync('node', [bin, 'init', app], { encoding: 'utf8' })
    expect(again.status).toBe(1)
    expect(again.stderr).toContain('KL_CLI_INIT_NOT_EMPTY')

    const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, encoding: 'utf8' })
    expect(install.status, install.stderr).toBe(0)
    const generate = spawnSync('npx', ['koyalite', 'generate'], { cwd: app, encoding: 'utf8' })
    expect(generate.status, generate.stderr).toBe(0)
    expect(generate.stdout).toContain('0001_init')
    expect(spawnSync('npx', ['koyalite', 'generate', '--check'], { cwd: app }).status).toBe(0)
    // The template's own test, on koyalite/testing, passes under the project's vitest.
    const test = spawnSync('npm', ['test'], { cwd: app, encoding: 'utf8', env: { ...process.env, CI: '1' } })
    expect(test.status, test.stdout + test.stderr).toBe(0)
    expect(test.stdout).toMatch(/1 passed/)
  }, 480_000) // install, three generates and the template's test: minutes on a busy machine

  it('runs `koyalite dev`: serves, and a saved schema change is generated, migrated and served on the same port', async () => {
    const { child, match, output } = await startProcess('npx', ['koyalite', 'dev', '--port', '0'], app, /dev server on (http:\/\/127\.0\.0\.1:\d+)/)
    try {
      const url = match[1]!
      expect((await fetch(`${url}/healthz`)).status).toBe(200)
      expect((await fetch(`${url}/api/labels`)).status).toBe(404)
      // Poll through the reload: the port must answer every request, old app or new.
      let refused = 0
      let polling = true
      const poller = (async () => {
        while (polling) {
          await fetch(`${url}/healthz`).catch(() => refused++)
          await new Promise((r) => setTimeout(r, 10))
        }
      })()
      appendFileSync(path.join(app, 'schema', 'notes.ts'), "\nexport const labels = table('labels', { name: t.text().max(40) })\n")
      appendFileSync(path.join(app, 'schema', 'index.ts'), "export { labels } from './notes'\n")
      await waitFor(() => /reloaded/.test(output()), 'the dev server to reload')
      polling = false
      await poller
      expect(refused).toBe(0)
      expect(readdirSync(path.join(app, 'generated', 'migrations'))).toContain('0002_create_table_labels.sql')
      expect((await fetch(`${url}/api/labels`)).status).toBe(401) // served now: it exists, and asks for credentials

      // A broken edit keeps the last good server and prints the problem with its location.
      appendFileSync(path.join(app, 'schema', 'notes.ts'), "\nexport const broken = table('broken', { x: t.text().min(5).max(1) })\n")
      appendFileSync(path.join(app, 'schema', 'index.ts'), "export { broken } from './notes'\n")
      await waitFor(() => /KL_DEF_MIN_MAX/.test(output()), 'the compile error')
      expect(output()).toMatch(/schema\/notes\.ts:\d+:\d+ KL_DEF_MIN_MAX/)
      expect((await fetch(`${url}/healthz`)).status).toBe(200)
    } finally {
      const exited = exitOf(child)
      child.kill('SIGTERM')
      await exited
    }
  })
})
