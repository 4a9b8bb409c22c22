import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authApp, call, signedInUser } from '../../helpers/auth-app.ts'

/** PostHog's capture API (`POST /batch/` with `{ api_key, batch }`), standing in: bodies parsed and kept. */
interface Batch { api_key: string; batch: { event: string; distinct_id: string; timestamp: string; properties: Record<string, unknown> }[] }

describe('PostHog events', () => {
  let server: Server
  const bodies: string[] = []
  let events: Batch['batch']
  let user: Awaited<ReturnType<typeof signedInUser>>

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        if (req.method === 'POST' && req.url === '/batch/') bodies.push(Buffer.concat(chunks).toString('utf8'))
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":1}')
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const t = await authApp({ env: { KOYA_POSTHOG_KEY: 'phc_test_key', KOYA_POSTHOG_HOST: host } })
    try {
      user = await signedInUser(t, 'analytics')
      expect((await call(t, 'GET', '/api/workspaces', { token: user.token })).status).toBe(200)
      expect((await call(t, 'GET', '/api/projects', { token: user.token })).status).toBe(200)
      expect((await call(t, 'POST', '/auth/login', { body: { email: user.email, password: 'wrong password here' } })).status).toBe(401)
    } finally {
      await t.close() // flushes the queue
    }
    const batches = bodies.map((body) => JSON.parse(body) as Batch)
    expect(batches.every((b) => b.api_key === 'phc_test_key')).toBe(true)
    events = batches.flatMap((b) => b.batch)
  }, 60_000)
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it('sign-up, login and the first API use, once each, under one hashed id', () => {
    expect(events.map((e) => e.event)).toEqual(['user signed up', 'user logged in', 'first api use'])
    const ids = new Set(events.map((e) => e.distinct_id))
    expect(ids.size).toBe(1)
    const [id] = [...ids]
    expect(id).toMatch(/^[0-9a-f]{64}$/)
    expect(id).not.toBe(user.id)
    for (const e of events) {
      expect(Number.isNaN(Date.parse(e.timestamp))).toBe(false)
      expect(e.properties.$lib).toBe('koyalite')
    }
  })

  it('sends no personal data: no email, user id, password or token', () => {
    const raw = bodies.join('\n')
    for (const value of [user.email, user.id, user.password, user.token, 'analytics']) expect(raw).not.toContain(value)
  })
})
