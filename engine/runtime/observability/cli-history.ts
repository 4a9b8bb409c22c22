import type { SqliteDatabase } from '../../shared/sqlite.ts'
import type { SystemMigration } from '../system/system-schema.ts'

/**
 * The `koyalite` commands run against a project's database (`_koya_cli_history`), listed by
 * `GET /admin/cli-history`. The CLI records each command when it ends; a command that runs
 * before any server made the table (`koyalite migrate up` on a new database) creates it itself,
 * which is why the DDL says IF NOT EXISTS.
 */

const CREATE_HISTORY = `CREATE TABLE IF NOT EXISTS "_koya_cli_history" (
  "id" INTEGER PRIMARY KEY,
  "at" TEXT NOT NULL,
  "command" TEXT NOT NULL,
  "args" TEXT NOT NULL CHECK (json_valid("args")),
  "user" TEXT NOT NULL,
  "exitCode" INTEGER NOT NULL,
  "durationMs" REAL NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS "_koya_cli_history_at" ON "_koya_cli_history" ("at");`

export const CLI_HISTORY_MIGRATIONS: readonly SystemMigration[] = [{ name: 'observability_cli_history', sql: CREATE_HISTORY }]

/** One command run. */
export interface CliCommandRun {
  readonly id: number
  readonly at: string
  readonly command: string
  /** With secrets masked (maskArguments). */
  readonly args: readonly string[]
  readonly user: string
  readonly exitCode: number
  readonly durationMs: number
}

/** Most rows kept: older ones are deleted as new ones come. */
const KEPT = 10_000

/**
 * Record a finished command (its arguments masked here, whatever the caller passed).
 *
 * @example
 * recordCliCommand(db, { at: new Date(), command: 'migrate', args: ['up'], user: 'ana', exitCode: 0, durationMs: 41 })
 */
export function recordCliCommand(db: SqliteDatabase, run: Omit<CliCommandRun, 'id' | 'at'> & { readonly at: Date }): void {
  db.exec(CREATE_HISTORY)
  db.prepare('INSERT INTO "_koya_cli_history" ("at", "command", "args", "user", "exitCode", "durationMs") VALUES (?, ?, ?, ?, ?, ?)').run(
    run.at.toISOString(),
    run.command,
    JSON.stringify(maskArguments(run.args)),
    run.user,
    run.exitCode,
    Math.round(run.durationMs * 100) / 100,
  )
  db.prepare(`DELETE FROM "_koya_cli_history" WHERE "id" <= (SELECT MAX("id") FROM "_koya_cli_history") - ${KEPT}`).run()
}

/**
 * Newest first.
 *
 * @example
 * listCliCommands(db, { command: 'backup', limit: 20 })
 */
export function listCliCommands(db: SqliteDatabase, filter: { readonly command?: string; readonly limit: number }): CliCommandRun[] {
  const rows = db
    .prepare(`SELECT * FROM "_koya_cli_history"${filter.command !== undefined ? ' WHERE "command" = ?' : ''} ORDER BY "id" DESC LIMIT +?`)
    .all(...(filter.command !== undefined ? [filter.command] : []), filter.limit) as (Omit<CliCommandRun, 'args'> & { args: string })[]
  return rows.map((row) => ({ ...row, args: JSON.parse(row.args) as string[] }))
}

const SECRET_NAME = /(secret|token|password|passwd|api[-_]?key|service[-_]?key|private[-_]?key|credential|auth)/i

/**
 * Arguments with secrets masked: the value of a flag whose name says it is a secret
 * (`--service-key x`, `--token=x`), a `NAME=value` pair whose name does, and the password of a URL
 * (`postgres://user:pw@host`).
 *
 * @example
 * maskArguments(['--api-key', 'abc', 'KOYA_SERVICE_KEY=xyz', 'up']) // ['--api-key', '***', 'KOYA_SERVICE_KEY=***', 'up']
 */
export function maskArguments(args: readonly string[]): string[] {
  const out: string[] = []
  let maskNext = false
  for (const arg of args) {
    if (maskNext) {
      out.push('***')
      maskNext = false
      continue
    }
    const flag = /^(--?[\w-]+)(=(.*))?$/.exec(arg)
    if (flag !== null && SECRET_NAME.test(flag[1]!)) {
      if (flag[2] === undefined) maskNext = true
      out.push(flag[2] === undefined ? arg : `${flag[1]}=***`)
      continue
    }
    const pair = /^([A-Za-z_][\w.-]*)=(.*)$/.exec(arg)
    if (pair !== null && SECRET_NAME.test(pair[1]!)) {
      out.push(`${pair[1]}=***`)
      continue
    }
    out.push(arg.replace(/(\w+:\/\/[^:/@\s]+:)[^@\s]+@/g, '$1***@'))
  }
  return out
}
