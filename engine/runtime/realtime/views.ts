import { KoyaError } from '../../shared/errors.ts'
import type { Actor, DataLayer } from '../data/data-layer.ts'
import type { Where } from '../data/query.ts'
import type { RowObject, WriteOperation } from '../data/write-events.ts'
import type { LogEntry } from './change-log.ts'
import type { ChangeKind } from './protocol.ts'
import { text } from './protocol.ts'

/** Where a subscription's messages go (a connection). */
export interface Sink {
  send(message: string): void
}

/** One client subscription: which view it watches and which write operations it wants. */
export interface Subscription {
  readonly id: string
  readonly sink: Sink
  readonly events: ReadonlySet<WriteOperation>
  view: View
}

/**
 * What subscribers with the same table, the same policy parameters (user id and roles, or
 * anonymous, or the system role) and the same filter see: they share one evaluation per event
 * batch. `visible` is the ids the view admits (tracked from the view's first subscriber on), which
 * is how a `leave` is told from an update and an `enter` from a create (decision 69).
 */
export interface View {
  readonly key: string
  readonly table: string
  readonly actor: Actor
  readonly where: Where | undefined
  /** Tables whose writes may move rows in or out without touching `table` (dependencies.ts). */
  readonly deps: ReadonlySet<string>
  readonly visible: Set<string>
  readonly subscriptions: Set<Subscription>
}

/** A message for the subscribers of one view, before it is addressed to each. */
interface Change {
  readonly seq: number
  readonly kind: ChangeKind
  /** The write operation behind it: what a subscription's `events` filter on (enter and leave always pass). */
  readonly operation: WriteOperation | undefined
  readonly rowId: string
  readonly row: string | undefined
}

/** The facts a policy reads (ids and roles), without the session: subscribers group by these. */
export function policyActor(actor: Actor): Actor {
  return actor.kind === 'user' ? { kind: 'user', userId: actor.userId, roles: [...actor.roles].sort() } : actor
}

function actorKey(actor: Actor): string {
  return actor.kind === 'user' ? `user\0${actor.userId}\0${actor.roles.join('\0')}` : actor.kind
}

const ID_CHUNK = 500

export interface Views {
  /** The view for these parameters, made (its visible ids read once) if no subscriber has it yet. */
  viewOf(table: string, actor: Actor, where: Where | undefined, deps: () => ReadonlySet<string>): View
  attach(subscription: Subscription): void
  detach(subscription: Subscription): void
  /**
   * Evaluate a batch of log entries for every view it concerns and deliver: the views of one table
   * and filter in one statement for all their actors; a view whose dependencies changed re-reads
   * its ids on its own.
   */
  apply(entries: readonly LogEntry[]): void
  /** The rows the view admits now, as REST's JSON (for `initial`). */
  rows(view: View): string[]
  /** Tell one subscription what it missed in (after, through] of its table (a resume). */
  replay(subscription: Subscription, entries: readonly LogEntry[]): void
  /** Move a subscription to another view (its actor changed): leaves and enters for the difference. */
  move(subscription: Subscription, to: View, seq: number): void
  readonly size: number
}

export function createViews(data: DataLayer, options: { readonly maxViewRows: number; readonly onError: (error: unknown) => void }): Views {
  const views = new Map<string, View>()

  const idsOf = (view: View): Set<string> => {
    const rows = data.list(view.actor, { table: view.table, select: [{ kind: 'column', column: 'id' }], ...(view.where ? { where: view.where } : {}), limit: options.maxViewRows + 1 }, { as: 'objects' }).rows
    if (rows.length > options.maxViewRows) {
      throw new KoyaError('KL_API_REALTIME_VIEW_TOO_LARGE', `A subscription to "${view.table}" admits more than ${options.maxViewRows} rows, more than the server tracks per view.`)
    }
    return new Set(rows.map((r) => String(r.id)))
  }

  /** The rows among `ids` the view admits now, as REST's JSON, by id: one read (per 500 ids). */
  const rowsById = (view: View, ids: readonly string[]): Map<string, string> => {
    const found = new Map<string, string>()
    for (let start = 0; start < ids.length; start += ID_CHUNK) {
      const chunk = ids.slice(start, start + ID_CHUNK)
      const byId: Where = chunk.length === 1 ? { kind: 'compare', column: 'id', operator: 'eq', value: chunk[0]! } : { kind: 'in', column: 'id', values: chunk }
      const where: Where = view.where ? { kind: 'and', where: [byId, view.where] } : byId
      for (const row of data.list(view.actor, { table: view.table, where }, { as: 'json' }).rows) {
        found.set(String((JSON.parse(row) as RowObject).id), row)
      }
    }
    return found
  }

  /**
   * The messages of the batch being applied, by subscription id, seq and kind: subscribers of
   * different views who see the same contents get the same string, serialized once (and encoded
   * once by the hub).
   */
  let messages = new Map<string, { readonly row: string | undefined; readonly text: string }>()
  const messageOf = (sub: Subscription, c: Change): string => {
    const key = `${sub.id}\0${c.seq}\0${c.kind}\0${sub.view.table}\0${c.rowId}`
    const found = messages.get(key)
    if (found !== undefined && found.row === c.row) return found.text
    const message = text.change(sub.id, c.seq, c.kind, sub.view.table, c.rowId, c.row)
    messages.set(key, { row: c.row, text: message })
    return message
  }

  const deliver = (subscriptions: Iterable<Subscription>, changes: readonly Change[]) => {
    for (const sub of subscriptions) {
      for (const c of changes) {
        if (c.operation !== undefined && !sub.events.has(c.operation)) continue
        // One read-observer notice (the PHI audit: who, which row, via realtime) per event that
        // carries a row, before it is sent; if it cannot be recorded the event is not sent.
        if (c.row !== undefined) {
          try {
            data.observeDelivered(sub.view.actor, 'realtime', sub.view.table, [JSON.parse(c.row) as RowObject])
          } catch (error) {
            options.onError(error)
            continue
          }
        }
        sub.sink.send(messageOf(sub, c))
      }
    }
  }

  /** Each row's entries of a batch, in log order. */
  const byRow = (entries: readonly LogEntry[]) => {
    const rows = new Map<string, LogEntry[]>()
    for (const e of entries) {
      const list = rows.get(e.rowId)
      if (list) list.push(e)
      else rows.set(e.rowId, [e])
    }
    return rows
  }

  /** What one entry tells a subscriber, from whether it could read the row before and after (decision 69). */
  const changeOf = (entry: LogEntry, was: boolean, now: boolean, row: string | undefined): Change | undefined => {
    const base = { seq: entry.id, rowId: entry.rowId }
    if (entry.operation === 'delete') return was ? { ...base, kind: 'delete', operation: 'delete', row: entry.old ?? undefined } : undefined
    if (now && was) return { ...base, kind: 'update', operation: 'update', row }
    if (now) return entry.operation === 'create' ? { ...base, kind: 'create', operation: 'create', row } : { ...base, kind: 'enter', operation: undefined, row }
    if (was) return { ...base, kind: 'leave', operation: undefined, row: undefined }
    return undefined
  }

  /**
   * The changes of a batch for one view. The row as it is now decides the last entry of each row
   * (one read for the batch); a row written several times in the batch has each earlier state in
   * the log (the next entry's `old`), judged through readableImages, one statement per depth.
   * `wasOf` says whether the view admitted a row before its first entry.
   */
  const changesOf = (view: View, rows: ReadonlyMap<string, readonly LogEntry[]>, contents: ReadonlyMap<string, string>, wasOf: (first: LogEntry) => boolean) => {
    const between = new Map<LogEntry, boolean>()
    const deepest = Math.max(0, ...[...rows.values()].map((list) => list.length - 1))
    for (let depth = 0; depth < deepest; depth++) {
      const judged: LogEntry[] = []
      const images: RowObject[] = []
      for (const list of rows.values()) {
        const entry = list[depth]
        const next = list[depth + 1]
        if (entry === undefined || next === undefined || entry.operation === 'delete' || next.old === null) continue
        judged.push(entry)
        images.push(JSON.parse(next.old) as RowObject)
      }
      if (images.length === 0) continue
      const readable = data.readableImages(view.actor, view.table, images, view.where)
      for (const entry of judged) between.set(entry, readable.has(entry.rowId))
    }
    const changes: Change[] = []
    const after = new Map<string, boolean>()
    for (const [id, list] of rows) {
      let was = wasOf(list[0]!)
      list.forEach((entry, i) => {
        const last = i === list.length - 1
        const now = entry.operation === 'delete' ? false : last ? contents.has(id) : (between.get(entry) ?? false)
        const change = changeOf(entry, was, now, last ? contents.get(id) : (list[i + 1]!.old ?? undefined))
        if (change) changes.push(change)
        was = now
      })
      after.set(id, was)
    }
    return { changes, after }
  }

  const evaluate = (view: View, own: readonly LogEntry[], fullSeq: number | undefined, read?: Map<string, string>) => {
    const rows = byRow(own)
    const now = fullSeq === undefined ? undefined : idsOf(view)
    const entered = now === undefined ? [] : [...now].filter((id) => !view.visible.has(id) && !rows.has(id))
    const contents = read ?? rowsById(view, [...rows.keys(), ...entered])
    const { changes, after } = changesOf(view, rows, contents, (first) => view.visible.has(first.rowId))
    for (const [id, visible] of after) {
      if (visible) view.visible.add(id)
      else view.visible.delete(id)
    }
    if (now !== undefined && fullSeq !== undefined) {
      for (const id of entered) {
        const row = contents.get(id)
        // A row never enters without its contents.
        if (row === undefined) continue
        changes.push({ seq: fullSeq, kind: 'enter', operation: undefined, rowId: id, row })
        view.visible.add(id)
      }
      for (const id of [...view.visible]) {
        if (now.has(id) || rows.has(id)) continue
        changes.push({ seq: fullSeq, kind: 'leave', operation: undefined, rowId: id, row: undefined })
        view.visible.delete(id)
      }
    }
    changes.sort((a, b) => a.seq - b.seq)
    deliver(view.subscriptions, changes)
  }

  const attach = (subscription: Subscription) => {
    const view = subscription.view
    view.subscriptions.add(subscription)
    views.set(view.key, view)
  }
  const detach = (subscription: Subscription) => {
    const view = subscription.view
    view.subscriptions.delete(subscription)
    if (view.subscriptions.size === 0 && views.get(view.key) === view) views.delete(view.key)
  }

  return {
    get size() {
      return views.size
    },
    viewOf(table, actor, where, deps) {
      const facts = policyActor(actor)
      const key = `${table}\0${actorKey(facts)}\0${JSON.stringify(where ?? null)}`
      const found = views.get(key)
      if (found) return found
      const view: View = { key, table, actor: facts, where, deps: deps(), visible: new Set(), subscriptions: new Set() }
      for (const id of idsOf(view)) view.visible.add(id)
      return view
    },
    attach,
    detach,
    apply(entries) {
      if (entries.length === 0) return
      messages = new Map()
      const byTable = new Map<string, LogEntry[]>()
      for (const e of entries) {
        const list = byTable.get(e.table)
        if (list) list.push(e)
        else byTable.set(e.table, [e])
      }
      // Views whose own rows changed and nothing they depend on: judged together, one statement
      // for all the actors of the same table and filter (data.listForActors).
      const shared = new Map<string, View[]>()
      for (const view of views.values()) {
        const own = byTable.get(view.table) ?? []
        let fullSeq: number | undefined
        for (const dep of view.deps) {
          const touched = byTable.get(dep)
          if (touched) fullSeq = Math.max(fullSeq ?? 0, touched.at(-1)!.id)
        }
        if (own.length === 0 && fullSeq === undefined) continue
        if (fullSeq === undefined && view.actor.kind !== 'system') {
          const key = `${view.table}\0${JSON.stringify(view.where ?? null)}`
          const list = shared.get(key)
          if (list) list.push(view)
          else shared.set(key, [view])
          continue
        }
        try {
          evaluate(view, own, fullSeq)
        } catch (error) {
          options.onError(error)
        }
      }
      for (const list of shared.values()) {
        const { table, where } = list[0]!
        const own = byTable.get(table)!
        try {
          const ids = [...new Set(own.map((e) => e.rowId))]
          const byId: Where = ids.length === 1 ? { kind: 'compare', column: 'id', operator: 'eq', value: ids[0]! } : { kind: 'in', column: 'id', values: ids }
          const read = data.listForActors(
            list.map((view) => view.actor),
            { table, where: where ? { kind: 'and', where: [byId, where] } : byId },
          )
          // Rows shared between actors (listForActors) are serialized once.
          const texts = new WeakMap<RowObject, string>()
          const textOf = (row: RowObject) => {
            let found = texts.get(row)
            if (found === undefined) {
              found = JSON.stringify(row)
              texts.set(row, found)
            }
            return found
          }
          list.forEach((view, i) => {
            try {
              evaluate(view, own, undefined, new Map(read[i]!.map((row) => [String(row.id), textOf(row)])))
            } catch (error) {
              options.onError(error)
            }
          })
        } catch (error) {
          options.onError(error)
        }
      }
    },
    rows(view) {
      return data.list(view.actor, { table: view.table, ...(view.where ? { where: view.where } : {}), limit: options.maxViewRows }, { as: 'json' }).rows as string[]
    },
    replay(subscription, entries) {
      const view = subscription.view
      const rows = byRow(entries)
      // Whether the subscriber could read each row before the window: its first image, judged now.
      const firsts = [...rows.values()].map((list) => list[0]!).filter((first) => first.operation !== 'create' && first.old !== null)
      const before = data.readableImages(view.actor, view.table, firsts.map((first) => JSON.parse(first.old!) as RowObject), view.where)
      const { changes } = changesOf(view, rows, rowsById(view, [...rows.keys()]), (first) => first.operation !== 'create' && before.has(first.rowId))
      changes.sort((a, b) => a.seq - b.seq)
      deliver([subscription], changes)
    },
    move(subscription, to, seq) {
      const from = subscription.view
      if (from === to) return
      const entered = [...to.visible].filter((id) => !from.visible.has(id))
      const contents = rowsById(to, entered)
      const changes: Change[] = []
      for (const id of from.visible) if (!to.visible.has(id)) changes.push({ seq, kind: 'leave', operation: undefined, rowId: id, row: undefined })
      for (const id of entered) {
        const row = contents.get(id)
        if (row !== undefined) changes.push({ seq, kind: 'enter', operation: undefined, rowId: id, row })
      }
      detach(subscription)
      subscription.view = to
      attach(subscription)
      deliver([subscription], changes)
    },
  }
}
