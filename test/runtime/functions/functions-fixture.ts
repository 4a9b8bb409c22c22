import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { FunctionIR, ProjectIR } from '../../../engine/ir/project-ir.ts'
import { functionBundlePath } from '../../../engine/ir/project-ir.ts'
import { applyMigrations, readMigrations } from '../../../engine/migrate/index.ts'
import { DEFAULT_AUTH_RATE_LIMITS, type AuthRateLimits } from '../../../engine/runtime/auth/auth-context.ts'
import type { FunctionsModuleOptions } from '../../../engine/runtime/functions/functions-module.ts'
import { createServer } from '../../../engine/runtime/index.ts'
import { loadModel } from '../../../engine/runtime/model.ts'
import { openDatabase } from '../../../engine/shared/sqlite.ts'
import { SERVICE_KEY, tableApis } from '../../helpers/app.ts'
import type { AuthTestApp } from '../../helpers/auth-app.ts'
import { repoRoot } from '../../helpers/paths.ts'

export { SERVICE_KEY }

/** A function of the test app: its IR (defaults filled) and its code, written as its generated bundle. */
export interface TestFunction extends Partial<Omit<FunctionIR, 'name'>> {
  readonly name: string
  readonly code: string
  /** Its source map, written beside the bundle as `koyalite generate` does. */
  readonly sourceMap?: string
}

export function functionIR(fn: TestFunction): FunctionIR {
  return {
    name: fn.name,
    file: fn.file ?? `functions/${fn.name}.ts`,
    bundle: functionBundlePath(fn.name),
    input: fn.input ?? null,
    output: fn.output ?? null,
    auth: fn.auth ?? 'public',
    allowNet: fn.allowNet ?? [],
    env: fn.env ?? [],
    timeoutMs: fn.timeoutMs ?? null,
    memoryBytes: fn.memoryBytes ?? null,
  }
}

export interface FunctionsTestApp extends AuthTestApp {
  readonly url: string
  readonly root: string
  readonly workDir: string
  /** Write a function's generated bundle again (what `koyalite generate` does on save). */
  writeBundle(name: string, code: string): void
}

const GENEROUS = Object.fromEntries(Object.keys(DEFAULT_AUTH_RATE_LIMITS).map((name) => [name, { max: 10_000, windowSeconds: 60 }])) as unknown as AuthRateLimits

/**
 * The reference app with the given functions, on a fresh SQLite file, listening on 127.0.0.1 on
 * a free port, its functions run by the real Deno of the `deno` npm package.
 */
export async function functionsApp(functions: readonly TestFunction[], options: { env?: Record<string, string>; functions?: FunctionsModuleOptions; dev?: boolean; databaseFile?: string } = {}): Promise<FunctionsTestApp> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'koya-fn-'))
  // Another server on the same database (`databaseFile`: a second app's, left to that app to remove).
  const file = options.databaseFile ?? path.join(root, 'app.db')
  const db = openDatabase(file)
  applyMigrations(db, readMigrations(repoRoot).migrations)
  const writeBundle = (name: string, code: string) => {
    const bundle = path.join(root, functionBundlePath(name))
    mkdirSync(path.dirname(bundle), { recursive: true })
    writeFileSync(bundle, code)
  }
  for (const fn of functions) {
    writeBundle(fn.name, fn.code)
    if (fn.sourceMap !== undefined) writeFileSync(path.join(root, `${functionBundlePath(fn.name)}.map`), fn.sourceMap)
  }
  const model: ProjectIR = { ...loadModel(repoRoot), functions: functions.map(functionIR) }
  const workDir = path.join(root, 'work')
  const time = Date.now()
  const app = await createServer({
    model,
    db,
    tables: tableApis(model),
    logger: false,
    env: { KOYA_PUBLIC_URL: 'https://tasks.example.com', ...options.env },
    auth: { serviceKey: SERVICE_KEY, rateLimits: GENEROUS },
    ...(options.dev ? { dev: true } : {}),
    functions: { root, workDir, startTimeoutMs: 20_000, ...options.functions },
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  return {
    app,
    db,
    model,
    file,
    logs: [],
    url,
    root,
    workDir,
    writeBundle,
    now: () => new Date(time),
    advance() {},
    async close() {
      await app.close()
      db.close()
      rmSync(root, { recursive: true, force: true })
    },
  }
}

/** The pids of the Deno processes whose command line names `dir` (a test app's work dir). */
export function denoPidsUnder(dir: string): number[] {
  let out = ''
  try {
    out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
  } catch {
    return []
  }
  return out
    .split('\n')
    .filter((line) => line.includes(dir) && /\bdeno\b/.test(line) && !line.includes(' ps '))
    .map((line) => Number(line.trim().split(/\s+/)[0]))
    .filter((pid) => Number.isInteger(pid) && pid !== process.pid)
}

/** Kill what is left (afterAll): every Deno process of the dir, by pid. */
export function killDenoUnder(dir: string): void {
  for (const pid of denoPidsUnder(dir)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // Gone already.
    }
  }
}

export async function waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

export function admin(): Record<string, string> {
  return { authorization: `Bearer ${SERVICE_KEY}` }
}
