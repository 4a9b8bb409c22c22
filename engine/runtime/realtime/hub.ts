import type { ProjectIR } from '../../ir/project-ir.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import type { ConnectionCredentials, ConnectionIdentity } from '../auth/request-auth.ts'
import type { DataLayer } from '../data/data-layer.ts'
import type { Where } from '../data/query.ts'
import type { WriteOperation } from '../data/write-events.ts'
import { toWhere } from '../rest/neutral-query.ts'
import { parseQuery } from '../rest/query-grammar.ts'
import { createChannels, type ChannelMember, type ChannelPolicy } from './channels.ts'
import type { ChangeLog } from './change-log.ts'
import type { ChannelRelay } from './channel-relay.ts'
import { viewDependencies } from './dependencies.ts'
import { CLOSE, parseClientMessage, text, type ClientMessage, type SubscribeMessage } from './protocol.ts'
import { createViews, policyActor, type Subscription } from './views.ts'

export interface RealtimeSettings {
  /** How often the change log is read for other processes' writes (and sessions re-checked), in ms. */
  readonly pollIntervalMs: number
  /** How long log entries are kept for resumption, in ms. */
  readonly retentionMs: number
  /** Bytes a connection may have waiting to be sent before it is cut off. */
  readonly maxBufferedBytes: number
  /** Rows one view may admit (its ids are kept in memory). */
  readonly maxViewRows: number
  readonly maxSubscriptionsPerConnection: number
  readonly maxChannelsPerConnection: number
  /** How often an idle connection is told the log's head (its resume point), in ms. */
  readonly heartbeatMs: number
  readonly channelPolicy: ChannelPolicy
  /** A channel member of a process that stopped refreshing it (killed) leaves after this long, in ms. */
  readonly presenceTtlMs: number
}

/** How a connection's bytes leave: a WebSocket or an event stream. */
export interface Transport {
  send(message: string): void
  /**
   * Send a message already encoded as UTF-8 (the same bytes for every recipient of a change), when
   * the transport can take bytes as they are; `send` otherwise.
   */
  sendEncoded?(message: Buffer): void
  /** Hold writes back until uncork: the messages of one delivery batch leave in one write. */
  cork?(): void
  uncork?(): void
  /** Bytes accepted but not yet handed to the network. */
  buffered(): number
  close(code: number, reason: string): void
}

export interface Connection extends ChannelMember {
  readonly transport: Transport
  identity: ConnectionIdentity
  /** When to re-check the session without waiting for the auth epoch: halfway to its expiry (so it is renewed as a request would renew it). */
  recheckAt: number | undefined
  readonly subscriptions: Map<string, Subscription>
  readonly channels: Set<string>
  closed: boolean
}

export interface Hub {
  open(transport: Transport, identity: ConnectionIdentity): Connection
  /** A client message (WebSocket): answered on the connection, never thrown. */
  message(connection: Connection, message: string): void
  /**
   * Subscribe (a WebSocket message, an event stream's query, a GraphQL subscription): errors go to
   * the connection. `parsed` is the filter already in the data layer's form (GraphQL's `where`),
   * instead of the message's REST `filter`. Whether it subscribed.
   */
  subscribe(connection: Connection, message: SubscribeMessage, parsed?: { readonly where: Where | undefined }): boolean
  closed(connection: Connection): void
  /** Read the log now (after a local commit). */
  wake(): void
  start(): void
  stop(): void
  readonly stats: () => { connections: number; views: number; cursor: number }
}

const ALL_OPERATIONS: readonly WriteOperation[] = ['create', 'update', 'delete']
/** Every this many polls, every session is re-checked even if nothing moved the auth epoch (an impersonating admin's session expiring). */
const FULL_SESSION_CHECK_EVERY = 600

/**
 * Halfway from now to a session's expiry: a session renews once less than half its idle time is
 * left, so a check there renews a live one; one past its absolute end is found within a poll.
 */
function halfway(now: number, expiresAt: number | undefined): number | undefined {
  return expiresAt === undefined ? undefined : now + Math.max(0, Math.floor((expiresAt - now) / 2))
}

export function createHub(deps: {
  readonly model: ProjectIR
  readonly db: SqliteDatabase
  readonly data: DataLayer
  readonly log: ChangeLog
  /** Channels' messages and presence to and from the other processes on the database. */
  readonly relay: ChannelRelay
  readonly credentials: ConnectionCredentials
  readonly clock: () => Date
  readonly settings: RealtimeSettings
  readonly onError: (error: unknown) => void
  /** Where the server says it closed a connection (a slow consumer, an ended session). */
  readonly onClose: (connection: string, code: string) => void
}): Hub {
  const { model, db, data, log, relay, credentials, clock, settings } = deps
  const views = createViews(data, { maxViewRows: settings.maxViewRows, onError: deps.onError })
  const channels = createChannels(settings.channelPolicy, relay)
  const connections = new Set<Connection>()
  let cursor = log.head()
  let epoch = log.authEpoch()
  let polls = 0
  let next = 0
  let scheduled = false
  let stopped = false
  const timers: NodeJS.Timeout[] = []
  /**
   * While a batch is delivered: each message's UTF-8 bytes, encoded once for all its recipients
   * (views hand equal messages over as the same string), and the connections held corked.
   */
  const FLUSH_BYTES = Math.min(64 * 1024, settings.maxBufferedBytes / 4)
  let batch: { readonly encoded: Map<string, Buffer>; readonly corked: Set<Connection> } | undefined

  const fail = (connection: Connection, error: unknown, about: { readonly id?: string; readonly channel?: string } = {}) => {
    if (error instanceof KoyaError) connection.send(text.error(error, about))
    else {
      deps.onError(error)
      connection.send(text.error(new KoyaError('KL_INT_UNEXPECTED', 'The realtime server failed to handle a message.'), about))
    }
  }

  const close = (connection: Connection, code: number, error: KoyaError) => {
    if (connection.closed) return
    connection.closed = true
    connection.transport.close(code, error.code)
    forget(connection)
    deps.onClose(connection.key, error.code)
  }

  const forget = (connection: Connection) => {
    connections.delete(connection)
    for (const sub of connection.subscriptions.values()) views.detach(sub)
    connection.subscriptions.clear()
    for (const channel of connection.channels) channels.part(connection, channel)
    connection.channels.clear()
  }

  const whereOf = (table: string, filter: string | undefined): Where | undefined => {
    if (filter === undefined || filter === '') return undefined
    const parsed = parseQuery(new URLSearchParams(filter))
    if (parsed.order.length > 0 || parsed.limit !== undefined || parsed.offset !== undefined || parsed.select.some((s) => s.kind !== 'all') || parsed.embedRanges.length > 0 || parsed.onConflict || parsed.columns) {
      throw new KoyaError('KL_API_REALTIME_BAD_MESSAGE', 'A subscription\'s filter takes filters only (no select, order, limit, offset, on_conflict or columns).')
    }
    return toWhere(data.model.table(table), parsed)
  }

  /** The connection's identity now: re-read from its session token; closes it when the session ended. */
  const recheck = (connection: Connection) => {
    const token = connection.identity.token
    if (token === undefined) return
    const now = credentials.actorOfToken(token)
    if (now === undefined) {
      close(connection, CLOSE.sessionEnded, new KoyaError('KL_API_REALTIME_SESSION_ENDED', 'The session this connection was opened with ended.'))
      return
    }
    const before = connection.identity.actor
    connection.identity = { ...now, token }
    connection.recheckAt = halfway(clock().getTime(), now.expiresAt)
    if (JSON.stringify(policyActor(before)) !== JSON.stringify(policyActor(now.actor))) regroup(connection)
  }

  /** The connection acts as someone else now: each subscription moves to the view of its new facts. */
  const regroup = (connection: Connection) => {
    for (const sub of [...connection.subscriptions.values()]) {
      try {
        const to = views.viewOf(sub.view.table, connection.identity.actor, sub.view.where, () => sub.view.deps)
        views.move(sub, to, cursor)
      } catch (error) {
        views.detach(sub)
        connection.subscriptions.delete(sub.id)
        fail(connection, error, { id: sub.id })
      }
    }
    for (const channel of [...connection.channels]) if (!channels.recheck(connection, channel)) connection.channels.delete(channel)
  }

  const checkSessions = (force: boolean) => {
    const current = log.authEpoch()
    const moved = current !== epoch
    epoch = current
    const now = clock().getTime()
    for (const connection of [...connections]) {
      if (connection.identity.token === undefined) continue
      const due = connection.recheckAt
      if (force || moved || (due !== undefined && now >= due)) recheck(connection)
    }
  }

  /**
   * Deliver what the log holds past the cursor. Sessions are checked first, so a revoked grant or
   * an ended session applies to the very next event.
   */
  const drain = () => {
    scheduled = false
    if (stopped) return
    try {
      checkSessions(false)
      // No view listens: nothing to deliver. The cursor moves to the log's head, so a first view
      // starts from now (a resuming client reads the log itself), and an idle server reads nothing.
      if (views.size === 0) {
        cursor = log.head()
        return
      }
      // One read transaction per batch: every view reads the same snapshot, and SQLite takes its
      // read lock once instead of once per view's statement (less than half the cost per read).
      const read = db.transaction(() => {
        const entries = log.after(cursor, 1000)
        if (entries.length === 0) return false
        cursor = entries.at(-1)!.id
        views.apply(entries)
        // A short batch reached the head: no second read transaction to find nothing.
        return entries.length === 1000
      })
      // With read observers (the PHI audit) a delivery writes its audit entry inside the batch:
      // a deferred read transaction could not take the write lock once another process had
      // committed (SQLITE_BUSY_SNAPSHOT) and the event would be dropped, so the batch takes the
      // write lock from its start, waiting like any writer. Apps without observers read as before.
      const audited = data.hasReadObservers()
      batch = { encoded: new Map(), corked: new Set() }
      try {
        while (audited ? read.immediate() : read()) {
          // until the log is drained
        }
      } finally {
        const { corked } = batch
        batch = undefined
        for (const connection of corked) connection.transport.uncork?.()
      }
    } catch (error) {
      deps.onError(error)
    }
  }

  /** Send through the batch's shared encodings and corks, or as is outside a batch. */
  const transmit = (connection: Connection, message: string) => {
    const { transport } = connection
    if (batch === undefined || transport.sendEncoded === undefined) return transport.send(message)
    if (transport.cork && !batch.corked.has(connection)) {
      transport.cork()
      batch.corked.add(connection)
    }
    let bytes = batch.encoded.get(message)
    if (bytes === undefined) {
      bytes = Buffer.from(message, 'utf8')
      batch.encoded.set(message, bytes)
    }
    transport.sendEncoded(bytes)
    // Corked bytes count as unsent: hand a large batch to the network now, so that only bytes the
    // peer did not read can reach maxBufferedBytes (the slow-consumer check that follows).
    if (transport.uncork && transport.buffered() >= FLUSH_BYTES) {
      transport.uncork()
      batch.corked.delete(connection)
    }
  }

  const subscribe = (connection: Connection, message: SubscribeMessage, parsed?: { readonly where: Where | undefined }): boolean => {
    try {
      if (connection.subscriptions.has(message.id)) throw new KoyaError('KL_API_REALTIME_BAD_MESSAGE', `Subscription "${message.id}" already exists on this connection.`, { hint: 'Give each subscription its own id, or unsubscribe first.' })
      if (connection.subscriptions.size >= settings.maxSubscriptionsPerConnection) {
        throw new KoyaError('KL_API_REALTIME_TOO_MANY', `A connection may hold ${settings.maxSubscriptionsPerConnection} subscriptions.`)
      }
      const table = data.model.table(message.table).name
      const where = parsed ? parsed.where : whereOf(table, message.filter)
      // Views must agree with the log up to the cursor before a new one reads the table.
      drain()
      const head = cursor
      const view = views.viewOf(table, connection.identity.actor, where, () => viewDependencies(model, table, where))
      const sub: Subscription = { id: message.id, sink: connection, events: new Set(message.events ?? ALL_OPERATIONS), view }
      views.attach(sub)
      connection.subscriptions.set(sub.id, sub)
      const initial = () => (message.initial ? views.rows(view) : undefined)
      const after = message.after
      if (after === undefined) {
        connection.send(text.subscribed(sub.id, head, initial()))
      } else if (after > head || after < log.floor() || log.touches(view.deps, after, head)) {
        // The window is gone (purged, or another log), or access moved rows in it: start over.
        connection.send(text.resync(sub.id, head, initial()))
      } else {
        connection.send(text.subscribed(sub.id, head, undefined))
        views.replay(sub, log.between(table, after, head))
      }
      return true
    } catch (error) {
      fail(connection, error, { id: message.id })
      return false
    }
  }

  const handle = (connection: Connection, message: ClientMessage) => {
    switch (message.type) {
      case 'subscribe':
        subscribe(connection, message)
        return
      case 'unsubscribe': {
        const sub = connection.subscriptions.get(message.id)
        if (!sub) throw new KoyaError('KL_API_REALTIME_BAD_MESSAGE', `No subscription "${message.id}" on this connection.`)
        views.detach(sub)
        connection.subscriptions.delete(message.id)
        connection.send(JSON.stringify({ type: 'unsubscribed', id: message.id }))
        return
      }
      case 'auth': {
        const now = credentials.actorOfToken(message.token)
        if (now === undefined) throw new KoyaError('KL_AUTH_REQUIRED', 'The token is not a valid session: it expired, was revoked or is mistyped.')
        drain()
        connection.identity = { ...now, token: message.token }
        connection.recheckAt = halfway(clock().getTime(), now.expiresAt)
        regroup(connection)
        connection.send(JSON.stringify({ type: 'authenticated', userId: now.actor.kind === 'user' ? now.actor.userId : null }))
        return
      }
      case 'join':
        if (!connection.channels.has(message.channel) && connection.channels.size >= settings.maxChannelsPerConnection) {
          throw new KoyaError('KL_API_REALTIME_TOO_MANY', `A connection may join ${settings.maxChannelsPerConnection} channels.`)
        }
        channels.join(connection, message.channel, message.presence ?? {})
        connection.channels.add(message.channel)
        return
      case 'part':
        channels.part(connection, message.channel)
        connection.channels.delete(message.channel)
        connection.send(JSON.stringify({ type: 'parted', channel: message.channel }))
        return
      case 'broadcast':
        channels.broadcast(connection, message.channel, message.event, message.payload)
        return
      case 'ping':
        connection.send('{"type":"pong"}')
        return
      default:
        throw new KoyaError('KL_API_REALTIME_BAD_MESSAGE', 'Unknown message type.')
    }
  }

  return {
    open(transport, identity) {
      // Unique across the processes on the database: presence lists members of all of them.
      const key = `${relay.origin}.${++next}`
      const connection: Connection = {
        key,
        transport,
        identity,
        recheckAt: halfway(clock().getTime(), identity.expiresAt),
        subscriptions: new Map(),
        channels: new Set(),
        closed: false,
        actor: () => connection.identity.actor,
        send(message) {
          if (connection.closed) return
          transmit(connection, message)
          // Bounded memory: a connection that does not read is cut off, never buffered without end.
          if (transport.buffered() > settings.maxBufferedBytes) {
            close(connection, CLOSE.slowConsumer, new KoyaError('KL_API_REALTIME_SLOW_CONSUMER', 'The connection did not read its messages fast enough.'))
          }
        },
      }
      connections.add(connection)
      return connection
    },
    message(connection, message) {
      if (connection.closed) return
      let parsed: ClientMessage
      try {
        parsed = parseClientMessage(message)
      } catch (error) {
        return fail(connection, error)
      }
      try {
        handle(connection, parsed)
      } catch (error) {
        fail(connection, error, 'channel' in parsed ? { channel: parsed.channel } : 'id' in parsed ? { id: parsed.id } : {})
      }
    },
    subscribe,
    closed(connection) {
      connection.closed = true
      forget(connection)
    },
    wake() {
      if (scheduled || views.size === 0) return
      scheduled = true
      setImmediate(drain)
    },
    start() {
      timers.push(
        setInterval(() => {
          // Without connections there is no one to deliver to or re-check: a server no client
          // listens to polls nothing (issue 21: idle cost).
          if (connections.size === 0) return
          polls += 1
          if (polls % FULL_SESSION_CHECK_EVERY === 0) checkSessions(true)
          drain()
          if (channels.active()) {
            try {
              relay.poll(channels.deliver)
            } catch (error) {
              deps.onError(error)
            }
          }
        }, settings.pollIntervalMs),
        setInterval(() => {
          if (!channels.active()) return
          try {
            relay.maintain(clock().getTime(), channels.deliver)
          } catch (error) {
            deps.onError(error)
          }
        }, Math.max(50, Math.floor(settings.presenceTtlMs / 3))),
        setInterval(() => {
          const beat = text.heartbeat(cursor)
          for (const connection of connections) connection.send(beat)
        }, settings.heartbeatMs),
        setInterval(() => {
          try {
            log.purge(clock().getTime() - settings.retentionMs)
          } catch (error) {
            deps.onError(error)
          }
        }, Math.min(60_000, Math.max(1000, settings.retentionMs / 10))),
      )
      for (const timer of timers) timer.unref()
    },
    stop() {
      stopped = true
      for (const timer of timers) clearInterval(timer)
      timers.length = 0
      for (const connection of [...connections]) {
        connection.closed = true
        connection.transport.close(1001, 'server shutting down')
        forget(connection)
      }
      try {
        relay.stop()
      } catch (error) {
        deps.onError(error)
      }
    },
    stats: () => ({ connections: connections.size, views: views.size, cursor }),
  }
}
