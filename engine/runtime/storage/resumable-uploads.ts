import path from 'node:path'
import { createResumableStaging, type ResumableStaging } from './resumable-staging.ts'

/** How often expired resumable uploads are looked for (besides once at start). */
const SWEEP_EVERY_MS = 3_600_000

/**
 * The resumable uploads' staging directory (`<storage dir>/.resumable`, on the local disk with
 * either driver), swept of expired uploads at start and every hour by a timer that does not keep
 * the process alive. Nothing runs per request.
 *
 * @example
 * const resumable = await startResumableUploads('data/storage', () => new Date(), (error) => log.warn({ err: error }))
 * // … on close:
 * resumable.stop()
 */
export async function startResumableUploads(root: string, clock: () => Date, onError: (error: unknown) => void): Promise<{ readonly staging: ResumableStaging; stop(): void }> {
  const staging = await createResumableStaging(path.join(root, '.resumable'))
  const sweep = () => {
    staging.sweep(clock().getTime()).catch(onError)
  }
  sweep()
  const timer = setInterval(sweep, SWEEP_EVERY_MS)
  timer.unref()
  return { staging, stop: () => clearInterval(timer) }
}
