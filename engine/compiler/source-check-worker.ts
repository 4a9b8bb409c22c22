// Type-checks the definition on a worker thread, so the TypeScript compiler loads and checks
// on another core while the main thread imports the definition and builds the IR. Locations
// (an AST walk) are computed only if the main thread asks: it needs them only for problems.
import { parentPort, workerData } from 'node:worker_threads'
import { checkSources, locateDefinitions, type SourceCheckRequest, type WorkerReply } from './source-check.ts'

const request = workerData as SourceCheckRequest
const checked = checkSources(request)
parentPort?.postMessage({ kind: 'diagnostics', syntaxErrors: checked.syntaxErrors, typeErrors: checked.typeErrors } satisfies WorkerReply)
parentPort?.on('message', (message: unknown) => {
  if (message === 'locations') parentPort?.postMessage({ kind: 'locations', locations: locateDefinitions(checked.source, request) } satisfies WorkerReply)
})
