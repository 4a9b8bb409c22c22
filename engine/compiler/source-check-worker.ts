// The type-check thread: the TypeScript compiler loads here once and keeps each definition's
// program, so the main thread never loads it and later checks re-read only changed files.
import { parentPort } from 'node:worker_threads'
import { assertNever } from '../shared/assert-never.ts'
import { SourceChecker, type WorkerReply, type WorkerRequest } from './source-check.ts'

const checker = new SourceChecker()

parentPort?.on('message', (message: WorkerRequest) => {
  let reply: WorkerReply
  try {
    switch (message.kind) {
      case 'check':
        reply = { id: message.id, kind: 'diagnostics', ...checker.check(message.request) }
        break
      case 'locations':
        reply = { id: message.id, kind: 'locations', locations: checker.locate(message.request) }
        break
      default:
        assertNever(message, 'worker request')
    }
  } catch (error) {
    reply = { id: message.id, kind: 'failed', message: error instanceof Error ? error.message : String(error) }
  }
  parentPort?.postMessage(reply)
})
