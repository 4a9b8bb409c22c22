import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FakeResend {
  readonly url: string
  /** Statuses to answer, in order, before answering 200. */
  failures: number[]
  readonly requests: { status: number; idempotencyKey: string | undefined; authorization: string | undefined; body: any }[]
  close(): Promise<void>
}

/** A local stand-in for Resend's POST /emails: answers the queued failures first, 422 for invalid@…, then 200 with an id. */
export async function startFakeResend(): Promise<FakeResend> {
  const fake: Omit<FakeResend, 'url' | 'close'> = { failures: [], requests: [] }
  const read = (request: IncomingMessage) => new Promise<string>((resolve) => {
    let text = ''
    request.on('data', (chunk) => (text += chunk))
    request.on('end', () => resolve(text))
  })
  let counter = 0
  const server: Server = createServer(async (request, response) => {
    const body = JSON.parse(await read(request))
    const status = request.method !== 'POST' || request.url !== '/emails' ? 404 : body.to?.[0] === 'invalid@example.com' ? 422 : (fake.failures.shift() ?? 200)
    fake.requests.push({ status, idempotencyKey: request.headers['idempotency-key'] as string | undefined, authorization: request.headers.authorization, body })
    response.writeHead(status, { 'content-type': 'application/json' })
    response.end(JSON.stringify(status === 200 ? { id: `email-${++counter}` } : { statusCode: status, name: status === 422 ? 'validation_error' : 'application_error', message: `fake ${status}` }))
  })
  server.keepAliveTimeout = 10 * 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return Object.assign(fake, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  })
}
