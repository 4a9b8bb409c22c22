import type { FastifyRequest } from 'fastify'
import type { DocumentNode, GraphQLResolveInfo, GraphQLSchema, ValidationRule } from 'graphql'
import type { WebSocket } from 'ws'
import { graphqlNamesOf } from '../../ir/graphql/graphql-names.ts'
import type { ProjectIR, TableIR } from '../../ir/project-ir.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { ConnectionCredentials, ConnectionIdentity } from '../auth/request-auth.ts'
import type { DataLayer } from '../data/data-layer.ts'
import type { SelectItem } from '../data/query.ts'
import type { WriteOperation } from '../data/write-events.ts'
import type { Connection, Hub } from '../realtime/hub.ts'
import { whereOf } from './arguments.ts'
import { GraphQLError, specifiedRules, validate } from './graphql-js.ts'
import { checkLimits, type GraphqlLimits } from './limits.ts'
import { selectOf, type SelectionContext } from './selection.ts'

/**
 * GraphQL subscriptions (`Subscription.<table>Changes`) over graphql-ws on `/graphql`. They are
 * not a second realtime mechanism: each GraphQL WebSocket is a connection of the realtime hub
 * (runtime/realtime), each subscription one of its subscriptions, so the change log, the views
 * shared by subscribers with the same policy facts, enter/leave, resume, the session re-checks
 * and the slow-consumer cut-off are the same code. The hub's protocol messages for a connection
 * are turned here into the values of each subscription's async iterator.
 */
export interface GraphqlSubscriptionDeps {
  readonly model: ProjectIR
  readonly data: DataLayer
  readonly hub: Hub
  readonly credentials: ConnectionCredentials
  readonly limits: GraphqlLimits
  readonly rules: readonly ValidationRule[]
}

/** One value of a `<Type>Change`: rows are REST's JSON objects, keyed by column. */
interface ChangeValue {
  readonly event: string
  readonly seq: string
  readonly rowId: string | null
  readonly row: Record<string, unknown> | null
  readonly rows: Record<string, unknown>[] | null
}

/** A subscription's values, in order, until it ends: what Mercurius iterates. */
interface Stream extends AsyncIterableIterator<ChangeValue> {
  push(value: ChangeValue, bytes: number): void
  fail(error: unknown): void
  end(): void
}

/** The per-socket state Mercurius keeps in the subscription context (its `context` option). */
interface GraphqlSocket {
  readonly socket: WebSocket
  readonly request: FastifyRequest
  connection: Connection | undefined
  readonly streams: Map<string, Stream>
  /** Bytes of values the iterators hold that Mercurius has not taken yet. */
  queued: number
}

interface SubscriptionContext {
  readonly koyaSocket: GraphqlSocket
  readonly _connectionInit?: unknown
  readonly id: string | number
}

const KIND_OF_EVENT: Readonly<Record<string, string>> = { create: 'CREATE', update: 'UPDATE', delete: 'DELETE', enter: 'ENTER', leave: 'LEAVE' }

/** The session token a graphql-ws client sends in `connection_init` (`{ token }`, `{ authorization: 'Bearer …' }`, or either under `headers`). */
function tokenOf(payload: unknown): string | undefined {
  if (payload === null || typeof payload !== 'object') return undefined
  const fields = payload as Record<string, unknown>
  if (typeof fields.token === 'string') return fields.token
  const authorization = fields.authorization ?? fields.Authorization
  if (typeof authorization === 'string') return /^Bearer\s+(.+)$/i.exec(authorization)?.[1]
  return fields.headers === undefined ? undefined : tokenOf(fields.headers)
}

function coded(error: unknown): InstanceType<typeof GraphQLError> {
  if (error instanceof KoyaError) return new GraphQLError(error.message, { extensions: { code: error.code, ...(error.hint ? { hint: error.hint } : {}) } })
  return new GraphQLError('The server failed to start the subscription.', { extensions: { code: 'KL_INT_UNEXPECTED' } })
}

function createStream(owner: GraphqlSocket, onReturn: () => void): Stream {
  const values: { value: ChangeValue; bytes: number }[] = []
  let waiting: ((result: IteratorResult<ChangeValue>) => void) | undefined
  let failing: { reject: (error: unknown) => void } | undefined
  let error: unknown
  let done = false
  const finish = () => {
    if (done) return
    done = true
    for (const v of values) owner.queued -= v.bytes
    values.length = 0
    onReturn()
  }
  const stream: Stream = {
    push(value, bytes) {
      if (done) return
      if (waiting) {
        const resolve = waiting
        waiting = failing = undefined
        resolve({ value, done: false })
        return
      }
      values.push({ value, bytes })
      owner.queued += bytes
    },
    fail(cause) {
      if (done) return
      error = coded(cause)
      if (failing) failing.reject(error)
      waiting = failing = undefined
      finish()
    },
    end() {
      if (waiting) waiting({ value: undefined, done: true })
      waiting = failing = undefined
      finish()
    },
    next() {
      const first = values.shift()
      if (first) {
        owner.queued -= first.bytes
        return Promise.resolve({ value: first.value, done: false })
      }
      if (error !== undefined) return Promise.reject(error)
      if (done) return Promise.resolve({ value: undefined, done: true })
      return new Promise((resolve, reject) => {
        waiting = resolve
        failing = { reject }
      })
    },
    return() {
      stream.end()
      return Promise.resolve({ value: undefined, done: true })
    },
    [Symbol.asyncIterator]() {
      return stream
    },
  }
  return stream
}

/** The hub's message for one of this socket's subscriptions, as the value of its stream. */
function dispatch(owner: GraphqlSocket, text: string): void {
  const message = JSON.parse(text) as { type: string; id?: string; seq?: number; last?: number; event?: string; rowId?: string; row?: Record<string, unknown>; rows?: Record<string, unknown>[] }
  const stream = message.id === undefined ? undefined : owner.streams.get(message.id)
  if (!stream) return
  switch (message.type) {
    case 'change':
      return stream.push({ event: KIND_OF_EVENT[message.event!]!, seq: String(message.seq), rowId: message.rowId!, row: message.row ?? null, rows: null }, text.length)
    case 'subscribed':
      if (message.rows !== undefined) stream.push({ event: 'INITIAL', seq: String(message.last), rowId: null, row: null, rows: message.rows }, text.length)
      return
    case 'resync':
      return stream.push({ event: 'RESYNC', seq: String(message.last), rowId: null, row: null, rows: message.rows ?? null }, text.length)
    case 'error': {
      const error = message as unknown as { code: string; message: string; hint?: string }
      return stream.fail(new KoyaError(error.code as never, error.message, error.hint ? { hint: error.hint } : {}))
    }
    default:
      return
  }
}

/**
 * The Subscription resolvers and the `<Type>Change` row fields, and Mercurius's `subscription`
 * option. A subscription's rows are the realtime view's JSON (REST's columns); when a subscriber
 * selects relations of them, the rows are read again through the data layer as that subscriber.
 */
export function createGraphqlSubscriptions(deps: GraphqlSubscriptionDeps) {
  const { model, data, hub, credentials } = deps
  const tables = new Map(model.tables.map((t) => [t.name, t]))
  const tableOf = (name: string): TableIR => tables.get(name)!

  const identityOf = (owner: GraphqlSocket, payload: unknown): ConnectionIdentity => {
    const token = tokenOf(payload)
    if (token === undefined) return credentials.of(owner.request)
    const now = credentials.actorOfToken(token)
    if (now === undefined) throw new KoyaError('KL_AUTH_REQUIRED', 'The token is not a valid session: it expired, was revoked or is mistyped.')
    return { ...now, token }
  }

  /** The socket's hub connection, opened with its first subscription. */
  const connectionOf = (owner: GraphqlSocket, payload: unknown): Connection => {
    if (owner.connection) return owner.connection
    const connection = hub.open(
      {
        send: (message) => dispatch(owner, message),
        // What the iterators hold drains as fast as Mercurius sends, in a burst too; it counts
        // once the socket itself holds bytes the network did not take (the peer stopped reading).
        buffered: () => (owner.socket.bufferedAmount > 0 ? owner.socket.bufferedAmount + owner.queued : 0),
        close(code, reason) {
          for (const stream of owner.streams.values()) stream.end()
          owner.socket.close(code, reason)
          // A peer that does not read never answers the close: drop it after a grace period.
          setTimeout(() => owner.socket.terminate(), 2000).unref()
        },
      },
      identityOf(owner, payload),
    )
    owner.connection = connection
    owner.socket.once('close', () => hub.closed(connection))
    return connection
  }

  const selection = (info: GraphQLResolveInfo): SelectionContext => ({ schema: info.schema, fragments: info.fragments, variables: info.variableValues, tableOf, pages: deps.limits })

  /** Rows (REST's JSON, by column) as the row type's resolvers read them: by response key; relations read again as the subscriber. */
  const shape = (table: TableIR, rows: readonly Record<string, unknown>[], context: SubscriptionContext, info: GraphQLResolveInfo): Record<string, unknown>[] => {
    const select = selectOf(selection(info), table, info.fieldNodes)
    const columns = (row: Record<string, unknown>) => Object.fromEntries(select.map((item) => [keyOf(item), item.kind === 'column' ? row[item.column] : emptyOf(table, item)]))
    if (select.every((item) => item.kind === 'column') || rows.length === 0) return rows.map(columns)
    const actor = context.koyaSocket.connection?.identity.actor
    if (actor === undefined) return rows.map(columns)
    const ids = rows.map((row) => String(row.id))
    const read = data.list(actor, { table: table.name, select: [...select, { kind: 'column', column: 'id', as: '__rowId' }], where: { kind: 'in', column: 'id', values: ids } }, { as: 'objects' }).rows
    const byId = new Map(read.map((row) => [String(row.__rowId), row]))
    // A deleted row (or one no longer readable) keeps its columns; its relations are empty.
    return rows.map((row) => byId.get(String(row.id)) ?? columns(row))
  }

  const Subscription: Record<string, { subscribe: (root: unknown, args: Record<string, unknown>, context: SubscriptionContext, info: GraphQLResolveInfo) => AsyncIterableIterator<ChangeValue>; resolve: (value: ChangeValue) => ChangeValue }> = {}
  const changeTypes: Record<string, Record<string, (source: ChangeValue, args: unknown, context: SubscriptionContext, info: GraphQLResolveInfo) => unknown>> = {}
  for (const table of model.tables) {
    const n = graphqlNamesOf(table)
    Subscription[n.changes] = {
      subscribe(_root, args, context) {
        try {
          return start(table, args, context)
        } catch (error) {
          throw error instanceof GraphQLError ? error : coded(error)
        }
      },
      resolve: (value) => value,
    }
    changeTypes[n.change] = {
      row: (source, _args, context, info) => (source.row === null ? null : shape(table, [source.row], context, info)[0]),
      rows: (source, _args, context, info) => (source.rows === null ? null : shape(table, source.rows, context, info)),
    }
  }

  /** One subscription: a stream fed by a hub subscription of the socket's connection. */
  const start = (table: TableIR, args: Record<string, unknown>, context: SubscriptionContext): Stream => {
    const owner = context.koyaSocket
    const id = `gql:${String(context.id)}`
    const connection = connectionOf(owner, context._connectionInit)
    const where = whereOf(table, tableOf, args.where as Record<string, unknown> | undefined)
    const events = (args.events as string[] | null | undefined)?.map((e) => e.toLowerCase() as WriteOperation)
    const after = args.after === null || args.after === undefined ? undefined : Number(args.after)
    if (after !== undefined && !(Number.isSafeInteger(after) && after >= 0)) {
      throw new KoyaError('KL_API_REALTIME_BAD_MESSAGE', '`after` takes the seq of an event received earlier (a whole number).')
    }
    const stream = createStream(owner, () => {
      if (owner.streams.get(id) !== stream) return
      owner.streams.delete(id)
      if (connection.subscriptions.has(id)) hub.message(connection, JSON.stringify({ type: 'unsubscribe', id }))
    })
    owner.streams.set(id, stream)
    const subscribed = hub.subscribe(
      connection,
      { type: 'subscribe', id, table: table.name, ...(events && events.length > 0 ? { events } : {}), ...(args.initial === true ? { initial: true } : {}), ...(after === undefined ? {} : { after }) },
      { where },
    )
    // Refused: the hub's error message failed the stream, whose first next() rejects with it.
    if (!subscribed) owner.streams.delete(id)
    return stream
  }

  return {
    resolvers: { Subscription, ...changeTypes },
    /** Mercurius's `subscription` option. */
    mercurius: {
      context: (socket: WebSocket, request: FastifyRequest) => ({ koyaSocket: { socket, request, connection: undefined, streams: new Map(), queued: 0 } satisfies GraphqlSocket }),
      /**
       * A token in `connection_init` must be a live session: refused there, not at the first subscription.
       * The graphql-transport-ws protocol closes a refused init with 4403 Forbidden; Mercurius would send
       * `connection_error` and close without a code, so the socket is closed here first. Mercurius calls
       * `onConnect` as a method of its connection, whose `socket` is the client's.
       */
      onConnect(this: { socket?: WebSocket } | undefined, message: { payload?: unknown }) {
        const token = tokenOf(message.payload)
        if (token === undefined || credentials.actorOfToken(token) !== undefined) return true
        const socket = this?.socket
        if (socket?.protocol === 'graphql-transport-ws') socket.close(4403, 'Forbidden')
        return false
      },
      keepAlive: 25_000,
    },
    /** Mercurius runs a subscription without validating it: the same rules and limits as queries, first. */
    check(schema: GraphQLSchema, document: DocumentNode) {
      const errors = validate(schema, document, [...specifiedRules, ...deps.rules])
      if (errors.length > 0) throw withCode(errors[0]!, 'KL_API_GRAPHQL_INVALID')
      try {
        checkLimits(schema, document, deps.limits)
      } catch (error) {
        const first = (error as { errors?: InstanceType<typeof GraphQLError>[] }).errors?.[0]
        throw first ?? error
      }
    },
  }
}

function keyOf(item: SelectItem): string {
  return item.kind === 'all' ? '*' : (item.as ?? (item.kind === 'column' ? item.column : item.relation))
}

/** What a relation field of a row that cannot be read again holds: nothing. */
function emptyOf(table: TableIR, item: SelectItem): unknown {
  if (item.kind !== 'embed') return undefined
  return table.relations.find((r) => r.name === item.relation)?.kind === 'belongsTo' ? null : []
}

function withCode(error: InstanceType<typeof GraphQLError>, code: string): InstanceType<typeof GraphQLError> {
  if (typeof error.extensions?.code === 'string') return error
  return new GraphQLError(error.message, { nodes: error.nodes, extensions: { code } })
}
