/**
 * The last log lines of this process, kept in memory for the admin API's log views
 * (`GET /admin/logs`, the live tail `GET /admin/logs/stream`). A line is kept as the bytes of the
 * JSON text pino wrote, in one buffer allocated up front, and parsed only when someone reads it.
 * Not as strings: a line lives for thousands of requests, long enough for V8 to move it (and the
 * rope of pieces pino built it from) to the old generation, where under load the ring's turnover
 * was most of what full collections had to clear (issue 21, decision 179).
 */

/** One line as the admin API answers it. */
export interface LogEntry {
  /** Position in this process's log (grows by one a line): the live tail's event id. */
  readonly seq: number
  readonly time: number
  /** pino's numeric level (10 trace … 60 fatal). */
  readonly level: number
  readonly msg: string
  readonly line: Readonly<Record<string, unknown>>
}

/** What a reader of the log asks for. */
export interface LogFilter {
  /** Lowest level: a pino level name or number. */
  readonly level?: number
  /** Lines whose JSON text contains this (case-insensitive). */
  readonly text?: string
  /** Lines after this position. */
  readonly after?: number
  readonly limit?: number
}

export interface LogRing {
  /** Keep a line (pino's JSON text, newline included or not). */
  push(line: string): void
  /** The kept lines that pass the filter, oldest first, at most `limit` (the newest ones). */
  read(filter: LogFilter): LogEntry[]
  /** Be told of every line from now on; returns the function that stops it. */
  subscribe(listener: (seq: number, line: string) => void): () => void
  /** How many lines this process has written. */
  readonly written: number
}

export const LOG_LEVELS: Readonly<Record<string, number>> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 }

/** Bytes kept per line on average: the buffer holds `capacity` lines of this size. */
const BYTES_PER_LINE = 1024

/**
 * A ring of the last `capacity` lines (fewer when lines average over 1 KB: the oldest bytes are
 * reused first). A line longer than an eighth of the buffer is counted but not kept.
 *
 * @example
 * const ring = createLogRing(2000)
 * ring.push('{"level":30,"time":1,"msg":"hello"}\n')
 * ring.read({ level: 30, text: 'hello' })[0]?.msg // 'hello'
 */
export function createLogRing(capacity: number): LogRing {
  const size = capacity * BYTES_PER_LINE
  const bytes = Buffer.allocUnsafeSlow(size)
  // Per line (slot = (seq - 1) % capacity): where its bytes start, counted over all bytes ever
  // written (so a line is intact while fewer than `size` bytes were written after its start),
  // and how many there are (0: not kept).
  const starts = new Float64Array(capacity)
  const lengths = new Uint32Array(capacity)
  let position = 0
  let written = 0
  const listeners = new Set<(seq: number, line: string) => void>()
  const textOf = (seq: number): string | undefined => {
    const slot = (seq - 1) % capacity
    const length = lengths[slot]!
    const start = starts[slot]!
    if (length === 0 || start < position - size) return undefined
    const offset = start % size
    return bytes.toString('utf8', offset, offset + length)
  }
  return {
    push(line) {
      const slot = written % capacity
      written++
      // UTF-8 takes at most 3 bytes per UTF-16 unit: a line that may not fit before the end
      // starts at the beginning again (the tail's bytes are skipped).
      const most = line.length * 3
      if (most > size / 8) {
        lengths[slot] = 0
      } else {
        if ((position % size) + most > size) position += size - (position % size)
        const length = bytes.write(line, position % size, 'utf8')
        starts[slot] = position
        lengths[slot] = length
        position += length
      }
      if (listeners.size > 0) for (const listener of listeners) listener(written, line)
    },
    read(filter) {
      const first = Math.max(written - capacity, filter.after ?? 0)
      const out: LogEntry[] = []
      for (let seq = first + 1; seq <= written; seq++) {
        const text = textOf(seq)
        const entry = text === undefined ? undefined : entryOf(seq, text, filter)
        if (entry !== undefined) out.push(entry)
      }
      const limit = filter.limit ?? out.length
      return out.slice(Math.max(0, out.length - limit))
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    get written() {
      return written
    },
  }
}

/**
 * The line as an entry when it passes the filter. The text filter looks at the JSON text, the
 * level at the parsed line; a line that is not JSON (a prettified one) is never stored.
 *
 * @example
 * entryOf(1, '{"level":40,"time":1,"msg":"slow"}', { level: 30 })?.level // 40
 */
export function entryOf(seq: number, text: string, filter: Omit<LogFilter, 'after' | 'limit'>): LogEntry | undefined {
  if (filter.text !== undefined && filter.text !== '' && !text.toLowerCase().includes(filter.text.toLowerCase())) return undefined
  let line: Record<string, unknown>
  try {
    line = JSON.parse(text) as Record<string, unknown>
  } catch {
    return undefined
  }
  const level = typeof line.level === 'number' ? line.level : 30
  if (filter.level !== undefined && level < filter.level) return undefined
  return { seq, time: typeof line.time === 'number' ? line.time : 0, level, msg: typeof line.msg === 'string' ? line.msg : '', line }
}

/** A level given as a name (`warn`) or a number (`40`), as pino's number. */
export function levelOf(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined
  const named = LOG_LEVELS[value.toLowerCase()]
  if (named !== undefined) return named
  const n = Number(value)
  return Number.isInteger(n) ? n : undefined
}
