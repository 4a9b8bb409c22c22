import os from 'node:os'
import { bundleFunction } from '../../compiler/bundle-handlers.ts'
import type { FunctionIR } from '../../ir/project-ir.ts'
import { encryptObjectsWhenConfigured } from '../../runtime/compliance/encrypted-objects.ts'
import { createFunctionStore, type FunctionVersionView } from '../../runtime/functions/function-store.ts'
import { deployVersion, versionsStorageOf } from '../../runtime/functions/version-bundles.ts'
import type { StorageDriver } from '../../runtime/storage/driver.ts'
import { createStorageDriver, defaultStorageRoot } from '../../runtime/storage/drivers/index.ts'
import { applySystemSchema, loadModel, systemMigrations } from '../../runtime/index.ts'
import { KoyaError } from '../../shared/errors.ts'
import { parseCommandArgs } from '../args.ts'
import type { Command } from '../command.ts'
import { databasePath, openCliDatabase } from '../database-path.ts'
import { colors } from '../io.ts'

export const functionsCommand: Command = {
  usage: `koyalite functions <deploy|list|versions|rollback> [name] [--to version] [--db file]

  deploy [name]            bundle the function (all of them without a name) from its source,
                           with its relative imports and a source map, and store it in the
                           database (with KOYA_FUNCTIONS_VERSIONS=storage: its bytes in the
                           storage bucket, KOYA_STORAGE_DRIVER) as an immutable version named
                           by its content hash; running
                           servers serve it from their next call (calls in flight finish)
  list                     the functions and the version each serves
  versions <name>          a function's versions, newest first
  rollback <name>          serve the version deployed before the active one again
    --to <version>         …or this one: its number (v2, 2) or its hash
  --db <file>              the SQLite database (default: $KOYA_DB, else ./data/koya.db)

  Versions record who deployed them ($KOYA_DEPLOYED_BY, else cli:<os user>). Under
  \`koyalite dev\` functions run from source instead and reload on save.`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs('functions', args, { db: { type: 'string' }, to: { type: 'string' } })
    const [action, name] = positionals
    if (action !== 'deploy' && action !== 'list' && action !== 'versions' && action !== 'rollback') {
      throw new KoyaError('KL_CLI_USAGE', action === undefined ? 'functions needs an action.' : `functions has no action "${action}".`, { hint: 'Use `koyalite functions deploy`, `list`, `versions <name>` or `rollback <name>`.' })
    }
    const c = colors(io)
    const model = loadModel(io.cwd)
    const functions = model.functions ?? []
    const pick = (required: boolean): readonly FunctionIR[] => {
      if (name === undefined) {
        if (required) throw new KoyaError('KL_CLI_USAGE', `functions ${action} needs a function name.`, { hint: `Functions: ${functions.map((fn) => fn.name).join(', ') || '(none)'}.` })
        return functions
      }
      const fn = functions.find((candidate) => candidate.name === name)
      if (fn === undefined) throw new KoyaError('KL_CLI_USAGE', `The app has no function "${name}".`, { hint: `Functions: ${functions.map((f) => f.name).join(', ') || '(none)'}. Run \`koyalite generate\` after adding one.` })
      return [fn]
    }
    const db = openCliDatabase(databasePath(io, values.db))
    let driver: StorageDriver | undefined
    try {
      applySystemSchema(db, systemMigrations())
      const store = createFunctionStore(db, () => new Date())
      const by = io.env.KOYA_DEPLOYED_BY || `cli:${safeUser()}`
      // KOYA_FUNCTIONS_VERSIONS=storage: bundles go to the storage bucket, as the server reads them.
      const file = databasePath(io, values.db)
      const bucket = async (): Promise<StorageDriver | undefined> => {
        if (versionsStorageOf(io.env) === 'database') return undefined
        driver ??= encryptObjectsWhenConfigured(model, db, await createStorageDriver(io.env, defaultStorageRoot(file, io.env)))
        return driver
      }
      switch (action) {
        case 'deploy': {
          const chosen = pick(false)
          if (chosen.length === 0) io.out('No functions: add them to defineConfig({ functions }).')
          for (const fn of chosen) {
            const files = await bundleFunction(io.cwd, fn)
            const code = files.find((file) => file.path.endsWith('.js'))?.contents
            if (code === undefined) throw new KoyaError('KL_DEF_BUNDLE', `Bundling function "${fn.name}" produced no code.`)
            const map = files.find((file) => file.path.endsWith('.map'))?.contents ?? null
            const { version, created } = await deployVersion(store, await bucket(), fn.name, code, map, by)
            io.out(`${c.green('✓')} ${fn.name} ${c.cyan(`v${version.number}`)} ${c.dim(version.version)}${created ? '' : c.dim(' (same code as before: made active)')}`)
          }
          return 0
        }
        case 'list':
          if (functions.length === 0) io.out('No functions: add them to defineConfig({ functions }).')
          for (const fn of functions) {
            const active = store.versions(fn.name).find((v) => v.active)
            io.out(`  ${c.cyan(fn.name.padEnd(20))} ${fn.file.padEnd(32)} ${active === undefined ? c.dim('no version deployed (serves generated/)') : `v${active.number} ${c.dim(active.version)}`}`)
          }
          return 0
        case 'versions': {
          const [fn] = pick(true)
          const versions = store.versions(fn!.name)
          if (versions.length === 0) io.out(`No versions of ${fn!.name}: deploy one with \`koyalite functions deploy ${fn!.name}\`.`)
          for (const v of versions) io.out(line(v, c))
          return 0
        }
        case 'rollback': {
          const [fn] = pick(true)
          const version = store.rollback(fn!.name, values.to, by)
          io.out(`${c.green('✓')} ${fn!.name} now serves ${c.cyan(`v${version.number}`)} ${c.dim(version.version)}`)
          return 0
        }
      }
    } finally {
      await driver?.close()
      db.close()
    }
  },
}

function line(v: FunctionVersionView, c: ReturnType<typeof colors>): string {
  return `  ${v.active ? c.green('●') : ' '} ${c.cyan(`v${v.number}`.padEnd(5))} ${v.version}  ${v.deployedAt}  ${v.deployedBy}  ${v.bytes} bytes${v.storedIn === 'storage' ? c.dim('  (storage bucket)') : ''}`
}

function safeUser(): string {
  try {
    return os.userInfo().username
  } catch {
    return 'unknown'
  }
}
