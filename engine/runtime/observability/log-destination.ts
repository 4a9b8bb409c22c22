import { once } from 'node:events'
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
  const base = options.stream ?? pino.destination({ dest: 1, sync: false, minLength: 4096 })
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
      if (loki === undefined) return
      // pino-loki sends what its batch holds when its stream ends.
      const closed = once(loki, 'close')
      loki.end()
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5_000).unref())])
    },
  }
}

/** pino-loki on a worker thread, batching for one second. */
function lokiTransport(loki: NonNullable<LogDestinationOptions['loki']>) {
  return pino.transport({
    target: 'pino-loki',
    options: { host: loki.url, labels: { ...loki.labels }, batching: { interval: 1 }, silenceErrors: false, timeout: 3_000 },
  }) as DestinationStream & NodeJS.EventEmitter & { end(): void }
}
