import type { SqliteDatabase } from '../../shared/sqlite.ts'
import type { DataLayer } from '../data/data-layer.ts'
import { statementsOf } from '../data/statement-cache.ts'
import type { WriteOperation } from '../data/write-events.ts'
import type { SystemMigration } from '../system/system-schema.ts'

/**
 * The realtime change log: one entry per row every write commits through the data layer, in
 * commit order, with a monotonically increasing id. The id is the rowid (max + 1); the retention
 * purge never removes the newest entry, so an id is never given twice. (The first version had
 * AUTOINCREMENT and an index on `at`: two more pages written by every write's commit, measured at
 * a quarter of a one-row insert's cost; `0002_rowid_log` moves to this shape.) It is written inside the write's transaction (a transaction-phase write
 * subscriber: a committed write always has its entries, a rolled-back one never), so every process
 * on the database file (a second server, a job worker) feeds the same log, and a server delivers
 * what it finds there: its own writes at once (a commit-phase subscriber wakes it), other
 * processes' writes at the next poll.
 *
 * `_koya_realtime_auth_epoch` counts ended sessions and role changes (triggers on the auth
 * module's tables, from any process), so open connections re-check their sessions only when it
 * moves.
 */
export const REALTIME_SYSTEM_MIGRATIONS: readonly SystemMigration[] = [
  {
    name: 'realtime',
    sql: `
CREATE TABLE "_koya_realtime_events" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT,
  "table" TEXT NOT NULL,
  "operation" TEXT NOT NULL CHECK ("operation" IN ('create', 'update', 'delete')),
  "rowId" TEXT NOT NULL,
  "old" TEXT,
  "at" INTEGER NOT NULL
) STRICT;
CREATE INDEX "_koya_realtime_events_at" ON "_koya_realtime_events" ("at");
CREATE TABLE "_koya_realtime_auth_epoch" (
  "id" INTEGER PRIMARY KEY CHECK ("id" = 1),
  "epoch" INTEGER NOT NULL
) STRICT;
INSERT INTO "_koya_realtime_auth_epoch" ("id", "epoch") VALUES (1, 0);
CREATE TRIGGER "_koya_realtime_session_ended" AFTER DELETE ON "_koya_sessions"
BEGIN UPDATE "_koya_realtime_auth_epoch" SET "epoch" = "epoch" + 1 WHERE "id" = 1; END;
CREATE TRIGGER "_koya_realtime_role_granted" AFTER INSERT ON "_koya_role_grants"
BEGIN UPDATE "_koya_realtime_auth_epoch" SET "epoch" = "epoch" + 1 WHERE "id" = 1; END;
CREATE TRIGGER "_koya_realtime_role_revoked" AFTER DELETE ON "_koya_role_grants"
BEGIN UPDATE "_koya_realtime_auth_epoch" SET "epoch" = "epoch" + 1 WHERE "id" = 1; END;
`,
  },
  {
    // The log keyed by rowid, without the index on "at". An emptied log keeps its last id as a
    // placeholder entry of no table (no view matches it), so ids go on from where they were.
    name: 'realtime_0002_rowid_log',
    sql: `
CREATE TABLE "_koya_realtime_events_next" (
  "id" INTEGER PRIMARY KEY,
  "table" TEXT NOT NULL,
  "operation" TEXT NOT NULL CHECK ("operation" IN ('create', 'update', 'delete')),
  "rowId" TEXT NOT NULL,
  "old" TEXT,
  "at" INTEGER NOT NULL
) STRICT;
INSERT INTO "_koya_realtime_events_next" SELECT "id", "table", "operation", "rowId", "old", "at" FROM "_koya_realtime_events";
INSERT INTO "_koya_realtime_events_next" ("id", "table", "operation", "rowId", "old", "at")
  SELECT "seq", '', 'create', '', NULL, 0 FROM "sqlite_sequence"
  WHERE "name" = '_koya_realtime_events' AND "seq" > 0 AND NOT EXISTS (SELECT 1 FROM "_koya_realtime_events");
DROP TABLE "_koya_realtime_events";
ALTER TABLE "_koya_realtime_events_next" RENAME TO "_koya_realtime_events";
`,
  },
]

/** One entry of the log. `old` is the row before an update or delete, as JSON (REST's shape). */
export interface LogEntry {
  readonly id: number
  readonly table: string
  readonly operation: WriteOperation
  readonly rowId: string
  readonly old: string | null
}

export interface ChangeLog {
  /** The last entry's id (0 for an empty log that never had one). */
  head(): number
  /**
   * The highest id the purge removed: a client resuming from an id below it missed entries that
   * are gone, and must resync.
   */
  floor(): number
  /** Entries after `after`, in order, at most `limit`. */
  after(after: number, limit: number): LogEntry[]
  /** Entries of `table` in (after, through], in order (a resume's replay). */
  between(table: string, after: number, through: number): LogEntry[]
  /** Whether any entry of these tables lies in (after, through]. */
  touches(tables: ReadonlySet<string>, after: number, through: number): boolean
  /** Remove entries older than `before` (epoch ms). */
  purge(before: number): number
  authEpoch(): number
}

/**
 * Write every committed row into the log, inside the write's transaction. Returns the
 * unsubscribe.
 */
export function logWrites(data: DataLayer, clock: () => Date): () => void {
  const insert = 'INSERT INTO "_koya_realtime_events" ("table", "operation", "rowId", "old", "at") VALUES (?, ?, ?, ?, ?)'
  return data.events.subscribe({
    phase: 'transaction',
    handle(events, tx) {
      const at = clock().getTime()
      for (const e of events) {
        const row = e.new ?? e.old
        tx.statements.run(insert, [e.table, e.operation, String(row!.id), e.old === null ? null : JSON.stringify(e.old), at])
      }
    },
  })
}

export function createChangeLog(db: SqliteDatabase): ChangeLog {
  const statements = statementsOf(db)
  const one = <T>(text: string, parameters: readonly unknown[] = []) => statements.all(text, parameters)[0] as T
  // The highest id ever given: the purge keeps the newest entry, so it is the largest rowid.
  const sequence = () => one<{ seq: number }>('SELECT coalesce(max("id"), 0) AS "seq" FROM "_koya_realtime_events"').seq
  return {
    head: () => sequence(),
    floor() {
      const min = one<{ id: number | null }>('SELECT min("id") AS "id" FROM "_koya_realtime_events"').id
      return min === null ? sequence() : min - 1
    },
    after: (after, limit) =>
      statements.all('SELECT "id", "table", "operation", "rowId", "old" FROM "_koya_realtime_events" WHERE "id" > ? ORDER BY "id" LIMIT +?', [after, limit]) as LogEntry[],
    between: (table, after, through) =>
      statements.all('SELECT "id", "table", "operation", "rowId", "old" FROM "_koya_realtime_events" WHERE "id" > ? AND "id" <= ? AND "table" = ? ORDER BY "id"', [after, through, table]) as LogEntry[],
    touches(tables, after, through) {
      if (tables.size === 0) return false
      const list = [...tables]
      const marks = list.map(() => '?').join(', ')
      return statements.all(`SELECT 1 FROM "_koya_realtime_events" WHERE "id" > ? AND "id" <= ? AND "table" IN (${marks}) LIMIT 1`, [after, through, ...list]).length > 0
    },
    // Entries below the first one at or after `before` (ids follow commit order, so this walks
    // the rowid from the oldest and stops at the first recent entry), never the newest.
    purge: (before) =>
      statements.run(
        `DELETE FROM "_koya_realtime_events" WHERE "id" < coalesce(
           (SELECT "id" FROM "_koya_realtime_events" WHERE "at" >= ? ORDER BY "id" LIMIT 1),
           (SELECT max("id") FROM "_koya_realtime_events"))`,
        [before],
      ).changes,
    authEpoch: () => one<{ epoch: number }>('SELECT "epoch" FROM "_koya_realtime_auth_epoch" WHERE "id" = 1').epoch,
  }
}
