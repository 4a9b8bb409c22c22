import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { KoyaError } from '../../shared/errors.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'

export interface SqlResult {
  readonly columns: readonly string[]
  readonly rows: readonly (readonly unknown[])[]
  readonly truncated: boolean
  /** Rows changed by a write (dev write mode); null for a read. */
  readonly changes: number | null
  readonly ms: number
}

type WorkerAnswer =
  | { kind: 'rows'; columns: string[]; rows: unknown[][]; truncated: boolean }
  | { kind: 'write' }
  | { kind: 'error'; message: string }

/** The child's module: .ts under the TypeScript sources (Node strips the types), .js once built. */
const WORKER = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './sql-worker.ts' : './sql-worker.js', import.meta.url))

const sqlError = (message: string) => new KoyaError('KL_API_SQL_ERROR', `SQLite refused the statement: ${message}`)

/**
 * One statement on a read-only connection of its own, in a child process: past `timeLimitMs`
 * the answer is KL_API_SQL_TIMEOUT and the process is killed (decision 98: better-sqlite3 has no
 * statement timeout, progress handler nor interrupt, a worker thread cannot be stopped inside
 * native code, and the server's own connection must never run an admin's slow query).
 *
 * @example
 * await runReadOnlySql(db.name, 'SELECT count(*) FROM tasks', { rowLimit: 1000, timeLimitMs: 5000 })
 */
export function runReadOnlySql(file: string, sql: string, limits: { rowLimit: number; timeLimitMs: number }): Promise<SqlResult> {
  if (file === '' || file === ':memory:') return Promise.reject(sqlError('the console needs a database file (this server runs on an in-memory database).'))
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const worker = fork(WORKER, [], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], execArgv: [], serialization: 'advanced' })
    worker.send({ file, sql, limit: limits.rowLimit })
    let settled = false
    const settle = (action: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      action()
      if (worker.exitCode === null) worker.kill('SIGKILL')
    }
    const timer = setTimeout(() => settle(() => reject(new KoyaError('KL_API_SQL_TIMEOUT', `The statement ran past ${limits.timeLimitMs} ms and was stopped.`))), limits.timeLimitMs)
    worker.once('message', (answer: WorkerAnswer) =>
      settle(() => {
        if (answer.kind === 'error') reject(sqlError(answer.message))
        else if (answer.kind === 'write') reject(writeRefused())
        else resolve({ columns: answer.columns, rows: answer.rows, truncated: answer.truncated, changes: null, ms: performance.now() - started })
      }),
    )
    worker.once('error', (error) => settle(() => reject(sqlError(error.message))))
    worker.once('exit', () => settle(() => reject(sqlError('the console\'s process stopped without an answer.'))))
  })
}

export function writeRefused(): KoyaError {
  return new KoyaError('KL_API_SQL_WRITE_REFUSED', 'The SQL console is read-only here: writes run only under `koyalite dev`, in write mode, confirmed.', {
    hint: 'Change data through the API or the data browser; or run `koyalite dev` and tick write mode.',
  })
}

/**
 * A write in the dev console: on the app's own connection (so write events are not emitted:
 * Studio says so), returning rows when the statement does (`RETURNING`).
 */
export function runDevWrite(db: SqliteDatabase, sql: string, rowLimit: number): SqlResult {
  const started = performance.now()
  let statement
  try {
    statement = db.prepare(sql)
  } catch (error) {
    throw sqlError(error instanceof Error ? error.message : String(error))
  }
  try {
    if (statement.reader) {
      const rows = (statement.raw(true).all() as unknown[][]).map((row) => row.map((v) => (typeof v === 'bigint' ? v.toString() : v)))
      return { columns: statement.columns().map((c) => c.name), rows: rows.slice(0, rowLimit), truncated: rows.length > rowLimit, changes: null, ms: performance.now() - started }
    }
    const { changes } = statement.run()
    return { columns: [], rows: [], truncated: false, changes, ms: performance.now() - started }
  } catch (error) {
    throw sqlError(error instanceof Error ? error.message : String(error))
  }
}
