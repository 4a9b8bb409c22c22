import { Worker } from 'node:worker_threads'
import { KoyaError } from '../shared/errors.ts'
import type { SourceCheckRequest, SourceCheckResult, WorkerReply, WorkerRequest } from './source-check.ts'

export interface SourceCheck {
  /** The diagnostics, the policies and the definitions' locations read from the source. */
  readonly diagnostics: Promise<SourceCheckResult>
}

interface Pending {
  resolve(reply: WorkerReply): void
  reject(error: Error): void
}

let worker: Worker | undefined
let nextId = 1
const pending = new Map<number, Pending>()

/**
 * The type-check thread, started on first use and kept: it holds the TypeScript compiler and
 * each definition's program. It keeps the process alive only while a check is pending.
 */
function sharedWorker(): Worker {
  if (worker) return worker
  // Next to this file: the .js build in dist/, or the .ts source when run from a checkout
  // (Node strips the types of files outside node_modules).
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
  const started = new Worker(new URL(`./source-check-worker${extension}`, import.meta.url))
  started.unref()
  started.on('message', (reply: WorkerReply) => {
    const waiting = pending.get(reply.id)
    pending.delete(reply.id)
    if (pending.size === 0) started.unref()
    waiting?.resolve(reply)
  })
  const fail = (error: Error) => {
    worker = undefined
    for (const waiting of pending.values()) waiting.reject(new KoyaError('KL_INT_UNEXPECTED', `Type-checking the definition failed: ${error.message}`, { cause: error }))
    pending.clear()
  }
  started.on('error', fail)
  started.on('exit', (code) => fail(new Error(`the type-check worker stopped (exit code ${code})`)))
  worker = started
  return started
}

function ask(request: Omit<WorkerRequest, 'id'>): Promise<WorkerReply> {
  const target = sharedWorker()
  const id = nextId++
  const reply = new Promise<WorkerReply>((resolve, reject) => pending.set(id, { resolve, reject }))
  target.ref()
  target.postMessage({ ...request, id })
  return reply.then((answer) => {
    if (answer.kind === 'failed') throw new KoyaError('KL_INT_UNEXPECTED', `Type-checking the definition failed: ${answer.message}`)
    return answer
  })
}

/**
 * Type-check a definition on the shared worker thread while the main thread imports it: a
 * definition costs max(type-check, import) + IR + emit, not their sum.
 */
export function startSourceCheck(request: SourceCheckRequest): SourceCheck {
  const diagnostics = ask({ request }).then((reply) => {
    if (reply.kind !== 'diagnostics') throw new KoyaError('KL_INT_UNEXPECTED', `The type-check worker answered ${reply.kind}.`)
    return { syntaxErrors: reply.syntaxErrors, typeErrors: reply.typeErrors, policies: reply.policies, locations: reply.locations }
  })
  diagnostics.catch(() => undefined) // awaited by the caller; never an unhandled rejection meanwhile
  return { diagnostics }
}
