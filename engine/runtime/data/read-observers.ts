import type { SqliteDatabase } from '../../shared/sqlite.ts'
import type { Actor } from './data-layer.ts'
import { relationOf, type IndexedTable, type ModelIndex } from './model-index.ts'
import { ALL, type SelectItem } from './query.ts'
import type { RowObject } from './write-events.ts'

/** A read the data layer answered, as a read observer sees it. */
export interface ObservedRead {
  readonly actor: Actor
  /**
   * `list`, `get` or `findOne`; `create`, `update` or `delete` for the rows a write answers
   * (`returning`); `realtime` for a row pushed to a subscriber.
   */
  readonly via: 'list' | 'get' | 'findOne' | 'create' | 'update' | 'delete' | 'realtime'
  readonly table: string
  /** The select the read ran with (embeds included). */
  readonly select: readonly SelectItem[]
  /** The rows answered, as objects (embedded rows inside them). */
  readonly rows: readonly RowObject[]
  readonly requestId: string | undefined
}

/**
 * Told of every read whose table, or a table it embeds, is in `tables`, inside the transaction the
 * read runs in: a throw fails the read, so nothing is answered that was not observed (the PHI
 * read audit, runtime/compliance/phi-audit.ts).
 *
 * @example
 * data.observeReads({ tables: ['patients'], observe: (read) => audit.record(…) })
 */
export interface ReadObserver {
  readonly tables: readonly string[]
  observe(read: ObservedRead): void
}

export interface ReadObservers {
  add(observer: ReadObserver): () => void
  /** Whether any observer is registered: without one a read runs exactly as before. */
  readonly active: boolean
  /** Run `read` and tell the observers that want it, in one transaction; `read` alone when none does. */
  observed<T>(actor: Actor, via: ObservedRead['via'], table: IndexedTable, select: readonly SelectItem[] | undefined, requestId: string | undefined, read: () => T, rowsOf: (result: T) => readonly string[]): T
  /**
   * Tell the observers of `table` of rows answered outside a data-layer read (realtime pushes a
   * row its write event carried), in one transaction; a throw means the rows must not be sent.
   */
  delivered(actor: Actor, via: ObservedRead['via'], table: IndexedTable, rows: readonly RowObject[], requestId: string | undefined): void
}

export function createReadObservers(db: SqliteDatabase, index: ModelIndex): ReadObservers {
  const observers: ReadObserver[] = []
  const wanting = (table: IndexedTable, select: readonly SelectItem[]) => {
    const touched = tablesOf(index, table, select)
    return observers.filter((o) => o.tables.some((name) => touched.has(name)))
  }
  const result: { -readonly [K in keyof ReadObservers]: ReadObservers[K] } = {
    active: false,
    add(observer) {
      observers.push(observer)
      result.active = true
      return () => {
        const at = observers.indexOf(observer)
        if (at >= 0) observers.splice(at, 1)
        result.active = observers.length > 0
      }
    },
    observed(actor, via, table, select, requestId, read, rowsOf) {
      const chosen = wanting(table, select ?? ALL)
      if (chosen.length === 0) return read()
      // One transaction: the observer's writes (the audit entry) commit with the read, or the read
      // fails. IMMEDIATE: a deferred transaction that read first could not take the write lock once
      // another process committed (SQLITE_BUSY_SNAPSHOT, no busy wait); this one waits like a writer.
      // Inside a caller's transaction (a delete's read-back) it is a savepoint of that one.
      return db
        .transaction(() => {
          const answer = read()
          const rows = rowsOf(answer).map((text) => JSON.parse(text) as RowObject)
          for (const observer of chosen) observer.observe({ actor, via, table: table.name, select: select ?? ALL, rows, requestId })
          return answer
        })
        .immediate()
    },
    delivered(actor, via, table, rows, requestId) {
      const chosen = observers.filter((o) => o.tables.includes(table.name))
      if (chosen.length === 0 || rows.length === 0) return
      db.transaction(() => {
        for (const observer of chosen) observer.observe({ actor, via, table: table.name, select: ALL, rows, requestId })
      }).immediate()
    },
  }
  return result
}

/** The table a read starts from and every table its embeds reach. */
function tablesOf(index: ModelIndex, table: IndexedTable, select: readonly SelectItem[], into = new Set<string>()): Set<string> {
  into.add(table.name)
  for (const item of select) {
    if (item.kind !== 'embed') continue
    const target = index.table(relationOf(table, item.relation).table)
    tablesOf(index, target, item.select ?? ALL, into)
  }
  return into
}
