import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { FunctionIR } from '../../ir/project-ir.ts'
import { parseDurationMs } from '../../shared/durations.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { Env } from '../auth/auth-settings.ts'
import { defineModule } from '../modules/feature-module.ts'
import { encryptObjectsWhenConfigured } from '../compliance/encrypted-objects.ts'
import type { StorageDriver } from '../storage/driver.ts'
import { createStorageDriver, defaultStorageRoot } from '../storage/drivers/index.ts'
import { denoBinary } from './deno-binary.ts'
import type { CallLimits } from './deno-worker.ts'
import { FunctionHost } from './function-host.ts'
import { createFunctionStore, FUNCTION_MIGRATIONS } from './function-store.ts'
import { registerFunctionsAdmin } from './functions-admin.ts'
import { registerInvokeRoutes } from './invoke-route.ts'
import { versionsStorageOf } from './version-bundles.ts'

export interface FunctionsModuleOptions {
  /** The project root: generated/functions/<name>.js is read from there (`koyalite start`/`dev` pass the working directory). */
  readonly root?: string
  /** The Deno executable. Default: KOYA_DENO_PATH, else the `deno` npm package's binary. */
  readonly deno?: string
  /** Where workers' code and scratch dirs go. Default: a new directory under the OS temp dir, removed on close. */
  readonly workDir?: string
  /** Serve the generated bundle even when a version is deployed. Default: under `koyalite dev`. */
  readonly fromSource?: boolean
  /** Warm workers kept per function. Default 1. */
  readonly minWorkers?: number
  /** Workers at once per function. `KOYA_FUNCTIONS_MAX_WORKERS`, default the cores this process may run on, at most 4. */
  readonly maxWorkers?: number
  /** Calls one worker runs at once (async handlers interleave). `KOYA_FUNCTIONS_CONCURRENCY`, default 16. */
  readonly concurrency?: number
  /** Calls waiting for a worker, per function, past which calls are refused (503). Default 256. */
  readonly maxWaiting?: number
  /** Restart a worker after this many calls. Default 100 000. */
  readonly maxCallsPerWorker?: number
  /** CPU time one call may use. `KOYA_FUNCTIONS_CPU_LIMIT`, default 5 s (never more than the call's timeout). */
  readonly cpuLimitMs?: number
  /** Wall-clock limit of a function without `timeout`. Default 10 s. */
  readonly defaultTimeoutMs?: number
  /** The largest request body. `KOYA_FUNCTIONS_BODY_LIMIT` (bytes), default 1 MiB. */
  readonly bodyLimit?: number
  /** How long a worker may take to start and load its function. Default 10 s. */
  readonly startTimeoutMs?: number
}

const MB = 2 ** 20
const DEFAULT_HEAP = 128 * MB
const INVOCATION_RETENTION_MS = 7 * 86_400_000

/**
 * Edge functions (`defineConfig({ functions })`): `/functions/<name>` runs the function's active
 * version on a pool of warm Deno workers with the narrowest permissions; /admin/functions lists
 * versions, deploys, rolls back and shows the invocation log.
 */
export const functionsModule = defineModule<FunctionsModuleOptions | undefined>({
  name: 'functions',
  systemMigrations: FUNCTION_MIGRATIONS,
  async register(app, runtime, options = {}) {
    const functions = runtime.model.functions ?? []
    if (functions.length === 0) return
    const settings = { ...settingsFrom(runtime.env), ...options }
    const store = createFunctionStore(runtime.db, runtime.clock)
    // Versions in the storage bucket (KOYA_FUNCTIONS_VERSIONS=storage): the storage module's driver
    // when the app has buckets, else one made here from the same settings (and closed here).
    const versionsIn = versionsStorageOf(runtime.env)
    let ownDriver: Promise<StorageDriver> | undefined
    const bundles = (): Promise<StorageDriver> => {
      const shared = runtime.storageDriver()
      if (shared !== undefined) return Promise.resolve(shared)
      ownDriver ??= createStorageDriver(runtime.env, runtime.storageRoot() ?? defaultStorageRoot(runtime.db.memory ? ':memory:' : runtime.db.name, runtime.env)).then((driver) =>
        encryptObjectsWhenConfigured(runtime.model, runtime.db, driver),
      )
      return ownDriver
    }
    const workDir = settings.workDir ?? mkdtempSync(path.join(os.tmpdir(), 'koya-functions-'))
    const host = new FunctionHost(
      {
        deno: settings.deno ?? denoBinary(runtime.env),
        workDir,
        root: settings.root,
        fromSource: settings.fromSource ?? runtime.dev,
        pool: { min: settings.minWorkers ?? 1, max: settings.maxWorkers ?? defaultMaxWorkers(), perWorker: settings.concurrency ?? 16, maxWaiting: settings.maxWaiting ?? 256, maxCallsPerWorker: settings.maxCallsPerWorker ?? 100_000 },
        startTimeoutMs: settings.startTimeoutMs ?? 10_000,
        env: runtime.env,
        bundles,
      },
      store,
    )
    const limitsOf = (fn: FunctionIR): CallLimits => {
      const wallMs = fn.timeoutMs ?? settings.defaultTimeoutMs ?? 10_000
      const heap = fn.memoryBytes ?? DEFAULT_HEAP
      return { wallMs, cpuMs: Math.min(wallMs, settings.cpuLimitMs ?? 5_000), rssBytes: 3 * heap + 128 * MB }
    }
    registerInvokeRoutes(app, { functions, host, store, actorOf: runtime.actorOf, clock: runtime.clock, bodyLimit: settings.bodyLimit ?? MB, limitsOf, dev: runtime.dev })
    registerFunctionsAdmin(app, { model: runtime.model, store, admin: runtime.adminDeps(), bundles: versionsIn === 'storage' ? bundles : undefined })
    const purge = setInterval(() => {
      try {
        store.purgeInvocations(runtime.clock().getTime() - INVOCATION_RETENTION_MS)
      } catch (error) {
        app.log.error({ err: error }, 'purging the function invocation log failed')
      }
    }, 3_600_000)
    purge.unref()
    app.addHook('onReady', async () => {
      // Warm in the background: a function that fails to load answers 503 on its calls, the server starts anyway.
      void host.warmAll(functions).catch((error: unknown) => app.log.warn({ err: error }, 'a function could not be warmed'))
    })
    app.addHook('onClose', async () => {
      clearInterval(purge)
      await host.close()
      store.flushInvocations()
      if (ownDriver !== undefined) await (await ownDriver.catch(() => undefined))?.close()
    })
  },
})

/**
 * More Deno processes than cores only add context switches (decision 203): the cores this
 * process may run on (its CPU affinity, so `taskset` counts), at most 4.
 */
function defaultMaxWorkers(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()))
}

function settingsFrom(env: Env): FunctionsModuleOptions {
  const positive = (name: string): number | undefined => {
    const text = env[name]
    if (text === undefined || text === '') return undefined
    const value = Number(text)
    if (!Number.isInteger(value) || value <= 0) throw new KoyaError('KL_API_FUNCTION_UNAVAILABLE', `${name}="${text}" is not a positive whole number.`)
    return value
  }
  const cpu = env.KOYA_FUNCTIONS_CPU_LIMIT
  const defined = Object.entries({
    maxWorkers: positive('KOYA_FUNCTIONS_MAX_WORKERS'),
    concurrency: positive('KOYA_FUNCTIONS_CONCURRENCY'),
    bodyLimit: positive('KOYA_FUNCTIONS_BODY_LIMIT'),
    cpuLimitMs: cpu === undefined || cpu === '' ? undefined : parseDurationMs(cpu),
  }).filter(([, value]) => value !== undefined)
  return Object.fromEntries(defined) as FunctionsModuleOptions
}
