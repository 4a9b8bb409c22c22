import type { FastifyReply } from 'fastify'
import type { Transport } from './hub.ts'

/** `"type":"change"` … `"seq":42` / `"last":42`: the SSE event name and id of a server message. */
const TYPE = /^\{"type":"(\w+)"/
const ID = /"(?:seq|last)":(\d+)/

/**
 * Server-sent events on the reply (for clients that cannot hold a WebSocket). Each server message
 * is one event named by its type; changes carry their log id (and `subscribed`, `resync` and
 * heartbeats the log's head) as the event id, so a browser's EventSource reconnects with
 * `Last-Event-ID` and resumes where it stopped.
 */
export function openEventStream(reply: FastifyReply): Transport {
  reply.hijack()
  const res = reply.raw
  // Headers set by earlier hooks (CORS) go along: the reply is written by hand from here on.
  const headers: Record<string, string | string[] | number> = {}
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) headers[name] = value as string
  res.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' })
  res.write(': koyalite realtime\n\n')
  return {
    send(message) {
      const parsed = TYPE.exec(message)?.[1] ?? 'message'
      // EventSource fires its own `error` on connection trouble: a protocol error is `failure`.
      const type = parsed === 'error' ? 'failure' : parsed
      const id = type === 'change' || type === 'subscribed' || type === 'resync' || type === 'heartbeat' ? ID.exec(message)?.[1] : undefined
      res.write(`event: ${type}\n${id === undefined ? '' : `id: ${id}\n`}data: ${message}\n\n`)
    },
    buffered: () => res.writableLength,
    close(_code, reason) {
      if (!res.writableEnded) res.end(`event: closed\ndata: ${JSON.stringify({ type: 'closed', code: reason })}\n\n`)
      setTimeout(() => res.destroy(), 2000).unref()
    },
  }
}
