// The two servers of bench/realtime, each in its own process (forked with IPC: it reports its
// port and, when asked, its CPU time).
// `koyalite <db>`: the reference app as `koyalite start` serves it (dist/), realtime included.
// `bare`: the ceiling, a plain `ws` server that sends each published payload to every socket
// that subscribed with `?listen=1` (no policy, no log, no database).
import { createServer as createHttpServer } from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { WebSocketServer, type WebSocket } from 'ws'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const [kind, file] = process.argv.slice(2)

// A normal exit, so that `--cpu-prof` (BENCH_CPU_PROF=<dir> on run.ts) writes its profile.
process.on('SIGTERM', () => process.exit(0))
process.on('message', (message) => {
  if (message === 'cpu') process.send!({ cpu: process.cpuUsage() })
})

if (kind === 'koyalite') {
  const { createServer, loadModel, loadTableApis } = await import('../../dist/engine/runtime/index.js')
  const { openDatabase } = await import('../../dist/engine/shared/sqlite.js')
  const db = openDatabase(file!)
  const model = loadModel(repo)
  const app = await createServer({ model, db, tables: await loadTableApis(repo, model), auth: { serviceKey: process.env.BENCH_SERVICE_KEY! }, logger: false, realtime: { maxViewRows: 100_000 } })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  process.send!({ port: Number(new URL(address).port) })
} else {
  const listeners = new Set<WebSocket>()
  const server = createHttpServer((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => (body += chunk.toString()))
    request.on('end', () => {
      for (const socket of listeners) socket.send(body)
      response.end()
    })
  })
  const wss = new WebSocketServer({ server, path: '/realtime' })
  wss.on('connection', (socket, request) => {
    if (request.url?.includes('listen=1')) listeners.add(socket)
    socket.on('close', () => listeners.delete(socket))
  })
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as { port: number }).port }))
}
