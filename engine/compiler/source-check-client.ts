import { Worker } from 'node:worker_threads'
import { KoyaError } from '../shared/errors.ts'
import type { DefinitionLocations } from './definition-locations.ts'
import type { PlainProblem, SourceCheckRequest, WorkerReply } from './source-check.ts'

export interface SourceCheck {
  readonly diagnostics: Promise<{ readonly syntaxErrors: readonly PlainProblem[]; readonly typeErrors: readonly PlainProblem[] }>
  /** Ask for the definitions' locations (an AST walk the happy path never pays for). */
  locations(): Promise<DefinitionLocations>
  close(): void
}

/**
 * Start the type-check on a worker thread. The main thread never loads TypeScript: compiling a
 * valid definition costs max(type-check, import + IR + emit) instead of their sum.
 */
export function startSourceCheck(request: SourceCheckRequest): SourceCheck {
  // Next to this file: the .js build in dist/, or the .ts source when run from a checkout
  // (Node strips the types of files outside node_modules).
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
  const worker = new Worker(new URL(`./source-check-worker${extension}`, import.meta.url), { workerData: request })
  const failed = new Promise<never>((_, reject) => {
    worker.once('error', (cause) => reject(new KoyaError('KL_INT_UNEXPECTED', `Type-checking the definition failed: ${cause.message}`, { cause })))
    worker.once('exit', (code) => reject(new KoyaError('KL_INT_UNEXPECTED', `The type-check worker stopped (exit code ${code}).`)))
  })
  failed.catch(() => undefined) // surfaced through the promises below
  const reply = <K extends WorkerReply['kind']>(kind: K) =>
    Promise.race([
      new Promise<Extract<WorkerReply, { kind: K }>>((resolve) => {
        const onMessage = (message: WorkerReply) => {
          if (message.kind !== kind) return
          worker.off('message', onMessage)
          resolve(message as Extract<WorkerReply, { kind: K }>)
        }
        worker.on('message', onMessage)
      }),
      failed,
    ])
  const diagnostics = reply('diagnostics')
  diagnostics.catch(() => undefined)
  return {
    diagnostics,
    async locations() {
      const answer = reply('locations')
      worker.postMessage('locations')
      return (await answer).locations
    },
    close() {
      worker.removeAllListeners('exit')
      void worker.terminate()
    },
  }
}
