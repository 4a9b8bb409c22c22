import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { FunctionIR } from '../../ir/project-ir.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { Env } from '../auth/auth-settings.ts'
import { MAIN_SCRIPT, USER_SCRIPT } from './deno-scripts.ts'
import type { FunctionStore } from './function-store.ts'
import { relocateSourceMap } from './source-maps.ts'
import { versionHash } from './function-store.ts'
import type { StorageDriver } from '../storage/driver.ts'
import { readBundle } from './version-bundles.ts'
import { WorkerPool, type PoolSettings } from './worker-pool.ts'

/**
 * Which code each function runs, and its pool of workers. A function serves its active deployed
 * version (`_koya_function_versions`), or, when none was deployed or under `koyalite dev`, the
 * bundle `koyalite generate` wrote (generated/functions/<name>.js: the source as it is now).
 *
 * The switch is atomic: `poolFor` reads the active pointer on every call; when it moved, the
 * new version's pool takes the calls from then on and the old one drains (its calls in flight
 * finish) before its workers stop.
 */
export interface HostSettings {
  readonly deno: string
  /** Where version directories and scratch dirs go (created, and removed on close). */
  readonly workDir: string
  /** Project root, for generated/functions/<name>.js. */
  readonly root: string | undefined
  /** Serve the generated bundle even when a version is deployed (`koyalite dev`). */
  readonly fromSource: boolean
  readonly pool: PoolSettings
  readonly startTimeoutMs: number
  readonly env: Env
  /** The storage driver, for versions kept in the bucket (version-bundles.ts); made on first use. */
  readonly bundles: () => Promise<StorageDriver>
}

interface Current {
  readonly key: string
  readonly version: string
  readonly pool: WorkerPool
}

const DEFAULT_HEAP_MB = 128

export class FunctionHost {
  readonly #settings: HostSettings
  readonly #store: FunctionStore
  readonly #current = new Map<string, Current>()
  readonly #switching = new Map<string, Promise<Current>>()
  readonly #draining = new Set<Promise<void>>()
  #closed = false

  constructor(settings: HostSettings, store: FunctionStore) {
    this.#settings = settings
    this.#store = store
    mkdirSync(path.join(settings.workDir, 'scratch'), { recursive: true })
    mkdirSync(path.join(settings.workDir, 'cache'), { recursive: true })
  }

  /** The pool serving `fn` now, switching to the active version first when it moved. */
  async poolFor(fn: FunctionIR): Promise<Current> {
    if (this.#closed) throw new KoyaError('KL_API_FUNCTION_UNAVAILABLE', 'The server is stopping.')
    const activeId = this.#settings.fromSource ? undefined : this.#store.activeId(fn.name)
    const key = activeId === undefined ? 'source' : `v${activeId}`
    const current = this.#current.get(fn.name)
    if (current !== undefined && current.key === key) return current
    const pending = this.#switching.get(fn.name)
    if (pending !== undefined) {
      const next = await pending
      if (next.key === key) return next
    }
    const switching = this.#switchTo(fn, key, activeId).finally(() => this.#switching.delete(fn.name))
    this.#switching.set(fn.name, switching)
    return switching
  }

  /** Start the pool of every function (at server start), so the first calls find warm workers. */
  async warmAll(functions: readonly FunctionIR[]): Promise<void> {
    await Promise.all(functions.map(async (fn) => (await this.poolFor(fn)).pool.warm().catch(() => {})))
  }

  /** The pids of every running worker. */
  pids(): number[] {
    return [...this.#current.values()].flatMap((current) => current.pool.pids)
  }

  async close(): Promise<void> {
    this.#closed = true
    const pools = [...this.#current.values()].map((current) => current.pool)
    this.#current.clear()
    await Promise.all([...pools.map((pool) => pool.drain()), ...this.#draining])
    rmSync(this.#settings.workDir, { recursive: true, force: true })
  }

  async #switchTo(fn: FunctionIR, key: string, activeId: number | undefined): Promise<Current> {
    const code = await this.#codeOf(fn, activeId)
    const version = key === 'source' ? `source-${versionHash(code.code)}` : code.version
    const versionDir = path.join(this.#settings.workDir, `${fn.name}-${version}`)
    if (!existsSync(path.join(versionDir, 'main.js'))) {
      mkdirSync(versionDir, { recursive: true })
      writeFileSync(path.join(versionDir, 'fn.js'), code.code)
      // The map under the name the bundle's sourceMappingURL gives, so Deno's stack traces name the source (source-maps.ts).
      const mapName = /\/\/# sourceMappingURL=([\w.-]+\.map)\s*$/.exec(code.code)?.[1]
      if (code.sourceMap !== null && mapName !== undefined) writeFileSync(path.join(versionDir, mapName), relocateSourceMap(code.sourceMap, fn.bundle))
      writeFileSync(path.join(versionDir, 'user.js'), USER_SCRIPT)
      writeFileSync(path.join(versionDir, 'main.js'), MAIN_SCRIPT)
    }
    const env: Record<string, string> = {}
    for (const name of fn.env) {
      const value = this.#settings.env[name]
      if (value !== undefined) env[name] = value
    }
    const heapMb = fn.memoryBytes === null ? DEFAULT_HEAP_MB : Math.max(16, Math.floor(fn.memoryBytes / 2 ** 20))
    const pool = new WorkerPool(
      version,
      { deno: this.#settings.deno, versionDir, cacheDir: path.join(this.#settings.workDir, 'cache'), allowNet: fn.allowNet, env, heapMb, startTimeoutMs: this.#settings.startTimeoutMs },
      path.join(this.#settings.workDir, 'scratch'),
      this.#settings.pool,
    )
    const next: Current = { key, version, pool }
    const previous = this.#current.get(fn.name)
    this.#current.set(fn.name, next)
    if (previous !== undefined) {
      const drain = previous.pool.drain().finally(() => this.#draining.delete(drain))
      this.#draining.add(drain)
    }
    return next
  }

  async #codeOf(fn: FunctionIR, activeId: number | undefined): Promise<{ code: string; sourceMap: string | null; version: string }> {
    if (activeId !== undefined) {
      const row = this.#store.byId(activeId)
      if (row !== undefined && row.storedIn === 'storage') {
        // Read once per server and version: the version's directory is kept for the pools after it.
        const versionDir = path.join(this.#settings.workDir, `${fn.name}-${row.version}`)
        if (existsSync(path.join(versionDir, 'main.js'))) return { code: '', sourceMap: null, version: row.version }
        return { ...(await readBundle(await this.#settings.bundles(), fn.name, row.version)), version: row.version }
      }
      if (row !== undefined) return { code: row.code, sourceMap: row.sourceMap, version: row.version }
    }
    const root = this.#settings.root
    const file = root === undefined ? undefined : path.join(root, fn.bundle)
    if (file === undefined || !existsSync(file)) {
      throw new KoyaError('KL_API_FUNCTION_UNAVAILABLE', `Function "${fn.name}" has no deployed version and its bundle (${fn.bundle}) is not there.`, { hint: `Run \`koyalite generate\`, or \`koyalite functions deploy ${fn.name}\`.` })
    }
    const code = readFileSync(file, 'utf8')
    const map = existsSync(`${file}.map`) ? readFileSync(`${file}.map`, 'utf8') : null
    return { code, sourceMap: map, version: '' }
  }
}
