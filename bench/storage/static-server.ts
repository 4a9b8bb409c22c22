// The small-object baseline: @fastify/static serving a directory of files, as a static file server
// does (ETag, Last-Modified, ranges), on an ephemeral port. Usage: node static-server.ts <dir>
import fastifyStatic from '@fastify/static'
import Fastify from 'fastify'

const root = process.argv[2]
if (!root) throw new Error('usage: static-server.ts <dir>')
const app = Fastify({ logger: false })
await app.register(fastifyStatic, { root, prefix: '/files/' })
await app.listen({ host: '127.0.0.1', port: 0 })
const address = app.server.address()
console.log(`listening ${typeof address === 'object' && address ? address.port : 0}`)
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)))
