import type { SqliteDatabase } from '../../shared/sqlite.ts'
import type { Actor } from './data-layer.ts'
import type { StatementCache } from './statement-cache.ts'

/** A row as in-process consumers see it: columns by name, booleans as booleans, JSON parsed. */
export type RowObject = Record<string, unknown>

export type WriteOperation = 'create' | 'update' | 'delete'

/**
 * One row written by a committed (or committing) write. `old` is the row before an update or
 * delete (null for a create), `new` the row after a create or update (null for a delete). A bulk
 * write yields one event per row; an upsert that merges onto an existing row is an `update`, one
 * that is ignored yields none. Rows removed by ON DELETE CASCADE yield no event of their own.
 *
 * @example
 * { table: 'tasks', operation: 'update', old: { id, status: 'todo', … }, new: { id, status: 'done', … }, actor, requestId: 'req-7' }
 */
export interface WriteEvent {
  readonly table: string
  readonly operation: WriteOperation
  readonly old: RowObject | null
  readonly new: RowObject | null
  readonly actor: Actor
  /** The request the write came with (the data layer's `requestId` option), if any. */
  readonly requestId: string | undefined
}

/** What a transaction-phase subscriber may use: the write's own connection, inside its transaction. */
export interface WriteTransaction {
  /** The same connection: statements run on it now are part of the write's transaction. */
  readonly db: SqliteDatabase
  /** Prepared statements by SQL text, as the data layer runs its own. */
  readonly statements: StatementCache
}

interface SubscriberBase {
  /** Only writes to these tables (default: every table). */
  readonly tables?: readonly string[]
  /** Only these operations (default: all three). */
  readonly operations?: readonly WriteOperation[]
  /**
   * Only writes by actors this admits (default: every actor). A subscriber that cares about a
   * few actors (the audit of impersonated writes) says so here, so other actors' writes read no
   * rows for it.
   */
  readonly actors?: (actor: Actor) => boolean
}

/**
 * A feature listening to writes.
 *
 * `transaction`: called inside the write's transaction, after the rows are written and before
 * it commits, with every event of the write; it may write on the same connection (a
 * transactional outbox: the audit log, jobs, webhooks) and must be synchronous. Throwing rolls
 * the whole write back, and the caller gets the error.
 *
 * `commit`: called after the write committed (realtime, caches). It cannot undo the write; an
 * error (or a rejected promise) goes to the data layer's `onSubscriberError`.
 */
export type WriteSubscriber =
  | (SubscriberBase & { readonly phase: 'transaction'; handle(events: readonly WriteEvent[], tx: WriteTransaction): void })
  | (SubscriberBase & { readonly phase: 'commit'; handle(events: readonly WriteEvent[]): void | Promise<void> })

/**
 * The subscription point of a data layer's write events.
 *
 * @example
 * const stop = data.events.subscribe({
 *   phase: 'transaction',
 *   tables: ['tasks'],
 *   handle(events, tx) {
 *     const insert = tx.db.prepare('INSERT INTO "_koya_audit" ("table", "rowId", "by", "requestId") VALUES (?, ?, ?, ?)')
 *     for (const e of events) insert.run(e.table, String((e.new ?? e.old)!.id), e.actor.kind === 'user' ? e.actor.userId : e.actor.kind, e.requestId ?? null)
 *   },
 * })
 * // … later
 * stop()
 */
export interface WriteEvents {
  /** Register a subscriber; the returned function unsubscribes it. */
  subscribe(subscriber: WriteSubscriber): () => void
}

/** The data layer's side of the event bus. */
export interface WriteEventBus extends WriteEvents {
  /** Whether any subscriber listens to `operation` on `table` by `actor`: without one, a write skips every event cost. */
  wants(table: string, operation: WriteOperation, actor: Actor): boolean
  /** Inside the transaction: hand the events to transaction subscribers (a throw rolls back). */
  inTransaction(events: readonly WriteEvent[], tx: WriteTransaction): void
  /** After commit: hand the events to commit subscribers; their errors never reach the writer. */
  afterCommit(events: readonly WriteEvent[]): void
}

export function createWriteEventBus(onError: (error: unknown) => void): WriteEventBus {
  const subscribers = new Set<WriteSubscriber>()
  const listens = (s: WriteSubscriber, table: string, operation: WriteOperation, actor: Actor) =>
    (s.tables === undefined || s.tables.includes(table)) && (s.operations === undefined || s.operations.includes(operation)) && (s.actors === undefined || s.actors(actor))
  const relevant = (s: WriteSubscriber, events: readonly WriteEvent[]) => events.filter((e) => listens(s, e.table, e.operation, e.actor))
  return {
    subscribe(subscriber) {
      // A copy per registration, so the same object registered twice is two subscriptions.
      const entry = { ...subscriber } as WriteSubscriber
      subscribers.add(entry)
      return () => {
        subscribers.delete(entry)
      }
    },
    wants(table, operation, actor) {
      for (const s of subscribers) if (listens(s, table, operation, actor)) return true
      return false
    },
    inTransaction(events, tx) {
      for (const s of subscribers) {
        if (s.phase !== 'transaction') continue
        const mine = relevant(s, events)
        if (mine.length > 0) s.handle(mine, tx)
      }
    },
    afterCommit(events) {
      for (const s of subscribers) {
        if (s.phase !== 'commit') continue
        const mine = relevant(s, events)
        if (mine.length === 0) continue
        try {
          const done = s.handle(mine)
          if (done instanceof Promise) done.catch(onError)
        } catch (error) {
          onError(error)
        }
      }
    },
  }
}
