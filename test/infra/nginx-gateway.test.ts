import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { IncomingHttpHeaders } from 'node:http'
import http2 from 'node:http2'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { Duplex } from 'node:stream'
import type { TLSSocket } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { emitStack } from '../../engine/codegen/stack/emit-stack.ts'
import { referenceApp, type TestApp } from '../helpers/app.ts'
import { clientTextFrame, findNginx, freePort, localConfig, makeCertificate, nginxTest, readTextFrame, send, startGateway, websocketAccept, type LocalGateway } from './nginx-harness.ts'
import { ALL_FEATURES, NO_FEATURES, referenceIR } from './stack-fixtures.ts'

const nginx = findNginx()
const generatedConf = emitStack(referenceIR, 'koyalite.ts', NO_FEATURES).find((f) => f.path === 'generated/infra/nginx.conf')!.contents

/**
 * The generated nginx.conf, run by a real nginx on loopback (its own ports, prefix, pid and temp
 * paths, a self-signed certificate made here), in front of a real KoyaLite server, its realtime
 * module answering the WebSocket upgrade.
 */
describe.skipIf(!nginx)(nginx ? 'the generated NGINX gateway, in front of a running KoyaLite server' : 'the NGINX gateway: SKIPPED because nginx is not installed (apt-get install nginx; .ci/run does)', () => {
  let t: TestApp
  let gateway: LocalGateway
  let upstreamHeaders: IncomingHttpHeaders | undefined
  const upgraded = new Set<Duplex>()

  beforeAll(async () => {
    t = await referenceApp()
    // The realtime module answers the upgrade; this only records what reached the server.
    t.app.server.on('upgrade', (request, socket: Duplex) => {
      if (request.url?.startsWith('/realtime')) {
        upstreamHeaders = request.headers
        upgraded.add(socket)
      }
    })
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    gateway = await startGateway(nginx!, generatedConf, `127.0.0.1:${(t.app.server.address() as AddressInfo).port}`)
  }, 30_000)

  afterAll(async () => {
    await gateway?.stop()
    for (const socket of upgraded) socket.destroy()
    await t?.close()
  })

  it('serves the API over TLS 1.3 with HSTS, security headers and no-store by default', async () => {
    const agent = new https.Agent({ ca: gateway.ca })
    const answer = await send(gateway, 'https', '/healthz', { agent })
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body.toString())).toEqual({ status: 'ok', app: 'koya-tasks' })
    expect(answer.headers).toMatchObject({
      'strict-transport-security': 'max-age=63072000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'referrer-policy': 'strict-origin-when-cross-origin',
      'cache-control': 'no-store',
    })
    expect(answer.headers.server).toBe('nginx')
    const protocol = await new Promise<string | null>((resolve, reject) => {
      const request = https.request({ host: '127.0.0.1', port: gateway.httpsPort, path: '/healthz', ca: gateway.ca, servername: 'localhost', agent: false }, (response) => {
        resolve((response.socket as TLSSocket).getProtocol())
        response.resume()
      })
      request.on('error', reject)
      request.end()
    })
    expect(protocol).toBe('TLSv1.3')
    agent.destroy()
  })

  it('speaks HTTP/2', async () => {
    const session = http2.connect(`https://localhost:${gateway.httpsPort}`, { ca: gateway.ca, host: '127.0.0.1', servername: 'localhost' })
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const stream = session.request({ ':path': '/healthz' })
        stream.on('response', (headers) => resolve(Number(headers[':status'])))
        stream.on('error', reject)
        stream.end()
      })
      expect(status).toBe(200)
      expect(session.alpnProtocol).toBe('h2')
    } finally {
      session.close()
    }
  })

  it('redirects HTTP to HTTPS, except ACME challenges, which it serves from the webroot', async () => {
    const redirect = await send(gateway, 'http', '/api/tasks?limit=1')
    expect(redirect.status).toBe(301)
    expect(redirect.headers.location).toBe('https://localhost/api/tasks?limit=1')
    writeFileSync(path.join(gateway.dir, 'www', '.well-known', 'acme-challenge', 'token-1'), 'token-1.thumbprint')
    const challenge = await send(gateway, 'http', '/.well-known/acme-challenge/token-1')
    expect(challenge.status).toBe(200)
    expect(challenge.body.toString()).toBe('token-1.thumbprint')
  })

  it('proxies /api, /graphql, /auth, /storage and /functions to the API, and hides /metrics', async () => {
    const api = await send(gateway, 'https', '/api/tasks')
    expect(api.status).toBe(200)
    expect(api.headers['content-type']).toMatch(/application\/json/)
    for (const target of ['/graphql', '/auth/session', '/storage/attachments', '/functions/nope']) {
      const answer = await send(gateway, 'https', target)
      // The API's own JSON error shape (GraphQL's carries the code in extensions): the request reached it.
      expect(answer.headers['content-type'], target).toMatch(/application\/json/)
      const body = JSON.parse(answer.body.toString()) as { code?: string; errors?: { extensions?: { code?: string } }[] }
      expect(body.code ?? body.errors?.[0]?.extensions?.code, target).toMatch(/^KL_/)
    }
    const metrics = await send(gateway, 'https', '/metrics')
    expect(metrics.status).toBe(404)
    expect(metrics.headers['content-type']).toMatch(/text\/html/)
  })

  it('compresses JSON and lets a CDN cache the API reference for five minutes', async () => {
    const spec = await send(gateway, 'https', '/openapi.json', { headers: { 'accept-encoding': 'gzip' } })
    expect(spec.status).toBe(200)
    expect(spec.headers['content-encoding']).toBe('gzip')
    expect(spec.headers['cache-control']).toBe('public, max-age=300')
  })

  it('refuses bodies over the path limit at the edge: 1 MB for /api, larger for /storage uploads', async () => {
    const body = Buffer.alloc(2 * 1024 * 1024, 0x61)
    const api = await send(gateway, 'https', '/api/tasks', { method: 'POST', body, headers: { 'content-type': 'application/json' } })
    expect(api.status).toBe(413)
    // Refused by NGINX (the API never saw it), in the API's error shape.
    expect(api.headers['content-type']).toBe('application/json')
    expect(JSON.parse(api.body.toString())).toMatchObject({ code: 'KL_API_PAYLOAD_TOO_LARGE', hint: expect.any(String) })
    const storage = await send(gateway, 'https', '/storage/attachments', { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } })
    expect(storage.status).not.toBe(413)
    expect(JSON.parse(storage.body.toString())).toHaveProperty('code')
  })

  it('upgrades /realtime to a WebSocket through TLS and passes frames both ways, with the forwarded headers', async () => {
    const key = Buffer.from('koyalite-test-16').toString('base64') // 16 bytes, as RFC 6455 asks
    const { status, accept, reply } = await new Promise<{ status: number; accept: string; reply: string }>((resolve, reject) => {
      const request = https.request({
        host: '127.0.0.1',
        port: gateway.httpsPort,
        path: '/realtime',
        ca: gateway.ca,
        servername: 'localhost',
        // A client's own X-Forwarded-For is replaced: the API's rate limits key on the real address.
        headers: { host: 'localhost', connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': key, 'x-forwarded-for': '6.6.6.6' },
        timeout: 10_000,
      })
      request.on('upgrade', (response, socket) => {
        socket.once('data', (frame: Buffer) => {
          resolve({ status: response.statusCode!, accept: String(response.headers['sec-websocket-accept']), reply: readTextFrame(frame) })
          socket.destroy()
        })
        socket.write(clientTextFrame('ping'))
      })
      request.on('response', (response) => reject(new Error(`no upgrade: ${response.statusCode}`)))
      request.on('error', reject)
      request.end()
    })
    expect(status).toBe(101)
    expect(accept).toBe(websocketAccept(key))
    // The realtime module's own answer to a message it cannot read, in its JSON protocol.
    expect(reply).toContain('"type":"error"')
    expect(upstreamHeaders).toMatchObject({ 'x-forwarded-proto': 'https', 'x-forwarded-for': '127.0.0.1', host: 'localhost' })
  })

  // Last: it spends the auth zone's burst for 127.0.0.1.
  it('rate-limits /auth per client address at the edge (429 past the burst)', async () => {
    const agent = new https.Agent({ ca: gateway.ca, keepAlive: true, maxSockets: 16 })
    const answers = await Promise.all(Array.from({ length: 60 }, () => send(gateway, 'https', '/auth/session', { agent })))
    agent.destroy()
    const statuses = answers.map((a) => a.status)
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(10)
    expect(statuses.filter((s) => s !== 429).length).toBeGreaterThanOrEqual(5)
    const limited = answers.find((a) => a.status === 429)!
    expect(limited.headers['strict-transport-security']).toBeDefined()
    expect(JSON.parse(limited.body.toString())).toMatchObject({ code: 'KL_API_RATE_LIMITED' })
  })

  // Last: it stops the API.
  it('answers 503 KL_API_UNAVAILABLE when the API does not answer', async () => {
    for (const socket of upgraded) socket.destroy()
    await t.app.close()
    const answer = await send(gateway, 'https', '/healthz')
    expect(answer.status).toBe(503)
    expect(answer.headers['content-type']).toBe('application/json')
    expect(answer.headers['cache-control']).toBe('no-store')
    expect(JSON.parse(answer.body.toString())).toMatchObject({ code: 'KL_API_UNAVAILABLE' })
  })
})

describe.skipIf(!nginx)(nginx ? 'nginx -t on the generated config of every stack shape' : 'nginx -t: SKIPPED because nginx is not installed (apt-get install nginx; .ci/run does)', () => {
  it('accepts the config of an app with every service (Grafana proxied at /grafana/ with WebSocket upgrade)', async () => {
    const conf = emitStack(referenceIR, 'koyalite.ts', ALL_FEATURES).find((f) => f.path === 'generated/infra/nginx.conf')!.contents
    expect(conf).toContain('set $koya_upstream grafana:3000;')
    expect(conf).toMatch(/location \/storage\/ \{[^}]*client_max_body_size 101m;[^}]*proxy_request_buffering off;/)
    const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-nginx-t-'))
    try {
      mkdirSync(path.join(dir, 'cache'))
      makeCertificate(dir)
      writeFileSync(path.join(dir, 'nginx.conf'), localConfig(conf, { dir, httpPort: await freePort(), httpsPort: await freePort(), upstream: '127.0.0.1:9' }))
      const checked = nginxTest(nginx!, dir)
      expect(checked.output).toContain('test is successful')
      expect(checked.status).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
