import { existsSync } from 'node:fs'
import os from 'node:os'
import { recordCliCommand } from '../runtime/observability/cli-history.ts'
import { openDatabase } from '../shared/sqlite.ts'
import { databasePath } from './database-path.ts'
import type { CliIO } from './io.ts'

/**
 * Record a finished `koyalite` command in the project's database (`_koya_cli_history`, listed by
 * `GET /admin/cli-history`), when the project has one. Best effort: a database that is locked,
 * read-only or not a KoyaLite database never changes the command's outcome. `KOYA_CLI_HISTORY=off`
 * turns it off.
 *
 * @example
 * const started = performance.now()
 * const code = await command.run(rest, io)
 * recordCommand(io, 'migrate', rest, code, performance.now() - started)
 */
export function recordCommand(io: CliIO, command: string, args: readonly string[], exitCode: number, durationMs: number): void {
  if (io.env.KOYA_CLI_HISTORY === 'off') return
  try {
    const file = databasePath(io, dbFlagOf(args))
    if (file === ':memory:' || !existsSync(file)) return
    const db = openDatabase(file)
    try {
      recordCliCommand(db, { at: new Date(), command, args, user: userOf(io), exitCode, durationMs })
    } finally {
      db.close()
    }
  } catch {
    // History is a convenience: the command already did its work.
  }
}

/** `--db file` or `--db=file`, as the commands read it. */
function dbFlagOf(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '--db') return args[i + 1]
    if (arg.startsWith('--db=')) return arg.slice(5)
  }
  return undefined
}

function userOf(io: CliIO): string {
  try {
    return io.env.USER ?? os.userInfo().username
  } catch {
    return 'unknown'
  }
}
