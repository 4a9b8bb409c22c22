import { spawn, type ChildProcess } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { prettyLine } from '../../../engine/runtime/observability/pretty-log.ts'
import { authApp, SERVICE_KEY, type AuthTestApp, listen } from '../../helpers/auth-app.ts'

/** Lines the server wrote, parsed. */
const parsed = (t: AuthTestApp) => t.logs.flatMap((chunk) => chunk.split('\n')).filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>)

describe('request logs', () => {
  let t: AuthTestApp
  let base: string
  beforeAll(async () => {
    t = await authApp()
    base = await listen(t)
  })
  afterAll(async () => t.close())

  it('one line per request with its id, user, route, status and duration, and credentials of the URL redacted', async () => {
    const response = await fetch(`${base}/api/tasks?limit=1`, { headers: { authorization: `Bearer ${SERVICE_KEY}` } })
    expect(response.status).toBe(200)
    // A query parameter REST does not know is refused (400), and still logged without its value.
    await fetch(`${base}/api/tasks?token=super-secret-token`, { headers: { authorization: `Bearer ${SERVICE_KEY}` } })
    await new Promise((resolve) => setTimeout(resolve, 20))
    const lines = parsed(t).filter((line) => line.msg === 'request completed' && String(line.url).startsWith('/api/tasks'))
    expect(lines).toHaveLength(2)
    const [line, refused] = lines
    expect(line).toMatchObject({ method: 'GET', route: '/api/tasks', statusCode: 200, userId: 'system', url: '/api/tasks?limit=1' })
    expect(refused).toMatchObject({ route: '/api/tasks', statusCode: 400, url: '/api/tasks?token=[redacted]' })
    expect(typeof line!.reqId).toBe('string')
    expect(typeof line!.responseTime).toBe('number')
    expect(JSON.stringify(t.logs)).not.toContain('super-secret-token')
    expect(JSON.stringify(t.logs)).not.toContain(SERVICE_KEY)
  })

  it('an anonymous request has no user id; an unrouted one is "unmatched"', async () => {
    await fetch(`${base}/no/such/route`)
    await new Promise((resolve) => setTimeout(resolve, 20))
    const line = parsed(t).find((l) => l.url === '/no/such/route')
    expect(line).toMatchObject({ route: 'unmatched', statusCode: 404 })
    expect(line).not.toHaveProperty('userId')
  })

  it('GET /admin/logs answers the kept lines, filtered by level and text, for admins only', async () => {
    const refused = await fetch(`${base}/admin/logs`)
    expect(refused.status).toBe(401)
    const auth = { authorization: `Bearer ${SERVICE_KEY}` }
    const page = (await (await fetch(`${base}/admin/logs?text=no/such/route`, { headers: auth })).json()) as { written: number; entries: { seq: number; level: number; msg: string; line: Record<string, unknown> }[] }
    expect(page.entries.map((e) => e.line.url)).toEqual(['/no/such/route'])
    expect(page.written).toBeGreaterThanOrEqual(page.entries[0]!.seq)
    const warnings = (await (await fetch(`${base}/admin/logs?level=warn`, { headers: auth })).json()) as { entries: { level: number }[] }
    expect(warnings.entries.every((e) => e.level >= 40)).toBe(true)
    const bad = await fetch(`${base}/admin/logs?level=loud`, { headers: auth })
    expect(bad.status).toBe(400)
  })

  it('the live tail streams a request made while it is open, as a server-sent event', async () => {
    const controller = new AbortController()
    const response = await fetch(`${base}/admin/logs/stream?text=tail-probe`, { headers: { authorization: `Bearer ${SERVICE_KEY}` }, signal: controller.signal })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/event-stream')
    const reader = response.body!.getReader()
    await fetch(`${base}/healthz?tail-probe=1`)
    let text = ''
    const deadline = Date.now() + 5_000
    while (!text.includes('\n\n') || !text.includes('event: log')) {
      if (Date.now() > deadline) throw new Error(`no event in: ${text}`)
      const { value, done } = await reader.read()
      if (done) break
      text += new TextDecoder().decode(value)
    }
    controller.abort()
    const event = text.split('\n\n').find((block) => block.startsWith('event: log'))!
    const fields = Object.fromEntries(event.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]))
    const entry = JSON.parse(fields.data!) as { seq: number; line: Record<string, unknown> }
    expect(Number(fields.id)).toBe(entry.seq)
    expect(entry.line).toMatchObject({ msg: 'request completed', url: '/healthz?tail-probe=1', statusCode: 200, route: '/healthz' })
  })
})

describe('koyalite dev logs', () => {
  it('are one short line per request, without JSON', () => {
    const line = prettyLine(JSON.stringify({ level: 30, time: Date.parse('2026-12-02T09:14:02Z'), reqId: '0193aaaa-bbbb-cccc', msg: 'request completed', method: 'GET', url: '/api/tasks', route: '/api/tasks', statusCode: 200, responseTime: 3.1, userId: 'u1' }), false)
    expect(line).toBe('09:14:02 GET /api/tasks 200 3.1ms user=u1 req=0193aaaa…\n')
    const warn = prettyLine(JSON.stringify({ level: 40, time: 0, pid: 1, hostname: 'h', msg: 'no email API key', apiKey: null }), false)
    expect(warn).toBe('00:00:00 WARN no email API key apiKey=null\n')
  })

  it('a dev server writes them to its stream', async () => {
    const lines: string[] = []
    const { Writable } = await import('node:stream')
    const stream = new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) })
    const t = await authApp({ logger: { level: 'info', stream, pretty: true } })
    try {
      await t.app.inject({ method: 'GET', url: '/healthz' })
      const request = lines.find((l) => l.includes('/healthz'))
      expect(request).toMatch(/^\d\d:\d\d:\d\d GET \/healthz 200 [\d.]+ms req=/)
      expect(lines.every((l) => !l.startsWith('{'))).toBe(true)
    } finally {
      await t.close()
    }
  })
})

describe('Loki', () => {
  // A Loki push endpoint in a process of its own (the transport's last push happens while the
  // server's thread waits for it at close): JSON bodies at /loki/api/v1/push, answered 204 as
  // Loki does, each printed as one line for the test to parse.
  const RECEIVER = `
    const http = require('node:http')
    const server = http.createServer((req, res) => {
      const chunks = []
      req.on('data', (c) => chunks.push(c))
      req.on('end', () => {
        if (req.method !== 'POST' || req.url !== '/loki/api/v1/push' || !String(req.headers['content-type']).startsWith('application/json')) return res.writeHead(400).end()
        process.stdout.write(JSON.stringify(JSON.parse(Buffer.concat(chunks).toString())) + '\\n')
        res.writeHead(204).end()
      })
    })
    server.listen(0, '127.0.0.1', () => process.stdout.write('port ' + server.address().port + '\\n'))
    setTimeout(() => process.exit(0), 60000).unref()`
  let receiver: ChildProcess
  let output = ''
  let url = ''
  beforeAll(async () => {
    receiver = spawn(process.execPath, ['-e', RECEIVER], { stdio: ['ignore', 'pipe', 'inherit'] })
    receiver.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const deadline = Date.now() + 10_000
    while (!/^port \d+$/m.test(output) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    url = `http://127.0.0.1:${/^port (\d+)$/m.exec(output)![1]}`
  })
  afterAll(() => {
    receiver.kill()
  })

  it('ships every line to KOYA_LOKI_URL, labelled with the app, credentials redacted', async () => {
    const t = await authApp({ env: { KOYA_LOKI_URL: url } })
    await t.app.inject({ method: 'GET', url: '/api/tasks?token=loki-secret', headers: { authorization: `Bearer ${SERVICE_KEY}` } })
    await t.close()
    type Push = { streams: { stream: Record<string, string>; values: [string, string][] }[] }
    const pushes = () => output.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Push)
    const found = () => pushes().flatMap((p) => p.streams.flatMap((s) => s.values.map(([, line]) => ({ labels: s.stream, line: JSON.parse(line) as Record<string, unknown> })))).find((e) => e.line.msg === 'request completed')
    const deadline = Date.now() + 10_000
    while (found() === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
    const shipped = found()
    expect(shipped?.labels).toMatchObject({ app: 'koya-tasks' })
    expect(shipped?.line).toMatchObject({ url: '/api/tasks?token=[redacted]', route: '/api/tasks', statusCode: 400 })
    expect(output).not.toContain('loki-secret')
  })
})
