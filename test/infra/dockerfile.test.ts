import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { DockerfileParser, type Instruction } from 'dockerfile-ast'
import { validate, ValidationSeverity } from 'dockerfile-utils'
import { afterAll, describe, expect, it } from 'vitest'
import { repoRoot } from '../helpers/paths.ts'

const args = (instruction: Instruction) => instruction.getArgumentsContent() ?? ''
const keyword = (stage: Instruction[], name: string) => stage.filter((i) => i.getKeyword() === name)

/** This repository's Dockerfile (it builds the engine too), and the one `koyalite init` writes. */
const DOCKERFILES = [
  { label: 'the Dockerfile', file: 'Dockerfile', ignore: '.dockerignore', bin: 'bin/koyalite.js', copies: ['package.json', 'node_modules', 'bin', 'dist', 'generated'] },
  { label: 'the Dockerfile koyalite init writes', file: 'templates/init/Dockerfile', ignore: 'templates/init/dockerignore', bin: 'node_modules/koyalite/bin/koyalite.js', copies: ['package.json', 'node_modules', 'generated'] },
]

for (const { label, file, ignore, bin, copies: shipped } of DOCKERFILES) {
  const text = readFileSync(path.join(repoRoot, file), 'utf8')
  const dockerfile = DockerfileParser.parse(text)

  /** The instructions of each stage, by stage name. */
  const stages = (): Map<string, Instruction[]> => {
    const byStage = new Map<string, Instruction[]>()
    let current: Instruction[] | undefined
    for (const instruction of dockerfile.getInstructions()) {
      if (instruction.getKeyword() === 'FROM') {
        current = []
        byStage.set((instruction as unknown as { getBuildStage(): string | null }).getBuildStage() ?? `stage${byStage.size}`, current)
      }
      current?.push(instruction)
    }
    return byStage
  }
  /** The instruction as written, flags included. */
  const raw = (instruction: Instruction) => {
    const range = instruction.getRange()
    return text.split('\n').slice(range.start.line, range.end.line + 1).join('\n')
  }

  describe(label, () => {
    it('passes the dockerfile-utils linter with every rule an error', () => {
      const error = ValidationSeverity.ERROR
      const problems = validate(text, {
        deprecatedMaintainer: error,
        directiveCasing: error,
        emptyContinuationLine: error,
        instructionCasing: error,
        instructionCmdMultiple: error,
        instructionEntrypointMultiple: error,
        instructionHealthcheckMultiple: error,
        instructionJSONInSingleQuotes: error,
        instructionWorkdirRelative: error,
      })
      expect(problems.map((p) => `${p.range.start.line + 1}: ${p.message}`)).toEqual([])
    })

    it('builds in two stages on Node 24 slim, and the runtime stage runs as a non-root user', () => {
      const all = stages()
      expect([...all.keys()]).toEqual(['build', 'runtime'])
      expect(text).toMatch(/^ARG NODE_IMAGE=node:24-[a-z]+-slim$/m)
      for (const stage of all.values()) expect(args(stage[0]!)).toMatch(/^\$\{NODE_IMAGE\}/)
      const runtime = all.get('runtime')!
      expect(keyword(runtime, 'USER').map(args)).toEqual(['node'])
      // Nothing after USER runs as root again, and the app's files are not the user's.
      const afterUser = runtime.slice(runtime.findIndex((i) => i.getKeyword() === 'USER'))
      expect(afterUser.filter((i) => ['RUN', 'COPY', 'ADD'].includes(i.getKeyword()))).toEqual([])
      expect(keyword(runtime, 'COPY').map(raw).every((a) => !a.includes('--chown'))).toBe(true)
    })

    it('ships production dependencies only: the build stage prunes dev dependencies and the runtime copies that tree', () => {
      const build = stages().get('build')!
      const runs = keyword(build, 'RUN').map(args).join('\n')
      expect(runs).toMatch(/npm ci\b/)
      expect(runs).toMatch(/npm prune --omit=dev/)
      expect(runs.indexOf('npm prune')).toBeGreaterThan(runs.indexOf('koyalite generate --check'))
      const copies = keyword(stages().get('runtime')!, 'COPY').map(raw)
      // Everything the runtime holds comes from the build stage: nothing from the context directly.
      expect(copies.every((c) => c.startsWith('COPY --from=build '))).toBe(true)
      expect(copies.flatMap((c) => c.split(/\s+/).slice(2, -1)).map((source) => source.replace('/app/', ''))).toEqual(['package.json', 'package-lock.json', ...shipped.slice(1)])
    })

    it('keeps the data on a /data volume, checks /healthz, migrates before start and execs the server', () => {
      const runtime = stages().get('runtime')!
      expect(keyword(runtime, 'VOLUME').map(args)).toEqual(['["/data"]'])
      expect(args(keyword(runtime, 'ENV')[0]!)).toContain('KOYA_DB=/data/koya.db')
      const healthcheck = keyword(runtime, 'HEALTHCHECK').map(args)
      expect(healthcheck).toHaveLength(1)
      expect(healthcheck[0]).toContain('http://127.0.0.1:3000/healthz')
      const cmd = JSON.parse(args(keyword(runtime, 'CMD')[0]!)) as string[]
      expect(cmd[2]).toBe(`node ${bin} migrate up && exec node ${bin} start --no-migrate`)
      expect(keyword(runtime, 'STOPSIGNAL').map(args)).toEqual(['SIGTERM'])
    })

    it('is built from a context without node_modules, local data, secrets or the Pulumi state', () => {
      const ignored = readFileSync(path.join(repoRoot, ignore), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'))
      for (const entry of ['**/node_modules', 'data', '*.db', '.env', '.env.*', '**/*.pem', '.git', 'infra']) expect(ignored).toContain(entry)
      // What the build needs is not ignored.
      for (const needed of ['package.json', 'package-lock.json', 'generated', 'koyalite.ts', 'schema', 'policies']) expect(ignored).not.toContain(needed)
    })
  })
}

/**
 * The runtime stage's file list, made the way the Dockerfile makes it: the installed tree of the
 * lockfile (this checkout's `npm ci`), `npm prune --omit=dev`, then package.json, bin, dist and
 * generated beside it; the server must start from that directory alone.
 */
describe('the image file list, built in a temp dir', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-image-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('prunes to production dependencies, migrates, serves the reference app, backs up online, stops on SIGTERM and restores', async () => {
    for (const entry of ['package.json', 'package-lock.json', 'bin', 'dist', 'generated']) cpSync(path.join(repoRoot, entry), path.join(dir, entry), { recursive: true })
    // Hard links: the copy of the installed tree costs no disk, and prune only unlinks; a copy
    // when the temp dir is on another file system.
    const linked = spawnSync('cp', ['-al', path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules')], { timeout: 60_000 })
    if (linked.status !== 0) {
      rmSync(path.join(dir, 'node_modules'), { recursive: true, force: true })
      execFileSync('cp', ['-a', path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules')], { timeout: 120_000 })
    }
    const pruned = spawnSync('npm', ['prune', '--omit=dev', '--ignore-scripts', '--offline', '--no-audit', '--no-fund'], { cwd: dir, encoding: 'utf8', timeout: 120_000 })
    expect(pruned.status, pruned.stderr).toBe(0)
    const has = (name: string) => existsSync(path.join(dir, 'node_modules', name, 'package.json'))
    for (const dev of ['vitest', '@pulumi/pulumi', '@pulumi/docker', 'playwright-core', 'fast-check', 'yaml', 'dockerfile-utils', 'koyalite']) expect(has(dev), dev).toBe(false)
    for (const prod of ['fastify', 'deno', 'better-sqlite3', 'kysely', 'zod', 'pino']) expect(has(prod), prod).toBe(true)

    // As in the image: the app's files belong to root and only the data directory is the user's.
    // Run as root (CI, these machines), the server runs as nobody and can write nowhere else, when
    // nobody may run this node binary (not when it lives under root's home, as .ci/run may put it).
    const data = path.join(dir, 'data')
    mkdirSync(data)
    chmodSync(dir, 0o755)
    const nobody = { uid: 65534, gid: 65534 }
    const nobodyCanRun = () => spawnSync(process.execPath, ['-e', `require('fs').readFileSync(${JSON.stringify(path.join(dir, 'package.json'))})`], nobody).status === 0
    const asUser: { uid?: number; gid?: number } = process.getuid?.() === 0 && nobodyCanRun() ? nobody : {}
    if (asUser.uid !== undefined) chownSync(data, 65534, 65534)
    const env = { PATH: process.env.PATH!, HOME: data, NODE_ENV: 'production', KOYA_DB: path.join(data, 'koya.db'), LOG_LEVEL: 'warn', NO_COLOR: '1', NODE_COMPILE_CACHE: path.join(os.tmpdir(), `koya-image-cache-${process.pid}`) }
    const migrated = spawnSync(process.execPath, ['bin/koyalite.js', 'migrate', 'up'], { cwd: dir, env, encoding: 'utf8', timeout: 60_000, ...asUser })
    expect(migrated.status, migrated.stderr).toBe(0)
    if (asUser.uid !== undefined) expect(spawnSync(process.execPath, ['-e', `require('fs').writeFileSync('${dir}/probe', '')`], { cwd: dir, ...asUser }).status).not.toBe(0)
    const child = spawn(process.execPath, ['bin/koyalite.js', 'start', '--no-migrate', '--port', '0'], { cwd: dir, env, ...asUser })
    let output = ''
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "serving" line:\n${output}`)), 45_000)
      const onData = (chunk: Buffer) => {
        output += chunk.toString()
        const match = output.match(/serving (http:\/\/127\.0\.0\.1:\d+)/)
        if (match) clearTimeout(timer), resolve(match[1]!)
      }
      child.stdout.on('data', onData)
      child.stderr.on('data', onData)
      child.on('exit', (code) => (clearTimeout(timer), reject(new Error(`exited ${code}:\n${output}`))))
    })
    try {
      expect((await fetch(`${url}/healthz`)).status).toBe(200)
      // A generated route module (it imports koyalite/runtime, resolved without the dev-only link).
      const tasks = await fetch(`${url}/api/tasks`)
      expect(tasks.status).toBe(200)
      // docs/deploy.md's online backup, run in the image's directory while the server serves.
      const backup = spawnSync(process.execPath, ['bin/koyalite.js', 'backup', '--dir', path.join(data, 'backups'), '--keep', '7'], { cwd: dir, env, encoding: 'utf8', timeout: 60_000, ...asUser })
      expect(backup.status, `${backup.stdout}${backup.stderr}`).toBe(0)
      expect(readdirSync(path.join(data, 'backups')).filter((f) => f.endsWith('.tar.gz'))).toHaveLength(1)
    } finally {
      child.removeAllListeners('exit')
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    }
    // And its restore, the server stopped, as docs/deploy.md runs it.
    const [archive] = readdirSync(path.join(data, 'backups'))
    const restore = spawnSync(process.execPath, ['bin/koyalite.js', 'restore', path.join(data, 'backups', archive!), '--force'], { cwd: dir, env, encoding: 'utf8', timeout: 60_000, ...asUser })
    expect(restore.status, `${restore.stdout}${restore.stderr}`).toBe(0)
  }, 180_000)
})
