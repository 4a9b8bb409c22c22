import { createHash } from 'node:crypto'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { SystemMigration } from '../system/system-schema.ts'

/**
 * The functions' tables:
 *
 * - `_koya_function_versions`: every deployed version, immutable: the bundle and its source map,
 *   its content hash (`version`, the first 12 hex digits of the bundle's SHA-256), its number per
 *   function (1, 2, …), who deployed it and when. Deploying the same bytes again makes no new row.
 * - `_koya_function_active`: the version each function serves. Deploy and rollback move this
 *   pointer, in one statement: a server sees the switch on its next call.
 * - `_koya_function_invocations`: one row per call (request id, version, status, duration, peak
 *   resident memory, captured stdout/stderr cut at 16 KiB, the error), kept 7 days.
 */
export const FUNCTION_MIGRATIONS: readonly SystemMigration[] = [
  {
    name: 'functions_0001_versions_invocations',
    sql: `
CREATE TABLE "_koya_function_versions" (
  "id" INTEGER PRIMARY KEY,
  "function" TEXT NOT NULL,
  "number" INTEGER NOT NULL,
  "version" TEXT NOT NULL,
  "code" TEXT NOT NULL,
  "sourceMap" TEXT,
  "deployedBy" TEXT NOT NULL,
  "deployedAt" INTEGER NOT NULL,
  UNIQUE ("function", "version"),
  UNIQUE ("function", "number")
) STRICT;
CREATE TABLE "_koya_function_active" (
  "function" TEXT PRIMARY KEY NOT NULL,
  "versionId" INTEGER NOT NULL REFERENCES "_koya_function_versions" ("id"),
  "switchedAt" INTEGER NOT NULL,
  "switchedBy" TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TABLE "_koya_function_invocations" (
  "id" INTEGER PRIMARY KEY,
  "function" TEXT NOT NULL,
  "version" TEXT NOT NULL,
  "requestId" TEXT NOT NULL,
  "status" INTEGER NOT NULL,
  "durationMs" INTEGER NOT NULL,
  "memoryBytes" INTEGER,
  "stdout" TEXT NOT NULL,
  "stderr" TEXT NOT NULL,
  "error" TEXT,
  "at" INTEGER NOT NULL
) STRICT;
CREATE INDEX "_koya_function_invocations_function" ON "_koya_function_invocations" ("function", "id");
`,
  },
  {
    // Versions whose bundle and map are in the storage bucket (version-bundles.ts): "code" is
    // empty and "sourceMap" null in the row, "bytes" keeps the bundle's size.
    name: 'functions_0002_versions_in_storage',
    sql: `
ALTER TABLE "_koya_function_versions" ADD COLUMN "storedIn" TEXT NOT NULL DEFAULT 'database' CHECK ("storedIn" IN ('database', 'storage'));
ALTER TABLE "_koya_function_versions" ADD COLUMN "bytes" INTEGER;
`,
  },
]

/** A deployed version as listed (without its code). */
export interface FunctionVersionView {
  readonly function: string
  readonly number: number
  /** The content hash: 12 hex digits of the bundle's SHA-256. */
  readonly version: string
  readonly bytes: number
  readonly deployedBy: string
  readonly deployedAt: string
  readonly active: boolean
  /** Where its bundle and source map are: the database, or the storage bucket (version-bundles.ts). */
  readonly storedIn: 'database' | 'storage'
}

export interface FunctionVersion extends FunctionVersionView {
  /** The bundle; empty for a version kept in the storage bucket (read it with readBundle). */
  readonly code: string
  readonly sourceMap: string | null
}

export interface InvocationView {
  readonly id: number
  readonly function: string
  readonly version: string
  readonly requestId: string
  readonly status: number
  readonly durationMs: number
  readonly memoryBytes: number | null
  readonly stdout: string
  readonly stderr: string
  readonly error: string | null
  readonly at: string
}

export interface FunctionStore {
  /**
   * Store a bundle as a version (or find the same bytes already stored) and make it the active one.
   * `storedIn: 'storage'`: the bytes are already in the bucket (deployVersion put them there); the
   * row keeps only their size.
   */
  deploy(fn: string, code: string, sourceMap: string | null, by: string, storedIn?: 'database' | 'storage'): { version: FunctionVersionView; created: boolean }
  /** Whether the function has a version of this content hash. */
  hasVersion(fn: string, hash: string): boolean
  /** The version a function serves: its id in the table, or undefined when none was deployed. */
  activeId(fn: string): number | undefined
  byId(id: number): FunctionVersion | undefined
  versions(fn: string): FunctionVersionView[]
  /** Make another version active: `to` (a number or a hash), or else the one deployed before the active one. */
  rollback(fn: string, to: string | undefined, by: string): FunctionVersionView
  /** Log one call. Rows are written in batches (one transaction each), within `INVOCATION_FLUSH_MS`; reads flush first. */
  recordInvocation(entry: Omit<InvocationView, 'id' | 'at'>, at: number): void
  /** Write the rows not yet written (on close). */
  flushInvocations(): void
  invocations(fn: string, options: { before?: number; limit: number }): InvocationView[]
  purgeInvocations(before: number): void
}

/** How long a logged call may wait before its row is written, and how many rows are written at most at once. */
export const INVOCATION_FLUSH_MS = 50
const INVOCATION_BATCH = 256

/** The content hash a version is named by. */
export function versionHash(code: string): string {
  return createHash('sha256').update(code).digest('hex').slice(0, 12)
}

interface VersionRow {
  id: number
  function: string
  number: number
  version: string
  code: string
  sourceMap: string | null
  deployedBy: string
  deployedAt: number
  active: number
  storedIn: 'database' | 'storage'
  bytes: number | null
}

const VERSION_COLUMNS = `v."id", v."function", v."number", v."version", v."code", v."sourceMap", v."deployedBy", v."deployedAt", v."storedIn", v."bytes", (a."versionId" IS NOT NULL) AS "active"`
const FROM = `FROM "_koya_function_versions" v LEFT JOIN "_koya_function_active" a ON a."function" = v."function" AND a."versionId" = v."id"`

/**
 * The versions, the active pointer and the invocation log of functions, in the app's database.
 *
 * @example
 * const store = createFunctionStore(db, () => new Date())
 * store.deploy('hello', code, map, 'cli:alice')
 * store.rollback('hello', undefined, 'cli:alice')
 */
export function createFunctionStore(db: SqliteDatabase, clock: () => Date): FunctionStore {
  const view = (row: VersionRow): FunctionVersion => ({
    function: row.function,
    number: row.number,
    version: row.version,
    bytes: row.bytes ?? Buffer.byteLength(row.code),
    deployedBy: row.deployedBy,
    deployedAt: new Date(row.deployedAt).toISOString(),
    active: row.active === 1,
    storedIn: row.storedIn,
    code: row.code,
    sourceMap: row.sourceMap,
  })
  const brief = ({ code: _code, sourceMap: _map, ...rest }: FunctionVersion): FunctionVersionView => rest
  const activate = db.prepare(`INSERT INTO "_koya_function_active" ("function", "versionId", "switchedAt", "switchedBy") VALUES (?, ?, ?, ?) ON CONFLICT ("function") DO UPDATE SET "versionId" = excluded."versionId", "switchedAt" = excluded."switchedAt", "switchedBy" = excluded."switchedBy"`)
  const active = db.prepare(`SELECT "versionId" FROM "_koya_function_active" WHERE "function" = ?`).pluck()
  const byId = db.prepare(`SELECT ${VERSION_COLUMNS} ${FROM} WHERE v."id" = ?`)
  const byHash = db.prepare(`SELECT ${VERSION_COLUMNS} ${FROM} WHERE v."function" = ? AND v."version" = ?`)
  const byNumber = db.prepare(`SELECT ${VERSION_COLUMNS} ${FROM} WHERE v."function" = ? AND v."number" = ?`)
  const list = db.prepare(`SELECT ${VERSION_COLUMNS} ${FROM} WHERE v."function" = ? ORDER BY v."number" DESC`)
  const insert = db.prepare(`INSERT INTO "_koya_function_versions" ("function", "number", "version", "code", "sourceMap", "deployedBy", "deployedAt", "storedIn", "bytes") VALUES (?, (SELECT COALESCE(MAX("number"), 0) + 1 FROM "_koya_function_versions" WHERE "function" = ?), ?, ?, ?, ?, ?, ?, ?)`)
  const exists = db.prepare(`SELECT 1 FROM "_koya_function_versions" WHERE "function" = ? AND "version" = ?`).pluck()
  const previous = db.prepare(`SELECT ${VERSION_COLUMNS} ${FROM} WHERE v."function" = ? AND v."number" < ? ORDER BY v."number" DESC LIMIT 1`)
  const record = db.prepare(`INSERT INTO "_koya_function_invocations" ("function", "version", "requestId", "status", "durationMs", "memoryBytes", "stdout", "stderr", "error", "at") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
  const invocations = db.prepare(`SELECT * FROM "_koya_function_invocations" WHERE "function" = ? AND "id" < ? ORDER BY "id" DESC LIMIT +?`)
  const purge = db.prepare(`DELETE FROM "_koya_function_invocations" WHERE "id" IN (SELECT "id" FROM "_koya_function_invocations" WHERE "at" < ? LIMIT 10000)`)
  // The log is written in batches: one transaction per batch instead of one commit per call.
  let unwritten: (readonly unknown[])[] = []
  let flushTimer: NodeJS.Timeout | undefined
  const writeAll = db.transaction((rows: (readonly unknown[])[]) => {
    for (const row of rows) record.run(...row)
  })
  const flush = () => {
    clearTimeout(flushTimer)
    flushTimer = undefined
    if (unwritten.length === 0) return
    const rows = unwritten
    unwritten = []
    writeAll(rows)
  }
  const get = (statement: { get(...args: unknown[]): unknown }, ...args: unknown[]) => {
    const row = statement.get(...args) as VersionRow | undefined
    return row === undefined ? undefined : view(row)
  }
  const deploy = db.transaction((fn: string, code: string, sourceMap: string | null, by: string, storedIn: 'database' | 'storage') => {
    const hash = versionHash(code)
    const now = clock().getTime()
    let created = false
    let row = get(byHash, fn, hash)
    if (row === undefined) {
      const inBucket = storedIn === 'storage'
      const id = Number(insert.run(fn, fn, hash, inBucket ? '' : code, inBucket ? null : sourceMap, by, now, storedIn, Buffer.byteLength(code)).lastInsertRowid)
      row = get(byId, id)!
      created = true
    }
    activate.run(fn, (byHash.get(fn, hash) as VersionRow).id, now, by)
    return { version: brief({ ...get(byHash, fn, hash)! }), created }
  })
  const rollback = db.transaction((fn: string, to: string | undefined, by: string) => {
    let target: FunctionVersion | undefined
    if (to !== undefined) {
      const number = /^v?(\d{1,9})$/.exec(to)
      target = number ? get(byNumber, fn, Number(number[1])) : get(byHash, fn, to)
      if (target === undefined) throw new KoyaError('KL_API_NOT_FOUND', `Function "${fn}" has no version "${to}".`, { hint: `List them with \`koyalite functions versions ${fn}\`.` })
    } else {
      const current = active.get(fn) as number | undefined
      const currentRow = current === undefined ? undefined : get(byId, current)
      if (currentRow === undefined) throw new KoyaError('KL_API_NOT_FOUND', `Function "${fn}" has no deployed version to roll back from.`, { hint: `Deploy one with \`koyalite functions deploy ${fn}\`.` })
      target = get(previous, fn, currentRow.number)
      if (target === undefined) throw new KoyaError('KL_API_NOT_FOUND', `Function "${fn}" has no version before v${currentRow.number}.`, { hint: 'Name the version with --to.' })
    }
    activate.run(fn, (byHash.get(fn, target.version) as VersionRow).id, clock().getTime(), by)
    return brief(get(byHash, fn, target.version)!)
  })
  return {
    deploy: (fn, code, sourceMap, by, storedIn = 'database') => deploy(fn, code, sourceMap, by, storedIn),
    hasVersion: (fn, hash) => exists.get(fn, hash) !== undefined,
    activeId: (fn) => active.get(fn) as number | undefined,
    byId: (id) => get(byId, id),
    versions: (fn) => (list.all(fn) as VersionRow[]).map((row) => brief(view(row))),
    rollback: (fn, to, by) => rollback(fn, to, by),
    recordInvocation(entry, at) {
      unwritten.push([entry.function, entry.version, entry.requestId, entry.status, entry.durationMs, entry.memoryBytes, entry.stdout, entry.stderr, entry.error, at])
      if (unwritten.length >= INVOCATION_BATCH) flush()
      else if (flushTimer === undefined) {
        flushTimer = setTimeout(flush, INVOCATION_FLUSH_MS)
        flushTimer.unref()
      }
    },
    flushInvocations: flush,
    invocations(fn, options) {
      flush()
      const rows = invocations.all(fn, options.before ?? Number.MAX_SAFE_INTEGER, options.limit) as (Omit<InvocationView, 'at'> & { at: number })[]
      return rows.map((row) => ({ ...row, at: new Date(row.at).toISOString() }))
    },
    purgeInvocations(before) {
      flush()
      purge.run(before)
    },
  }
}
