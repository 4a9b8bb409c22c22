import type { ProjectIR } from '../../ir/project-ir.ts'
import { fileColumnsOf } from '../../ir/storage-objects.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import type { DataLayer } from '../data/data-layer.ts'

/** Object ids taken out of file columns by row deletes the data layer did not see (ON DELETE CASCADE), waiting to be released. */
export const RELEASED_OBJECTS_TABLE = '_koya_released_objects'

/**
 * Files on rows removed by `ON DELETE CASCADE` (decision 165). SQLite's cascades emit no write
 * event, but they do fire triggers: a TEMP trigger per file column, on the server's own
 * connection, records the ids a deleted row held in `_koya_released_objects`, inside the deleting
 * transaction (a rollback takes the record back). After the commit of a delete on a table whose
 * deletes can cascade into a file table, and once at start (records a killed process left), the
 * recorded ids are handed to `release` (which deletes each object no row holds any more) and
 * cleared.
 *
 * TEMP triggers live only on this connection and vanish with it: nothing is added to the app's
 * schema, so its migrations (a dropped file column, a table rebuild) are never in their way.
 * Deletes made by another connection (a raw `sqlite3` shell) are not seen.
 *
 * @example
 * const stop = watchCascadedFiles(model, data, db, (ids) => releaseUnheld(ids), log)
 */
export function watchCascadedFiles(model: ProjectIR, data: DataLayer, db: SqliteDatabase, release: (ids: readonly string[]) => void, log: (error: unknown) => void): () => void {
  const columns = fileColumnsOf(model)
  const parents = cascadeParents(model, new Set(columns.map((c) => c.table)))
  if (parents.length === 0) return () => {}
  for (const column of columns) {
    const old = `OLD."${column.column}"`
    const insert = column.many
      ? `INSERT OR IGNORE INTO "${RELEASED_OBJECTS_TABLE}" ("id") SELECT "value" FROM json_each(${old}) WHERE json_valid(${old}) AND "type" = 'text';`
      : `INSERT OR IGNORE INTO "${RELEASED_OBJECTS_TABLE}" ("id") VALUES (${old});`
    db.exec(`CREATE TEMP TRIGGER IF NOT EXISTS "_koya_release_${column.table}_${column.column}" AFTER DELETE ON "${column.table}" WHEN ${old} IS NOT NULL BEGIN ${insert} END`)
  }
  const pending = db.prepare(`SELECT "id" FROM "${RELEASED_OBJECTS_TABLE}" LIMIT 500`)
  const forget = db.prepare(`DELETE FROM "${RELEASED_OBJECTS_TABLE}" WHERE "id" = ?`)
  const drain = () => {
    try {
      for (let batch = (pending.all() as { id: string }[]).map((r) => r.id); batch.length > 0; batch = (pending.all() as { id: string }[]).map((r) => r.id)) {
        release(batch)
        db.transaction(() => {
          for (const id of batch) forget.run(id)
        })()
      }
    } catch (error) {
      log(error)
    }
  }
  drain()
  // The file tables too: their own deletes are released by files-on-rows, and their records go here.
  const tables = [...new Set([...parents, ...columns.map((c) => c.table)])].sort()
  return data.events.subscribe({ phase: 'commit', tables, operations: ['delete'], handle: drain })
}

/** The tables whose row deletes can cascade (directly or through other tables) into `fileTables`. */
export function cascadeParents(model: Pick<ProjectIR, 'tables'>, fileTables: ReadonlySet<string>): string[] {
  const reach = new Set<string>()
  const children = new Set(fileTables)
  for (let grew = true; grew; ) {
    grew = false
    for (const table of model.tables) {
      if (!children.has(table.name)) continue
      for (const column of table.columns) {
        const parent = column.references
        if (parent === null || parent.onDelete !== 'cascade' || reach.has(parent.table)) continue
        reach.add(parent.table)
        children.add(parent.table)
        grew = true
      }
    }
  }
  return [...reach].sort()
}
