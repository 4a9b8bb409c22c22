import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { ProjectIR } from '../ir/project-ir.ts'
import { KoyaError } from '../shared/errors.ts'
import { synchronousOf } from '../ir/privacy.ts'
import { openDatabase, type OpenDatabaseOptions, type SqliteDatabase } from '../shared/sqlite.ts'
import type { CliIO } from './io.ts'

export const DEFAULT_DATABASE = './data/koya.db'

/** `--db`, else KOYA_DB, else ./data/koya.db, relative to the working directory. */
export function databasePath(io: CliIO, flag: string | undefined): string {
  const file = flag ?? io.env.KOYA_DB ?? DEFAULT_DATABASE
  return file === ':memory:' ? file : path.resolve(io.cwd, file)
}

/**
 * The key of `database: { encryption: { key: env('NAME') } }` from generated/model.json and the
 * environment; undefined when the app does not encrypt. A configured but unset variable is an error.
 */
export function databaseEncryptionOf(io: CliIO): { readonly key: string } | undefined {
  return encryptionOf(io, generatedModel(io))
}

/** How the app's database is opened (generated/model.json): its key and its `synchronous` level. */
export function databaseOptionsOf(io: CliIO): Pick<OpenDatabaseOptions, 'encryption' | 'synchronous'> {
  const model = generatedModel(io)
  const encryption = encryptionOf(io, model)
  return { ...(encryption === undefined ? {} : { encryption }), ...(model === undefined ? {} : { synchronous: synchronousOf(model) }) }
}

function generatedModel(io: CliIO): ProjectIR | undefined {
  try {
    return JSON.parse(readFileSync(path.join(io.cwd, 'generated', 'model.json'), 'utf8')) as ProjectIR
  } catch {
    return undefined // no generated app here (a bare database): opened as it is
  }
}

function encryptionOf(io: CliIO, model: ProjectIR | undefined): { readonly key: string } | undefined {
  const name = model?.database?.encryption?.key.env
  if (name === undefined) return undefined
  const key = io.env[name]
  if (key === undefined || key === '') throw new KoyaError('KL_COMPLIANCE_WRONG_KEY', `The database is encrypted with the key in $${name}, which is not set.`, { hint: `Set ${name} to the database's key.` })
  return { key }
}

/** Open the database a command works on; a file that cannot be opened is the user's to fix. */
export function openCliDatabase(file: string, options: Pick<OpenDatabaseOptions, 'encryption' | 'synchronous'> = {}): SqliteDatabase {
  try {
    return openDatabase(file, options)
  } catch (cause) {
    if (cause instanceof KoyaError) throw cause
    throw new KoyaError('KL_CLI_DATABASE', `Cannot open the database ${file}: ${(cause as Error).message}.`, { cause })
  }
}

/** Listening failed because of the address, not because of KoyaLite. */
export function listenError(cause: unknown, host: string, port: number): unknown {
  const code = (cause as { code?: unknown })?.code
  if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES') {
    return new KoyaError('KL_CLI_PORT_IN_USE', `Cannot listen on ${host}:${port} (${String(code)}).`, { cause })
  }
  return cause
}
