import websocket, { type WebsocketPluginOptions } from '@fastify/websocket'
import { EventEmitter } from 'node:events'
import type { Server } from 'node:http'
import type { FastifyInstance } from 'fastify'

/** Servers whose 'upgrade' event one @fastify/websocket registration already listens to. */
const listening = new WeakSet<Server>()

/**
 * Registers @fastify/websocket on a module's scope, so its routes may take `websocket: true` (or
 * Mercurius its subscription route). @fastify/websocket listens to the server's 'upgrade' event
 * and dispatches each upgrade through the root router, which reaches the WebSocket routes of every
 * scope; a second listener would dispatch each upgrade twice. So the first registration on a
 * server listens, and the others (realtime and GraphQL subscriptions each have a scope) get an
 * emitter that never fires: their routes are reached through the first one's listener.
 *
 * @example
 * await registerWebsocket(app, { maxPayload: 64 * 1024 })
 * app.get('/realtime', { websocket: true }, (socket, request) => { … })
 */
export async function registerWebsocket(app: FastifyInstance, options: { readonly maxPayload: number }): Promise<void> {
  const server = app.server as Server
  const first = !listening.has(server)
  listening.add(server)
  const settings: WebsocketPluginOptions = { options: { maxPayload: options.maxPayload, ...(first ? {} : { server: new EventEmitter() as unknown as Server }) } }
  await app.register(websocket, settings)
}
