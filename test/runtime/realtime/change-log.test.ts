import { describe, expect, it } from 'vitest'
import { createChangeLog } from '../../../engine/runtime/realtime/change-log.ts'
import { systemMigrations } from '../../../engine/runtime/modules/index.ts'
import { applySystemSchema } from '../../../engine/runtime/system/system-schema.ts'
import { openDatabase, type SqliteDatabase } from '../../../engine/shared/sqlite.ts'

const LOG_SHAPE_CHANGE = 'realtime_0002_rowid_log'
const append = (db: SqliteDatabase, at: number) =>
  db.prepare('INSERT INTO "_koya_realtime_events" ("table", "operation", "rowId", "old", "at") VALUES (\'tasks\', \'create\', \'r\', NULL, ?)').run(at).lastInsertRowid

describe('the realtime change log', () => {
  it('purges by age but keeps the newest entry, so ids are never given twice', () => {
    const db = openDatabase(':memory:')
    applySystemSchema(db, systemMigrations())
    const log = createChangeLog(db)
    for (const at of [10, 20, 30, 40]) append(db, at)
    expect(log.purge(25)).toBe(2)
    expect([log.floor(), log.head()]).toEqual([2, 4])
    expect(log.purge(1000)).toBe(1)
    expect([log.floor(), log.head()]).toEqual([3, 4])
    expect(append(db, 50)).toBe(5)
    expect(log.after(0, 10).map((e) => e.id)).toEqual([4, 5])
  })

  it('moves a log of the first shape (AUTOINCREMENT, indexed by time) to rowid ids, its ids going on where they were', () => {
    for (const emptied of [false, true]) {
      const db = openDatabase(':memory:')
      applySystemSchema(db, systemMigrations().filter((m) => m.name !== LOG_SHAPE_CHANGE))
      for (const at of [1, 2, 3]) append(db, at)
      if (emptied) db.prepare('DELETE FROM "_koya_realtime_events"').run()
      applySystemSchema(db, systemMigrations())
      const log = createChangeLog(db)
      expect(log.head()).toBe(3)
      expect(append(db, 4)).toBe(4)
      // No view matches the placeholder that carries an emptied log's last id.
      expect(log.after(0, 10).map((e) => [e.id, e.table])).toEqual(emptied ? [[3, ''], [4, 'tasks']] : [[1, 'tasks'], [2, 'tasks'], [3, 'tasks'], [4, 'tasks']])
      const indexes = db.prepare('SELECT "name" FROM "sqlite_schema" WHERE "type" = \'index\' AND "tbl_name" = \'_koya_realtime_events\'').all()
      expect(indexes).toEqual([])
    }
  })
})
