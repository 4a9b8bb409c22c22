import path from 'node:path'
import { KoyaError } from '../shared/errors.ts'
import { openDatabase, type SqliteDatabase } from '../shared/sqlite.ts'
import type { CliIO } from './io.ts'

export const DEFAULT_DATABASE = './data/koya.db'

/** `--db`, else KOYA_DB, else ./data/koya.db, relative to the working directory. */
export function databasePath(io: CliIO, flag: string | undefined): string {
  const file = flag ?? io.env.KOYA_DB ?? DEFAULT_DATABASE
  return file === ':memory:' ? file : path.resolve(io.cwd, file)
}

/** Open the database a command works on; a file that cannot be opened is the user's to fix. */
export function openCliDatabase(file: string): SqliteDatabase {
  try {
    return openDatabase(file)
  } catch (cause) {
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
