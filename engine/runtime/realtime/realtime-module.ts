import type { FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { realtimeRoutes } from '../../ir/routes/realtime-routes.ts'
import type { RouteContract } from '../../ir/routes/route-contract.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { ConnectionIdentity } from '../auth/request-auth.ts'
import { registerContractRoutes } from '../http/route-contract.ts'
import { registerWebsocket } from '../http/websocket.ts'
import { defineModule } from '../modules/feature-module.ts'
import { DEFAULT_CHANNEL_POLICY, type ChannelPolicy } from './channels.ts'
import { createChangeLog, logWrites, REALTIME_SYSTEM_MIGRATIONS } from './change-log.ts'
import { CHANNEL_RELAY_MIGRATION, createChannelRelay } from './channel-relay.ts'
import { createHub, type RealtimeSettings, type Transport } from './hub.ts'
import { openEventStream } from './event-stream.ts'
import { MAX_CLIENT_MESSAGE_BYTES, SubscribeMessage } from './protocol.ts'

export interface RealtimeModuleOptions {
  /** How often the change log is read for other processes' writes, in ms (their delivery latency). Default 100. */
  readonly pollIntervalMs?: number
  /** How long missed events can be resumed, in ms. Default one hour. */
  readonly retentionMs?: number
  /** Bytes waiting to be sent after which a connection is cut off (KL_API_REALTIME_SLOW_CONSUMER). Default 1 MiB. */
  readonly maxBufferedBytes?: number
  /** Rows one subscription's view may admit. Default 10,000. */
  readonly maxViewRows?: number
  readonly maxSubscriptionsPerConnection?: number
  readonly maxChannelsPerConnection?: number
  /** How often idle connections get the log's head, in ms. Default 25,000. */
  readonly heartbeatMs?: number
  /**
   * Who may join and broadcast on which channel (default: signed-in users and the service key, on
   * every channel), and how long a member of a process that died stays in presence (default 30 s).
   */
  readonly channels?: { readonly authorize?: ChannelPolicy; readonly presenceTtlMs?: number }
}

const DEFAULTS: Omit<RealtimeSettings, 'channelPolicy' | 'presenceTtlMs'> = {
  pollIntervalMs: 100,
  retentionMs: 60 * 60 * 1000,
  maxBufferedBytes: 1024 * 1024,
  maxViewRows: 10_000,
  maxSubscriptionsPerConnection: 100,
  maxChannelsPerConnection: 20,
  heartbeatMs: 25_000,
}

const identities = new WeakMap<FastifyRequest, ConnectionIdentity>()

/** An event stream's query (validated by its contract entry's schema first): one subscription. */
const StreamQuery = z.object({
  table: z.string(),
  id: z.string().optional(),
  filter: z.string().optional(),
  events: z.string().optional(),
  initial: z.enum(['true', 'false']).optional(),
  after: z.string().regex(/^\d+$/).optional(),
})

/** The subscription an event stream asks for; `Last-Event-ID` (a reconnecting EventSource) takes precedence over `after`. */
function streamSubscription(request: FastifyRequest): SubscribeMessage {
  const query = StreamQuery.safeParse(request.query)
  if (!query.success) throw new KoyaError('KL_API_REALTIME_BAD_MESSAGE', `The event stream's query is malformed at "${query.error.issues[0]!.path.join('.')}".`)
  const lastEventId = request.headers['last-event-id']
  const after = typeof lastEventId === 'string' && /^\d+$/.test(lastEventId) ? Number(lastEventId) : query.data.after === undefined ? undefined : Number(query.data.after)
  const subscribe = SubscribeMessage.safeParse({
    type: 'subscribe',
    id: query.data.id ?? 'events',
    table: query.data.table,
    ...(query.data.filter === undefined ? {} : { filter: query.data.filter }),
    ...(query.data.events === undefined ? {} : { events: query.data.events.split(',') }),
    ...(query.data.initial === 'true' ? { initial: true } : {}),
    ...(after === undefined ? {} : { after }),
  })
  if (!subscribe.success) {
    throw new KoyaError('KL_API_REALTIME_BAD_MESSAGE', `The event stream's query is malformed at "${subscribe.error.issues[0]!.path.join('.')}".`, {
      hint: 'Send table, and optionally id, filter, events (create,update,delete), initial=true and after.',
    })
  }
  return subscribe.data
}

/**
 * Realtime at `/realtime`: row changes filtered by the read policies (subscriptions), broadcast
 * channels and presence, over a WebSocket (`GET /realtime`) or, one-way, server-sent events
 * (`GET /realtime/events?table=…`). The change log (`_koya_realtime_events`) is written inside
 * every write's transaction, by every process on the database, and read here (docs/realtime.md).
 */
export const realtimeModule = defineModule<RealtimeModuleOptions | undefined>({
  name: 'realtime',
  systemMigrations: [...REALTIME_SYSTEM_MIGRATIONS, CHANNEL_RELAY_MIGRATION],
  async register(app, runtime, options = {}) {
    const settings: RealtimeSettings = {
      ...DEFAULTS,
      ...Object.fromEntries(Object.entries(options).filter(([key, value]) => key !== 'channels' && value !== undefined)),
      channelPolicy: options.channels?.authorize ?? DEFAULT_CHANNEL_POLICY,
      presenceTtlMs: options.channels?.presenceTtlMs ?? 30_000,
    }
    const log = createChangeLog(runtime.db)
    // Relayed channel messages are read within a poll: a minute is ample, 10,000 a hard bound.
    const relay = createChannelRelay(runtime.db, runtime.clock, { presenceTtlMs: settings.presenceTtlMs, retainMs: 60_000, maxEntries: 10_000 })
    const credentials = runtime.credentials()
    const hub = createHub({
      model: runtime.model,
      db: runtime.db,
      data: runtime.data,
      log,
      relay,
      credentials,
      clock: runtime.clock,
      settings,
      onError: (error) => app.log.error({ err: error }, 'realtime delivery failed'),
      onClose: (connection, code) => app.log.info({ connection, code }, 'realtime connection closed by the server'),
    })
    const stopLogging = logWrites(runtime.data, runtime.clock)
    const stopWaking = runtime.data.events.subscribe({ phase: 'commit', handle: () => hub.wake() })

    await registerWebsocket(app, { maxPayload: MAX_CLIENT_MESSAGE_BYTES })
    // Who the connection is, decided before the upgrade, so a refusal is an HTTP answer (401, 403).
    const authenticate = async (request: FastifyRequest) => {
      identities.set(request, credentials.of(request))
    }

    app.get('/realtime', { websocket: true, preValidation: authenticate }, (socket, request) => {
      // The TCP socket under the WebSocket (ws took it over from the upgrade request).
      const tcp = request.raw.socket
      const transport: Transport = {
        send: (message) => socket.send(message),
        sendEncoded: (message) => socket.send(message, { binary: false }),
        cork: () => tcp.cork(),
        uncork: () => tcp.uncork(),
        buffered: () => socket.bufferedAmount,
        close(code, reason) {
          socket.close(code, reason)
          // A peer that does not read never answers the close: drop it after a grace period.
          setTimeout(() => socket.terminate(), 2000).unref()
        },
      }
      const connection = hub.open(transport, identities.get(request)!)
      socket.on('message', (raw, isBinary) => {
        if (isBinary) return hub.message(connection, '')
        hub.message(connection, (Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as ArrayBuffer)).toString('utf8'))
      })
      socket.on('close', () => hub.closed(connection))
      socket.on('error', () => hub.closed(connection))
    })

    // The event stream is served from its route contract entry (its query schema validates);
    // the WebSocket's entry only documents the upgrade, which @fastify/websocket serves above.
    const events = realtimeRoutes(runtime.model).routes.filter((route): route is RouteContract<'realtimeEvents'> => route.id === 'realtimeEvents')
    registerContractRoutes(app, {
      ids: ['realtimeEvents'] as const,
      routes: events,
      isAnonymous: () => false,
      handlers: {
        async realtimeEvents(request: FastifyRequest, reply: FastifyReply) {
          const subscribe = streamSubscription(request)
          const identity = credentials.of(request)
          const connection = hub.open(openEventStream(reply), identity)
          request.raw.on('close', () => hub.closed(connection))
          // A stream holds its one subscription: refused (the `failure` event says why), it ends.
          if (!hub.subscribe(connection, subscribe)) {
            connection.closed = true
            connection.transport.close(1008, 'subscription refused')
            hub.closed(connection)
          }
        },
      },
    })

    app.addHook('onReady', async () => hub.start())
    app.addHook('preClose', async () => {
      stopLogging()
      stopWaking()
      hub.stop()
    })
    return { realtime: hub }
  },
})
