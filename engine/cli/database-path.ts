import path from 'node:path'
import type { CliIO } from './io.ts'

export const DEFAULT_DATABASE = './data/koya.db'

/** `--db`, else KOYA_DB, else ./data/koya.db, relative to the working directory. */
export function databasePath(io: CliIO, flag: string | undefined): string {
  const file = flag ?? io.env.KOYA_DB ?? DEFAULT_DATABASE
  return file === ':memory:' ? file : path.resolve(io.cwd, file)
}
