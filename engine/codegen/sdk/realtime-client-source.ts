/**
 * The realtime half of the SDK, the same for every app: one WebSocket to /realtime per client,
 * opened on first use, that carries every table subscription and channel, reconnects with backoff
 * and resumes each subscription from the last event it delivered. It needs only a WebSocket
 * (the global one of browsers, Node 22+ and Deno, or one passed in), so the SDK keeps zero
 * dependencies. Printed verbatim into generated/sdk/index.ts.
 *
 * Written as String.raw text: the SDK code in it uses no backticks and no template literals.
 */
export const realtimeClientSource = String.raw`
// ─── Realtime: /realtime ────────────────────────────────────────────────────────────────────────

/** What the client needs of a WebSocket: the global one of browsers, Node 22+ and Deno fits. */
export interface WebSocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { readonly data: unknown }) => void) | null
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null
  onerror: ((event: unknown) => void) | null
}

export type WebSocketFactory = (url: string) => WebSocketLike

/** The write operations a subscription may ask for; enter and leave always come. */
export type ChangeOperation = 'create' | 'update' | 'delete'

/**
 * What a subscription's callback receives. create, update, enter: the row as REST returns it.
 * enter/leave: the row moved into or out of what you may read (a leave never carries the row).
 * delete: the row's last contents when you could read it. initial: the rows that match now
 * (with initial: true). resync: the server could not replay what was missed (it is older than
 * its retention window): reload, or use rows when initial was asked for. error: the server
 * refused the subscription.
 */
export type ChangeEvent<T extends TableName> =
  | { readonly event: 'create' | 'update' | 'enter'; readonly rowId: string; readonly row: RowOf<T>; readonly seq: number }
  | { readonly event: 'delete'; readonly rowId: string; readonly row?: RowOf<T> | undefined; readonly seq: number }
  | { readonly event: 'leave'; readonly rowId: string; readonly seq: number }
  | { readonly event: 'initial' | 'resync'; readonly rows: readonly RowOf<T>[] }
  | { readonly event: 'error'; readonly error: KoyaClientError }

export interface SubscribeOptions<T extends TableName> {
  readonly where?: Where<T> | undefined
  /** Default all three. */
  readonly events?: readonly ChangeOperation[] | undefined
  /** First deliver the rows that match now (event 'initial'). */
  readonly initial?: boolean | undefined
}

/** A member of a channel, as presence lists it. */
export interface PresenceMember {
  readonly key: string
  readonly userId: string | null
  readonly presence: { readonly [key: string]: unknown }
}

export type ChannelEvent =
  | { readonly type: 'broadcast'; readonly event: string; readonly payload: unknown; readonly from: string | null }
  | { readonly type: 'presence'; readonly members: readonly PresenceMember[]; readonly joins: readonly PresenceMember[]; readonly leaves: readonly PresenceMember[] }
  | { readonly type: 'error'; readonly error: KoyaClientError }

/** A broadcast channel with presence: koya.channel(name). */
export interface RealtimeChannel {
  /** Join (again: updates your presence state); the callback gets broadcasts and presence changes. */
  join(presence?: { readonly [key: string]: unknown }): void
  broadcast(event: string, payload?: unknown): void
  on(callback: (event: ChannelEvent) => void): () => void
  /** Who is in the channel now (as last told). */
  members(): readonly PresenceMember[]
  leave(): void
}

/** The client's realtime connection: koya.realtime. */
export interface RealtimeClient {
  /** Close the connection and drop every subscription and channel. */
  close(): void
  /** Reconnect now, with the current token (after signing in or out). */
  reconnect(): void
}

interface LooseSubscription {
  readonly message: { readonly [key: string]: unknown }
  readonly callback: (event: never) => void
  last: number | undefined
}

interface LooseChannel {
  presence: { readonly [key: string]: unknown } | undefined
  joined: boolean
  members: PresenceMember[]
  readonly listeners: Set<(event: ChannelEvent) => void>
}

/** One WebSocket for every subscription and channel of a client; reconnects and resumes. */
class RealtimeConnection implements RealtimeClient {
  readonly #options: ClientOptions
  readonly #slot: TokenSlot
  readonly #subscriptions = new Map<string, LooseSubscription>()
  readonly #channels = new Map<string, LooseChannel>()
  #socket: WebSocketLike | undefined
  #open = false
  #next = 0
  #attempt = 0
  #timer: unknown = undefined

  constructor(options: ClientOptions, slot: TokenSlot) {
    this.#options = options
    this.#slot = slot
  }

  subscribe(table: string, options: { readonly where?: LooseObject | undefined; readonly events?: readonly string[] | undefined; readonly initial?: boolean | undefined }, callback: (event: never) => void): () => void {
    const id = 's' + String(++this.#next)
    const params: QueryParam[] = []
    writeWhere(params, options.where, '')
    const filter = params.map(function (p) { return encodeURIComponent(p[0]) + '=' + encodeURIComponent(p[1]) }).join('&')
    const message: { [key: string]: unknown } = { type: 'subscribe', id: id, table: table }
    if (filter !== '') message['filter'] = filter
    if (options.events !== undefined) message['events'] = options.events
    if (options.initial === true) message['initial'] = true
    const subscription: LooseSubscription = { message: message, callback: callback, last: undefined }
    this.#subscriptions.set(id, subscription)
    this.#ensure()
    if (this.#open) this.#sendSubscribe(subscription)
    return () => {
      if (!this.#subscriptions.delete(id)) return
      this.#send({ type: 'unsubscribe', id: id })
      this.#idle()
    }
  }

  channel(name: string): RealtimeChannel {
    let state = this.#channels.get(name)
    if (state === undefined) {
      state = { presence: undefined, joined: false, members: [], listeners: new Set() }
      this.#channels.set(name, state)
    }
    const channel = state
    return {
      join: (presence) => {
        channel.presence = presence ?? {}
        channel.joined = true
        this.#ensure()
        this.#send({ type: 'join', channel: name, presence: channel.presence })
      },
      broadcast: (event, payload) => {
        this.#send({ type: 'broadcast', channel: name, event: event, payload: payload === undefined ? null : payload })
      },
      on: (callback) => {
        channel.listeners.add(callback)
        return () => { channel.listeners.delete(callback) }
      },
      members: () => channel.members,
      leave: () => {
        if (!channel.joined) return
        channel.joined = false
        channel.members = []
        this.#send({ type: 'part', channel: name })
        this.#idle()
      },
    }
  }

  close(): void {
    this.#subscriptions.clear()
    for (const channel of this.#channels.values()) channel.joined = false
    this.#shut()
  }

  reconnect(): void {
    this.#shut()
    this.#ensure()
  }

  #shut(): void {
    if (this.#timer !== undefined) hostTimers.clearTimeout(this.#timer)
    this.#timer = undefined
    const socket = this.#socket
    this.#socket = undefined
    this.#open = false
    if (socket !== undefined) {
      socket.onclose = null
      socket.onmessage = null
      socket.close(1000, 'closed by the client')
    }
  }

  #wanted(): boolean {
    if (this.#subscriptions.size > 0) return true
    for (const channel of this.#channels.values()) if (channel.joined) return true
    return false
  }

  #idle(): void {
    if (!this.#wanted()) this.#shut()
  }

  #ensure(): void {
    if (this.#socket !== undefined || this.#timer !== undefined) return
    const factory = this.#options.webSocket ?? defaultWebSocket()
    if (factory === undefined) {
      throw new KoyaClientError('KL_CLIENT_NETWORK', 'No WebSocket is available in this runtime.', { status: 0, hint: 'Pass one: createClient({ url, webSocket: (url) => new WebSocket(url) }).' })
    }
    const url = this.#options.url.replace(/\/+$/, '').replace(/^http/, 'ws') + '/realtime'
    const socket = factory(url)
    this.#socket = socket
    socket.onopen = () => { void this.#opened(socket) }
    socket.onmessage = (event) => { this.#receive(String(event.data)) }
    socket.onerror = () => {}
    socket.onclose = (event) => { this.#closed(socket, event.code) }
  }

  async #opened(socket: WebSocketLike): Promise<void> {
    const token = typeof this.#slot.current === 'function' ? await this.#slot.current() : this.#slot.current
    if (socket !== this.#socket) return
    this.#attempt = 0
    this.#open = true
    if (token !== null && token !== undefined && token !== '') socket.send(JSON.stringify({ type: 'auth', token: token }))
    for (const subscription of this.#subscriptions.values()) this.#sendSubscribe(subscription)
    for (const [name, channel] of this.#channels) if (channel.joined) socket.send(JSON.stringify({ type: 'join', channel: name, presence: channel.presence }))
  }

  #closed(socket: WebSocketLike, _code: number): void {
    if (socket !== this.#socket) return
    this.#socket = undefined
    this.#open = false
    if (!this.#wanted()) return
    // Backoff: 0.25 s, 0.5 s, 1 s … at most 10 s between attempts.
    const delay = Math.min(10000, 250 * Math.pow(2, this.#attempt++))
    this.#timer = hostTimers.setTimeout(() => {
      this.#timer = undefined
      if (this.#wanted()) this.#ensure()
    }, delay)
  }

  #sendSubscribe(subscription: LooseSubscription): void {
    const message: { [key: string]: unknown } = { ...subscription.message }
    if (subscription.last !== undefined) message['after'] = subscription.last
    this.#send(message)
  }

  #send(message: unknown): void {
    if (this.#open && this.#socket !== undefined) this.#socket.send(JSON.stringify(message))
  }

  #receive(text: string): void {
    let message: { readonly [key: string]: unknown }
    try {
      message = JSON.parse(text) as { readonly [key: string]: unknown }
    } catch {
      return
    }
    const type = message['type']
    if (type === 'heartbeat') {
      for (const subscription of this.#subscriptions.values()) if (subscription.last !== undefined) subscription.last = Math.max(subscription.last, Number(message['last']))
      return
    }
    const channelName = message['channel']
    if (typeof channelName === 'string') return this.#channelMessage(channelName, message)
    const subscription = typeof message['id'] === 'string' ? this.#subscriptions.get(message['id']) : undefined
    if (subscription === undefined) return
    const deliver = subscription.callback as (event: unknown) => void
    if (type === 'change') {
      subscription.last = Number(message['seq'])
      const event: { [key: string]: unknown } = { event: message['event'], rowId: message['rowId'], seq: message['seq'] }
      if (message['row'] !== undefined) event['row'] = message['row']
      deliver(event)
    } else if (type === 'subscribed' || type === 'resync') {
      subscription.last = Number(message['last'])
      if (type === 'resync') deliver({ event: 'resync', rows: message['rows'] === undefined ? [] : message['rows'] })
      else if (message['rows'] !== undefined) deliver({ event: 'initial', rows: message['rows'] })
    } else if (type === 'error') {
      this.#subscriptions.delete(String(message['id']))
      deliver({ event: 'error', error: new KoyaClientError(message['code'] as KoyaErrorCode, String(message['message']), { status: 0, hint: message['hint'] as string | undefined }) })
    }
  }

  #channelMessage(name: string, message: { readonly [key: string]: unknown }): void {
    const channel = this.#channels.get(name)
    if (channel === undefined) return
    const emit = (event: ChannelEvent) => { for (const listener of channel.listeners) listener(event) }
    const type = message['type']
    if (type === 'broadcast') {
      emit({ type: 'broadcast', event: String(message['event']), payload: message['payload'], from: (message['from'] as string | null) })
    } else if (type === 'joined') {
      channel.members = (message['presence'] as PresenceMember[]).slice()
      emit({ type: 'presence', members: channel.members, joins: channel.members, leaves: [] })
    } else if (type === 'presence') {
      const joins = message['joins'] as PresenceMember[]
      const leaves = message['leaves'] as PresenceMember[]
      const gone = new Set(leaves.map(function (m) { return m.key }))
      channel.members = channel.members.filter(function (m) { return !gone.has(m.key) }).concat(joins)
      emit({ type: 'presence', members: channel.members, joins: joins, leaves: leaves })
    } else if (type === 'error') {
      emit({ type: 'error', error: new KoyaClientError(message['code'] as KoyaErrorCode, String(message['message']), { status: 0, hint: message['hint'] as string | undefined }) })
    }
  }
}

/** The host's timers (browsers, Node and Deno have them; the SDK type-checks without their type libraries). */
const hostTimers = globalThis as unknown as { setTimeout(callback: () => void, ms: number): unknown; clearTimeout(timer: unknown): void }

function defaultWebSocket(): WebSocketFactory | undefined {
  const WebSocketClass = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket
  return WebSocketClass === undefined ? undefined : function (url: string) { return new WebSocketClass(url) }
}
`
