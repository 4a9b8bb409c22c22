// Studio's realtime: one WebSocket to the server's /realtime per subscribed view, as the admin
// (the session cookie, same origin) or, while viewing as a user, as that user (the
// impersonation's token in an `auth` message): the same policies as any subscriber.

/** A change of a subscribed table, as /realtime sends it (docs/realtime.md). */
export interface LiveChange {
  readonly seq: number
  /** create, update, delete, enter or leave. */
  readonly event: string
  readonly rowId: string
}

/**
 * Subscribe to a table's changes; `onLive` says whether the subscription is up (Studio falls back
 * to polling while it is not). Reconnects after 3 s, resuming after the last change seen.
 * Returns the function that ends it.
 */
export function subscribeTable(table: string, onChange: (change: LiveChange) => void, onLive: (live: boolean) => void, token?: string): () => void {
  let socket: WebSocket | undefined
  let ended = false
  let retry: ReturnType<typeof setTimeout> | undefined
  let last: number | undefined
  const open = () => {
    socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/realtime`)
    socket.onopen = () => {
      if (token !== undefined) socket?.send(JSON.stringify({ type: 'auth', token }))
      socket?.send(JSON.stringify({ type: 'subscribe', id: 'studio', table, ...(last === undefined ? {} : { after: last }) }))
    }
    socket.onmessage = (message) => {
      const data = JSON.parse(String(message.data)) as { type: string; seq?: number; event?: string; rowId?: string; last?: number }
      if (data.type === 'subscribed' || data.type === 'resync') {
        last = data.last ?? last
        onLive(true)
      } else if (data.type === 'change' && data.seq !== undefined) {
        last = data.seq
        onChange({ seq: data.seq, event: data.event ?? 'change', rowId: data.rowId ?? '' })
      }
    }
    socket.onclose = () => {
      onLive(false)
      if (!ended) retry = setTimeout(open, 3000)
    }
  }
  open()
  return () => {
    ended = true
    if (retry !== undefined) clearTimeout(retry)
    socket?.close()
  }
}
