import type { FastifyReply, FastifyRequest } from 'fastify'
import { entryOf, type LogRing } from './log-ring.ts'

/** Bytes a slow reader may leave unread before its tail is closed. */
const MAX_BUFFERED = 1024 * 1024
const HEARTBEAT_MS = 15_000

/**
 * The live tail: server-sent events, one `log` event per line that passes the filter (id: the
 * line's `seq`), after the kept lines past `Last-Event-ID`. A reader that falls 1 MiB behind is
 * closed (it reconnects and resumes from its last id).
 *
 * @example
 * openLogTail(request, reply, ring, { level: 40, text: 'timeout' }, tails) // tails: stopped when the server closes
 */
export function openLogTail(request: FastifyRequest, reply: FastifyReply, ring: LogRing, filter: { readonly level?: number; readonly text?: string }, open: Set<() => void>): void {
  reply.hijack()
  const res = reply.raw
  const headers: Record<string, string | string[] | number> = {}
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) headers[name] = value as string
  res.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' })
  res.write(': koyalite logs\n\n')
  const send = (seq: number, line: string) => {
    const entry = entryOf(seq, line, filter)
    if (entry === undefined) return
    res.write(`event: log\nid: ${seq}\ndata: ${JSON.stringify(entry)}\n\n`)
    if (res.writableLength > MAX_BUFFERED) stop()
  }
  const lastId = Number(request.headers['last-event-id'])
  if (Number.isInteger(lastId) && lastId >= 0) for (const entry of ring.read({ ...filter, after: lastId })) res.write(`event: log\nid: ${entry.seq}\ndata: ${JSON.stringify(entry)}\n\n`)
  // Lines are sent after the line being written is done: a line written while another is sent
  // (the tail's own writes log nothing, but a listener must never re-enter pino).
  const unsubscribe = ring.subscribe((seq, line) => queueMicrotask(() => send(seq, line)))
  const heartbeat = setInterval(() => res.write(`event: heartbeat\ndata: {"written":${ring.written}}\n\n`), HEARTBEAT_MS)
  heartbeat.unref()
  let stopped = false
  function stop() {
    if (stopped) return
    stopped = true
    unsubscribe()
    clearInterval(heartbeat)
    open.delete(stop)
    if (!res.writableEnded) res.end()
  }
  res.on('close', stop)
  // The server's close ends every tail (it would wait for their connections otherwise).
  open.add(stop)
}
