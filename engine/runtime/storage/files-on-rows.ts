import type { BucketIR, ProjectIR } from '../../ir/project-ir.ts'
import { policySqlText } from '../../ir/policy-printer.ts'
import { OBJECTS_TABLE, OBJECTS_TABLE_IR, fileColumnsOf } from '../../ir/storage-objects.ts'
import { assertNever } from '../../shared/assert-never.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import type { Actor, DataLayer } from '../data/data-layer.ts'
import type { Where } from '../data/query.ts'
import { watchCascadedFiles } from './cascade-release.ts'

const SYSTEM: Actor = { kind: 'system' }

type FileColumn = ReturnType<typeof fileColumnsOf>[number]

/** The object ids a file column's stored value holds (a `t.files` value is JSON text when stored). */
function idsOf(value: unknown, many: boolean): string[] {
  if (value === null || value === undefined) return []
  if (!many) return typeof value === 'string' ? [value] : []
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value
  return Array.isArray(parsed) ? parsed.filter((id): id is string => typeof id === 'string') : []
}

/**
 * Files on rows (`t.file`, `t.files`), kept by two write subscribers:
 *
 * - inside the write's transaction, every object id a create or update puts into a file column
 *   must be an object of the column's bucket that the writer uploaded or may read by the bucket's
 *   read rule (not through the row being written, which would let anyone adopt any object); the
 *   write is rolled back otherwise (KL_STORAGE_BAD_FILE);
 * - after the commit, the objects an update or delete took out of a file column are deleted when
 *   no file column of any row still holds them (their bytes follow, by the objects' own subscriber).
 *
 * Rows removed by `ON DELETE CASCADE` (no write event) are caught by cascade-release.ts.
 *
 * Reading follows the row: the objects table's read policy admits an object held by a row the
 * caller may read (ir/storage-objects.ts, `referencedBy`).
 */
export function watchFileColumns(model: ProjectIR, data: DataLayer, db: SqliteDatabase, log: (error: unknown) => void): () => void {
  const columns = fileColumnsOf(model)
  if (columns.length === 0) return () => {}
  const buckets = new Map((model.buckets ?? []).map((b) => [b.name, b]))
  const tables = [...new Set(columns.map((c) => c.table))]
  const byTable = (table: string) => columns.filter((c) => c.table === table)
  const readableByRule = bucketReadCheck(model, db)

  const stopCheck = data.events.subscribe({
    phase: 'transaction',
    tables,
    operations: ['create', 'update'],
    handle(events) {
      for (const event of events) {
        for (const column of byTable(event.table)) {
          const before = new Set(idsOf(event.old?.[column.column], column.many))
          for (const id of idsOf(event.new?.[column.column], column.many)) {
            if (before.has(id)) continue
            const object = data.findOne<'objects'>(SYSTEM, { table: OBJECTS_TABLE, where: { kind: 'compare', column: 'id', operator: 'eq', value: id } }, { as: 'objects' })
            const bucket = buckets.get(column.bucket)
            if (object === undefined || object.bucket !== column.bucket || bucket === undefined) throw badFile(column, id, 'is not an object of that bucket')
            if (event.actor.kind === 'system') continue
            const uploaded = event.actor.kind === 'user' && object.ownerId === event.actor.userId
            if (!uploaded && !readableByRule(event.actor, bucket, id)) throw badFile(column, id, 'was neither uploaded by the writer nor is readable to them')
          }
        }
      }
    },
  })

  const stopCleanup = data.events.subscribe({
    phase: 'commit',
    tables,
    operations: ['update', 'delete'],
    handle(events) {
      const released = new Set<string>()
      for (const event of events) {
        for (const column of byTable(event.table)) {
          const after = new Set(idsOf(event.new?.[column.column], column.many))
          for (const id of idsOf(event.old?.[column.column], column.many)) if (!after.has(id)) released.add(id)
        }
      }
      releaseUnheld(columns, data, [...released], log)
    },
  })
  const stopCascades = watchCascadedFiles(model, data, db, (ids) => releaseUnheld(columns, data, ids, log), log)
  return () => {
    stopCheck()
    stopCleanup()
    stopCascades()
  }
}

/** Delete each of `ids` that no file column of any row holds any more (its bytes follow, by the objects' own subscriber). */
function releaseUnheld(columns: readonly FileColumn[], data: DataLayer, ids: readonly string[], log: (error: unknown) => void): void {
  for (const id of ids) {
    try {
      if (columns.some((column) => data.findOne(SYSTEM, { table: column.table, where: holds(column, id) }) !== undefined)) continue
      data.delete(SYSTEM, { table: OBJECTS_TABLE, target: { id } })
    } catch (error) {
      log(error)
    }
  }
}

/** Rows whose file column holds `id` (a `t.files` array as JSON text: ids are plain ASCII, quoted). */
function holds(column: FileColumn, id: string): Where {
  return column.many ? { kind: 'compare', column: column.column, operator: 'like', value: `*"${id}"*` } : { kind: 'compare', column: column.column, operator: 'eq', value: id }
}

function badFile(column: FileColumn, id: string, why: string): KoyaError {
  return new KoyaError('KL_STORAGE_BAD_FILE', `Column "${column.column}" of "${column.table}" was given object "${id.slice(0, 64)}", which ${why}. Nothing was written.`, {
    hint: `Upload the file to /storage/${column.bucket} first and write the id it answers.`,
  })
}

/**
 * Whether a bucket's own read rule admits an object for an actor: the rule printed by the one
 * policy printer, run on the object's row alone (no files-on-rows path).
 */
function bucketReadCheck(model: ProjectIR, db: SqliteDatabase): (actor: Actor, bucket: BucketIR, id: string) => boolean {
  const tables = [...model.tables, OBJECTS_TABLE_IR]
  const compiled = new Map<string, { sql: string; params: ReturnType<typeof policySqlText>['params'] }>()
  for (const bucket of model.buckets ?? []) {
    if (bucket.access.read === null) continue
    const printed = policySqlText(bucket.access.read.expr, OBJECTS_TABLE, tables)
    compiled.set(bucket.name, { sql: `SELECT 1 FROM "${OBJECTS_TABLE}" AS "row" WHERE "row"."id" = ? AND (${printed.sql})`, params: printed.params })
  }
  return (actor, bucket, id) => {
    const rule = compiled.get(bucket.name)
    if (rule === undefined) return false
    const values = rule.params.map((param) => {
      switch (param.kind) {
        case 'value':
          return param.value
        case 'authUserId':
          return actor.kind === 'user' ? actor.userId : null
        case 'authRoles':
          return JSON.stringify(actor.kind === 'user' ? actor.roles : [])
        default:
          return assertNever(param, 'policy parameter')
      }
    })
    return db.prepare(rule.sql).all(id, ...values).length > 0
  }
}

