import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateProject } from '../../engine/cli/generate-project.ts'
import type { ProjectIR } from '../../engine/ir/project-ir.ts'
import { loadHandlers } from '../../engine/runtime/handlers/load-handlers.ts'
import { KoyaError } from '../../engine/shared/errors.ts'
import { scratchProject } from '../helpers/cli.ts'
import { fixturesDir, repoRoot } from '../helpers/paths.ts'

/**
 * The runtime's side of bundled user code: generated/handlers/index.js is imported by plain Node,
 * without tsx or the TypeScript compiler, and a handler's stack names the user's .ts file:line.
 * The checks that must see what Node loads run in a child `node`, not in the test runner (which
 * loads TypeScript itself and replaces the stack formatter).
 */

let root: string
let remove: () => void
let runtimeRun: ReturnType<typeof runNode> | undefined

/** The runtime script's run, shared by the tests that read it (it boots a server: run it once). */
function runtimeScriptRun(): ReturnType<typeof runNode> {
  runtimeRun ??= runNode(RUNTIME_SCRIPT)
  return runtimeRun
}

beforeAll(async () => {
  ;({ root, remove } = scratchProject('handlers', 'runtime-handlers'))
  await generateProject({ root })
  // Records every module Node resolves (import and require) and prints them at exit.
  writeFileSync(
    path.join(root, 'record-loads.mjs'),
    [
      "import { registerHooks } from 'node:module'",
      'const loaded = new Set()',
      'registerHooks({ resolve(specifier, context, next) { const result = next(specifier, context); loaded.add(result.url); return result } })',
      "process.on('exit', () => process.stdout.write('LOADED ' + JSON.stringify([...loaded]) + '\\n'))",
      '',
    ].join('\n'),
  )
}, 60_000)
afterAll(() => remove())

function runNode(script: string): { stdout: string; stderr: string; status: number | null; loaded: string[] } {
  const file = path.join(root, `script-${Math.random().toString(36).slice(2, 8)}.mjs`)
  writeFileSync(file, script)
  const run = spawnSync(process.execPath, ['--import', './record-loads.mjs', file], { cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '' } })
  const line = run.stdout.split('\n').find((l) => l.startsWith('LOADED '))
  return { stdout: run.stdout, stderr: run.stderr, status: run.status, loaded: line ? (JSON.parse(line.slice('LOADED '.length)) as string[]) : [] }
}

/** Modules of the TypeScript toolchain: none may load on the runtime path. */
const TOOLCHAIN = /\/node_modules\/(typescript|ts-morph|@ts-morph\/[^/]+|tsx|esbuild|@esbuild\/[^/]+)\//

const RUNTIME_SCRIPT = `
import { readFileSync } from 'node:fs'
import Database from 'better-sqlite3'
import { createServer, loadHandlers, loadModel, loadTableApis } from 'koyalite/runtime'

const root = process.cwd()
const model = loadModel(root)
const db = new Database(':memory:')
db.exec(readFileSync('generated/migrations/0001_init.sql', 'utf8'))
const app = await createServer({ model, db, tables: await loadTableApis(root, model), logger: false, auth: { serviceKey: 'service-key-for-this-test-only' } })
const list = await app.inject({ url: '/api/tasks', headers: { authorization: 'Bearer service-key-for-this-test-only' } })
const handlers = await loadHandlers(root, { model })
const summary = await handlers.jobs.digest({ name: 'digest' }, { titles: ['a', 'b'] })
let stack = ''
try {
  await handlers.jobs.digest({ name: 'digest' }, { fail: true })
} catch (error) {
  stack = error.stack
}
const event = { type: 'tasks.update', table: 'tasks', operation: 'update', record: { id: '1', title: 'Ship', status: 'done' }, oldRecord: null, timestamp: '2026-12-02T00:00:00.000Z' }
const webhook = handlers.webhooks.taskDone
console.log(JSON.stringify({ status: list.statusCode, summary, stack, jobs: Object.keys(handlers.jobs), filter: webhook.filter(event), body: webhook.transform(event) }))
await app.close()
`

describe('loading bundled handlers at run time', () => {
  it('serves the app and runs its handlers in plain Node: no tsx, TypeScript, ts-morph or esbuild is loaded', () => {
    const run = runtimeScriptRun()
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    const result = JSON.parse(run.stdout.split('\n')[0]!) as { status: number; summary: string; jobs: string[]; filter: boolean; body: unknown }
    expect(result).toMatchObject({ status: 200, summary: '2 open: a, b', jobs: ['cleanup', 'digest'], filter: true, body: { id: '1', title: 'Ship' } })
    // The recorder saw the runtime, the bundle and its imports: it is not vacuous…
    expect(run.loaded.some((url) => url.endsWith('/generated/handlers/index.js'))).toBe(true)
    expect(run.loaded.some((url) => url.endsWith('/dist/engine/runtime/index.js'))).toBe(true)
    expect(run.loaded.some((url) => /\/node_modules\/fastify\//.test(url))).toBe(true)
    // …and none of the TypeScript toolchain.
    expect(run.loaded.filter((url) => TOOLCHAIN.test(url))).toEqual([])
  })

  it('would notice the toolchain: importing the compiler loads TypeScript', () => {
    const run = runNode(`await import(${JSON.stringify(pathToFileURL(path.join(repoRoot, 'dist', 'engine', 'compiler', 'index.js')).href)})\n`)
    expect(run.status, run.stderr).toBe(0)
    expect(run.loaded.filter((url) => TOOLCHAIN.test(url)).length).toBeGreaterThan(0)
  })

  it("maps a handler's stack to the user's .ts file and line", () => {
    const run = runtimeScriptRun()
    const { stack } = JSON.parse(run.stdout.split('\n')[0]!) as { stack: string }
    const throwLine = readFileSync(path.join(fixturesDir, 'handlers', 'jobs', 'digest.ts'), 'utf8').split('\n').findIndex((l) => l.includes('throw new Error')) + 1
    expect(stack).toContain('digest failed for digest')
    expect(stack).toContain(`${path.join(root, 'jobs', 'digest.ts')}:${throwLine}:`)
    expect(stack).not.toContain("generated/handlers/index.js:")
  })
})

describe('a bundled function', () => {
  it("runs on Deno, and its stack names the function's .ts file and line", () => {
    const bundle = pathToFileURL(path.join(root, 'generated', 'functions', 'hello.js')).href
    const script = [
      `const { default: hello } = await import(${JSON.stringify(bundle)})`,
      "console.log(await (await hello(new Request('http://localhost/?name=Deno'))).text())",
      "try { await hello(new Request('http://localhost/?name=boom')) } catch (error) { console.log(error.stack) }",
    ].join('\n')
    const deno = path.join(repoRoot, 'node_modules', '.bin', 'deno')
    // No permissions at all: the bundle needs no file, network or environment access to load.
    const run = spawnSync(deno, ['eval', '--no-config', '--no-lock', script], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' } })
    expect(run.status, run.stderr).toBe(0)
    const throwLine = readFileSync(path.join(root, 'functions', 'hello.ts'), 'utf8').split('\n').findIndex((l) => l.includes('throw new Error')) + 1
    expect(run.stdout).toContain('Hello, Deno!')
    expect(run.stdout).toContain('hello failed on purpose')
    expect(run.stdout).toContain(`${pathToFileURL(path.join(root, 'functions', 'hello.ts')).href}:${throwLine}:`)
  })
})

describe('loadHandlers', () => {
  it('returns empty tables for a project without handlers', async () => {
    const handlers = await loadHandlers(path.join(fixturesDir, 'minimal'))
    expect(handlers).toEqual({ jobs: {}, webhooks: {} })
  })

  it('refuses a bundle that does not match the model (KL_DEF_GENERATED_STALE)', async () => {
    const model = JSON.parse(readFileSync(path.join(root, 'generated', 'model.json'), 'utf8')) as ProjectIR
    const withExtraJob: ProjectIR = { ...model, jobs: [...(model.jobs ?? []), { name: 'zzNew', cron: null, timezone: null, retry: null, timeoutMs: null, concurrency: null }] }
    const refused = await loadHandlers(root, { model: withExtraJob, version: 'extra' }).then(() => undefined, (error: unknown) => error)
    expect(refused).toBeInstanceOf(KoyaError)
    expect((refused as KoyaError).code).toBe('KL_DEF_GENERATED_STALE')
    expect((refused as KoyaError).message).toContain('run for job "zzNew"')

    const missing = await loadHandlers(path.join(fixturesDir, 'minimal'), { model }).then(() => undefined, (error: unknown) => error)
    expect((missing as KoyaError).code).toBe('KL_DEF_GENERATED_STALE')
    expect((missing as KoyaError).message).toContain('generated/handlers/index.js is missing')

    await expect(loadHandlers(root, { model, version: 'same' })).resolves.toMatchObject({ jobs: { digest: expect.any(Function) } })
  })
})
