import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { FastifyInstance, FastifyServerFactory } from 'fastify'

type Handler = (request: IncomingMessage, response: ServerResponse) => void

export interface HotServer {
  readonly url: string
  /** Build the next app and route new requests to it; the previous one finishes and closes. */
  swap(build: (factory: FastifyServerFactory) => Promise<FastifyInstance>): Promise<void>
  close(): Promise<void>
}

/**
 * One listening server whose requests go to the current app. Each app is built with a
 * serverFactory that hands it a server that never listens (so closing an app never closes the
 * port) and gives us its request handler.
 */
export async function startHotServer(port: number, host: string, build: (factory: FastifyServerFactory) => Promise<FastifyInstance>): Promise<HotServer> {
  let current: { app: FastifyInstance; handler: Handler } | undefined
  const server = http.createServer((request, response) => current!.handler(request, response))

  const boot = async (make: typeof build) => {
    let handler: Handler | undefined
    const app = await make((h) => {
      handler = h as Handler
      return http.createServer()
    })
    await app.ready()
    return { app, handler: handler! }
  }

  current = await boot(build)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  const address = server.address()
  const url = typeof address === 'object' && address ? `http://${host}:${address.port}` : `http://${host}:${port}`

  return {
    url,
    async swap(make) {
      const next = await boot(make)
      const previous = current!
      current = next
      await previous.app.close()
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve()) // stop accepting; in-flight requests finish
        server.closeIdleConnections()
      })
      await current?.app.close()
    },
  }
}
