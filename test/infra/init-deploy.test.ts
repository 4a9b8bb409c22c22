import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { INFRA_FILES } from '../../engine/cli/commands/init.ts'
import { repoRoot } from '../helpers/paths.ts'

describe('koyalite init gives a new project the way to production', () => {
  const parent = mkdtempSync(path.join(os.tmpdir(), 'koya-init-deploy-'))
  afterAll(() => rmSync(parent, { recursive: true, force: true }))

  it('lists every file of the Pulumi program, and the package ships them', () => {
    const program = readdirSync(path.join(repoRoot, 'infra')).filter((f) => !['node_modules', 'bin', '.gitignore'].includes(f) && !/^Pulumi\.[^.]+\.yaml$/.test(f))
    expect([...INFRA_FILES].sort()).toEqual(program.sort())
    const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 })
    expect(pack.status, pack.stderr).toBe(0)
    const shipped = (JSON.parse(pack.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path)
    for (const file of INFRA_FILES) expect(shipped, file).toContain(`infra/${file}`)
    for (const file of ['templates/init/Dockerfile', 'templates/init/dockerignore']) expect(shipped).toContain(file)
    expect(shipped.filter((f) => f.startsWith('infra/Pulumi.') && f !== 'infra/Pulumi.yaml')).toEqual([])
  })

  it('writes the Dockerfile, .dockerignore and infra/ (without the reference app’s environments)', () => {
    const app = path.join(parent, 'shop')
    const init = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'koyalite.js'), 'init', app], { encoding: 'utf8', timeout: 60_000 })
    expect(init.status, init.stderr).toBe(0)
    expect(readFileSync(path.join(app, 'Dockerfile'), 'utf8')).toBe(readFileSync(path.join(repoRoot, 'templates', 'init', 'Dockerfile'), 'utf8'))
    expect(readFileSync(path.join(app, '.dockerignore'), 'utf8')).toContain('**/node_modules')
    for (const file of INFRA_FILES) expect(readFileSync(path.join(app, 'infra', file), 'utf8'), file).toBe(readFileSync(path.join(repoRoot, 'infra', file), 'utf8'))
    expect(readFileSync(path.join(app, 'infra', '.gitignore'), 'utf8')).toBe('/bin/\n/node_modules/\n')
    expect(existsSync(path.join(app, 'infra', 'Pulumi.prod.yaml'))).toBe(false)
    expect(readFileSync(path.join(app, '.gitignore'), 'utf8')).toContain('.env.*')
  })
})
