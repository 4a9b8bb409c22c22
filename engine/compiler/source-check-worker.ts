// The type-check thread: the TypeScript compiler loads here once and keeps each definition's
// program, so the main thread never loads it and later checks re-read only changed files.
import { parentPort } from 'node:worker_threads'
import { SourceChecker, type WorkerReply, type WorkerRequest } from './source-check.ts'

const checker = new SourceChecker()

parentPort?.on('message', (message: WorkerRequest) => {
  let reply: WorkerReply
  try {
    reply = { id: message.id, kind: 'diagnostics', ...checker.check(message.request) }
  } catch (error) {
    reply = { id: message.id, kind: 'failed', message: error instanceof Error ? error.message : String(error) }
  }
  parentPort?.postMessage(reply)
})
