import { once } from 'node:events'
import { writeSync } from 'node:fs'
import pino, { type DestinationStream } from 'pino'
import type { LogRing } from './log-ring.ts'
import { prettyLine } from './pretty-log.ts'

/**
 * Where pino's lines go: one destination that hands each line to the in-memory ring (the admin
 * API's log views), to the terminal or file (JSON, or one short coloured line under `koyalite
 * dev`), and to Loki when `KOYA_LOKI_URL` is set (pino-loki, on its own worker thread, so
 * shipping never blocks a request). The line is the same string for all: one serialization.
 */
export interface LogDestination extends DestinationStream {
  write(line: string): void
  /** Write out what the asynchronous destinations still hold (the server stops). */
  close(): Promise<void>
  flushSync(): void
}

export interface LogDestinationOptions {
  readonly ring: LogRing
  /** Where lines are written (default: stdout, asynchronous). */
  readonly stream?: DestinationStream
  /** One short coloured line per entry instead of JSON (koyalite dev). */
  readonly pretty?: { readonly colors: boolean }
  /** Ship every line to this Loki (its base URL; the push path is appended). */
  readonly loki?: { readonly url: string; readonly labels: Readonly<Record<string, string>> }
}

/**
 * @example
 * const destination = createLogDestination({ ring, pretty: { colors: true } })
 * const logger = pino({}, destination)
 */
export function createLogDestination(options: LogDestinationOptions): LogDestination {
  const { ring } = options
  const base = options.stream ?? batchedStdout()
  const colors = options.pretty?.colors
  const loki = options.loki === undefined ? undefined : lokiTransport(options.loki)
  const flushBase = () => {
    try {
      ;(base as { flushSync?: () => void }).flushSync?.()
    } catch {
      // A destination that is not open yet (nothing was written) has nothing to flush.
    }
  }
  return {
    write(line) {
      ring.push(line)
      if (colors === undefined) base.write(line)
      else {
        const pretty = prettyLine(line, colors)
        if (pretty !== undefined) base.write(pretty)
      }
      loki?.write(line)
    },
    flushSync: flushBase,
    async close() {
      flushBase()
      ;(base as { release?: () => void }).release?.()
      if (loki === undefined) return
      // pino-loki sends what its batch holds when its stream ends.
      const closed = once(loki, 'close')
      loki.end()
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5_000).unref())])
    },
  }
}

/** The most a batch of lines holds before it is written, and the longest a line waits. */
const BATCH_BYTES = 16_384
const BATCH_WAIT_MS = 100

/**
 * stdout, written asynchronously a batch of lines at a time: up to BATCH_BYTES, or what came in
 * BATCH_WAIT_MS. sonic-boom (pino's destination) is given whole batches because it measures the
 * byte length of its pending string on every write: handed one line at a time, that flattened a
 * growing 16 KB string per line, ~7 µs of the request line's cost (issue 21, decision 176). The
 * batch is written out synchronously when the process exits or the server closes.
 */
function batchedStdout(): DestinationStream & { flushSync(): void; release(): void } {
  const out = pino.destination({ dest: 1, sync: false })
  let lines: string[] = []
  let bytes = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  const take = (): string | undefined => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    if (lines.length === 0) return undefined
    const chunk = lines.join('')
    lines = []
    bytes = 0
    return chunk
  }
  const flush = () => {
    const chunk = take()
    if (chunk !== undefined) out.write(chunk)
  }
  // At exit there is no next turn for an asynchronous write: what sonic-boom queued goes out
  // synchronously, then the batch.
  const flushSync = () => {
    const chunk = take()
    try {
      out.flushSync()
    } catch {
      // Not open yet (nothing was written): nothing queued.
    }
    if (chunk !== undefined) writeSync(1, chunk)
  }
  process.once('exit', flushSync)
  return {
    write(line: string) {
      lines.push(line)
      bytes += line.length
      if (bytes >= BATCH_BYTES) flush()
      else if (timer === undefined) timer = setTimeout(flush, BATCH_WAIT_MS).unref()
    },
    flushSync,
    // The server closed (a dev reload makes another): this one no longer waits for the exit.
    release: () => process.off('exit', flushSync),
  }
}

/** pino-loki on a worker thread, batching for one second. */
function lokiTransport(loki: NonNullable<LogDestinationOptions['loki']>) {
  return pino.transport({
    target: 'pino-loki',
    options: { host: loki.url, labels: { ...loki.labels }, batching: { interval: 1 }, silenceErrors: false, timeout: 3_000 },
  }) as DestinationStream & NodeJS.EventEmitter & { end(): void }
}
