import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_BODY_DEPTH } from '../../engine/runtime/http/json-body.ts'
import { referenceApp, SERVICE_KEY, type TestApp } from '../helpers/app.ts'

/**
 * Requests the framework meets before any route: over-long request lines, bodies nested too deep,
 * bodies left empty. Each gets the coded shape `{ code, message, hint? }` (issue 10 item 5,
 * item 3; issue 9's empty JSON body), over a real socket where Node's own parser is involved.
 */
let t: TestApp
let port: number

beforeAll(async () => {
  t = await referenceApp()
  const address = await t.app.listen({ port: 0, host: '127.0.0.1' })
  port = Number(new URL(address).port)
})
afterAll(async () => {
  await t.close()
})

/** One raw HTTP/1.1 exchange: what the server wrote before it closed the connection. */
function raw(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')))
    socket.end(request)
  })
}

const split = (response: string) => {
  const at = response.indexOf('\r\n\r\n')
  return { head: response.slice(0, at), body: response.slice(at + 4) }
}

describe('requests Node cannot read', () => {
  const longPath = `/api/tasks?title=in.(${'x,'.repeat(12_000)}x)`

  it('a request line over the header limit answers 431 in the coded shape', async () => {
    const { head, body } = split(await raw(`GET ${longPath} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`))
    expect(head).toMatch(/^HTTP\/1\.1 431 /)
    expect(head).toMatch(/content-type: application\/json/i)
    expect(JSON.parse(body)).toMatchObject({ code: 'KL_API_HEADERS_TOO_LARGE', message: expect.any(String), hint: expect.any(String) })
    expect(body).not.toContain('statusCode')
  })

  it('the same request with HEAD answers 431 with no body', async () => {
    const { head, body } = split(await raw(`HEAD ${longPath} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`))
    expect(head).toMatch(/^HTTP\/1\.1 431 /)
    expect(body).toBe('')
  })

  it('garbage instead of HTTP answers 400 in the coded shape', async () => {
    const { head, body } = split(await raw('NOT HTTP AT ALL\r\n\r\n'))
    expect(head).toMatch(/^HTTP\/1\.1 400 /)
    expect(JSON.parse(body)).toMatchObject({ code: 'KL_API_BAD_REQUEST' })
  })

  it('a HEAD of a missing route has the 404 status and no body', async () => {
    const { head, body } = split(await raw('HEAD /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'))
    expect(head).toMatch(/^HTTP\/1\.1 404 /)
    expect(body).toBe('')
  })
})

describe('request bodies', () => {
  const nested = (depth: number) => `{"title":"deep","meta":${'['.repeat(depth)}${']'.repeat(depth)}}`

  it('a body nested 20,000 levels is refused with a coded 400 before anything reads it, even anonymously', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/tasks', headers: { 'content-type': 'application/json' }, payload: nested(20_000) })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toMatchObject({ code: 'KL_API_VALIDATION', message: expect.stringContaining(`${MAX_BODY_DEPTH} levels`) })
  })

  it('brackets inside strings do not count as nesting', async () => {
    const title = '['.repeat(MAX_BODY_DEPTH + 10)
    const response = await t.app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'nobody@example.com', password: `${title}\\"{` }),
    })
    expect(response.json().code).not.toBe('KL_API_VALIDATION')
  })

  it('an empty JSON body is no body: a POST that takes none succeeds', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/auth/logout', headers: { 'content-type': 'application/json' }, payload: '' })
    expect(response.statusCode).toBeLessThan(300)
  })

  it('an empty JSON body where a body is required is a coded 400, not a crash', async () => {
    const response = await t.app.inject({ method: 'POST', url: '/api/tasks', headers: { 'content-type': 'application/json', authorization: `Bearer ${SERVICE_KEY}` }, payload: '' })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toMatchObject({ code: 'KL_API_VALIDATION' })
  })
})

describe('validation messages', () => {
  const post = (payload: unknown) =>
    t.app.inject({ method: 'POST', url: '/api/projects', headers: { 'content-type': 'application/json', authorization: `Bearer ${SERVICE_KEY}` }, payload: JSON.stringify(payload) })

  it('a single-object body is judged as one row: no array branch in the message', async () => {
    const response = await post({ workspaceId: '01900000-0000-7000-8000-000000000000', name: 42 })
    expect(response.statusCode).toBe(400)
    const { code, message } = response.json() as { code: string; message: string }
    expect(code).toBe('KL_API_VALIDATION')
    expect(message).toContain('/name must be string')
    expect(message).not.toMatch(/must be array|anyOf|must match "(then|else)"/)
  })

  it('an array body is judged row by row, naming the row', async () => {
    const response = await post([{ workspaceId: 'w', name: 'ok' }, { workspaceId: 'w', name: 42 }])
    expect(response.statusCode).toBe(400)
    const { message } = response.json() as { message: string }
    expect(message).toContain('/1/name must be string')
    expect(message).not.toMatch(/must be object|anyOf|must match "(then|else)"/)
  })
})
