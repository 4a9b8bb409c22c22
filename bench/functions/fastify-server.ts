// A native Fastify route answering what the function answers. Prints `listening <port>`.
import Fastify from 'fastify'

const app = Fastify({ logger: false })
app.get('/functions/hello', async (_request, reply) => reply.type('text/plain').send('Hello, world!'))
await app.listen({ host: '127.0.0.1', port: 0 })
const address = app.server.address()
process.stdout.write(`listening ${typeof address === 'object' && address !== null ? address.port : 0}\n`)
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void app.close().then(() => process.exit(0)))
