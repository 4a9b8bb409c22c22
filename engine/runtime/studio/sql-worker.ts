import Database from 'better-sqlite3'

/**
 * The SQL console's read-only run, in a child process of its own: the server's event loop never
 * waits on it, and a statement past its time limit is stopped for sure (the process is killed;
 * a worker thread could not be stopped while SQLite runs native code). Opens its own read-only
 * connection: SQLite itself refuses any write on it.
 */
const post = (message: unknown) => process.send!(message, () => process.exit(0))
process.once('message', (input: { file: string; sql: string; limit: number }) => run(input))

function run({ file, sql, limit }: { file: string; sql: string; limit: number }): void {
try {
  const db = new Database(file, { readonly: true, fileMustExist: true })
  db.pragma('query_only = ON')
  const statement = db.prepare(sql)
  if (!statement.readonly) {
    post({ kind: 'write' })
  } else if (!statement.reader) {
    statement.run()
    post({ kind: 'rows', columns: [], rows: [], truncated: false })
  } else {
    const columns = statement.columns().map((c) => c.name)
    const rows: unknown[][] = []
    let truncated = false
    for (const row of statement.raw(true).iterate() as IterableIterator<unknown[]>) {
      if (rows.length === limit) {
        truncated = true
        break
      }
      rows.push(row.map((value) => (typeof value === 'bigint' ? value.toString() : Buffer.isBuffer(value) ? `x'${value.toString('hex')}'` : value)))
    }
    post({ kind: 'rows', columns, rows, truncated })
  }
  db.close()
} catch (error) {
  post({ kind: 'error', message: error instanceof Error ? error.message : String(error) })
}
}
