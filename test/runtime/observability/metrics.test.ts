import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authApp, ORIGIN, SERVICE_KEY, type AuthTestApp, listen } from '../../helpers/auth-app.ts'
import { parsePrometheusText, type PromFamily } from '../../helpers/prometheus-text.ts'

const family = (families: Map<string, PromFamily>, name: string) => {
  const found = families.get(name)
  if (found === undefined) throw new Error(`no metric ${name} in ${[...families.keys()].join(', ')}`)
  return found
}
/** The value of the family's sample with these labels (and this name, default the family's). */
const sample = (f: PromFamily, labels: Record<string, string>, name = f.name) =>
  f.samples.find((m) => m.name === name && Object.entries(labels).every(([k, v]) => m.labels[k] === v))?.value

describe('GET /metrics', () => {
  let t: AuthTestApp
  let base: string
  beforeAll(async () => {
    t = await authApp()
    base = await listen(t)
  })
  afterAll(async () => t.close())

  const scrape = async () => {
    const response = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${SERVICE_KEY}` } })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/plain')
    return parsePrometheusText(await response.text())
  }

  it('is refused without the service key to an address not on the allow list', async () => {
    const response = await fetch(`${base}/metrics`)
    expect(response.status).toBe(403)
    expect(((await response.json()) as { code: string }).code).toBe('KL_AUTH_FORBIDDEN')
  })

  it('counts requests by route and status, with a latency histogram', async () => {
    for (let i = 0; i < 3; i++) expect((await fetch(`${base}/healthz`)).status).toBe(200)
    await fetch(`${base}/api/tasks?bogus=1`, { headers: { authorization: `Bearer ${SERVICE_KEY}` } })
    const families = await scrape()
    const requests = family(families, 'koya_http_requests_total')
    expect(requests.type).toBe('counter')
    expect(sample(requests, { method: 'GET', route: '/healthz', status: '200' })).toBe(3)
    expect(sample(requests, { method: 'GET', route: '/api/tasks', status: '400' })).toBe(1)
    const latency = family(families, 'koya_http_request_duration_seconds')
    expect(latency.type).toBe('histogram')
    const health = { method: 'GET', route: '/healthz' }
    expect(sample(latency, health, 'koya_http_request_duration_seconds_count')).toBe(3)
    expect(sample(latency, { ...health, le: '+Inf' }, 'koya_http_request_duration_seconds_bucket')).toBe(3)
    // Cumulative buckets, in increasing order of their bounds, never decrease.
    const buckets = latency.samples.filter((s) => s.name === 'koya_http_request_duration_seconds_bucket' && s.labels.route === '/healthz')
    expect(buckets.length).toBeGreaterThan(5)
    const bounds = buckets.map((b) => Number(b.labels.le === '+Inf' ? Infinity : b.labels.le))
    expect(bounds).toEqual([...bounds].sort((a, b) => a - b))
    expect(buckets.map((b) => b.value)).toEqual(buckets.map((b) => b.value).sort((a, b) => a - b))
    expect(sample(latency, health, 'koya_http_request_duration_seconds_sum')).toBeGreaterThan(0)
  })

  it('counts auth events from the auth routes\' answers', async () => {
    const email = 'metrics@example.com'
    expect((await fetch(`${base}/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json', ...ORIGIN }, body: JSON.stringify({ email, password: 'correct horse battery', displayName: 'M' }) })).status).toBeLessThan(300)
    expect((await fetch(`${base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...ORIGIN }, body: JSON.stringify({ email, password: 'wrong password here' }) })).status).toBe(401)
    const events = family(await scrape(), 'koya_auth_events_total')
    expect(sample(events, { event: 'signup' })).toBe(1)
    expect(sample(events, { event: 'login_failure' })).toBe(1)
    expect(sample(events, { event: 'lockout' })).toBe(0)
  })

  it('reports the data layer, SQLite, the queue and the process', async () => {
    await fetch(`${base}/api/tasks?limit=1`, { headers: { authorization: `Bearer ${SERVICE_KEY}` } })
    const families = await scrape()
    expect(sample(family(families, 'koya_db_statements_total'), {})).toBeGreaterThan(0)
    expect(sample(family(families, 'koya_db_statement_seconds_total'), {})).toBeGreaterThan(0)
    const size = family(families, 'koya_sqlite_size_bytes')
    expect(sample(size, { file: 'db' })).toBeGreaterThan(0)
    expect(sample(size, { file: 'wal' })).toBeGreaterThanOrEqual(0)
    expect(sample(family(families, 'koya_sqlite_wal_checkpoint'), { frames: 'log' })).toBeGreaterThanOrEqual(0)
    // The sign-up queued its verification email.
    expect(sample(family(families, 'koya_queue_jobs'), { kind: 'email' })).toBeGreaterThan(0)
    expect(family(families, 'nodejs_eventloop_lag_seconds').type).toBe('gauge')
    expect(sample(family(families, 'nodejs_heap_size_used_bytes'), {})).toBeGreaterThan(0)
    expect(family(families, 'koya_webhook_deliveries_total').type).toBe('counter')
  })
})

describe('auth lockouts in /metrics', () => {
  it('a client locked out of an account (429 on login) counts as a lockout, beside its failures', async () => {
    const t = await authApp({ rateLimits: { loginFailuresPerAccount: { max: 2, windowSeconds: 900 } } })
    try {
      const base = await listen(t)
      const email = 'locked@example.com'
      expect((await fetch(`${base}/auth/signup`, { method: 'POST', headers: { 'content-type': 'application/json', ...ORIGIN }, body: JSON.stringify({ email, password: 'correct horse battery', displayName: 'L' }) })).status).toBeLessThan(300)
      const statuses: number[] = []
      for (let i = 0; i < 4; i++) statuses.push((await fetch(`${base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...ORIGIN }, body: JSON.stringify({ email, password: 'wrong password here' }) })).status)
      expect(statuses.slice(0, 2)).toEqual([401, 401])
      expect(statuses.slice(2)).toEqual([429, 429])
      const response = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${SERVICE_KEY}` } })
      const events = family(parsePrometheusText(await response.text()), 'koya_auth_events_total')
      expect(sample(events, { event: 'login_failure' })).toBe(2)
      expect(sample(events, { event: 'lockout' })).toBe(2)
    } finally {
      await t.close()
    }
  })
})

describe('KOYA_METRICS_ALLOW', () => {
  it('lets an allow-listed scraper in without credentials, and warns of an entry it cannot read', async () => {
    const t = await authApp({ env: { KOYA_METRICS_ALLOW: '10.0.0.0/8, 127.0.0.1, not-an-address' } })
    try {
      await t.app.listen({ port: 0, host: '127.0.0.1' })
      const response = await fetch(`http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/metrics`)
      expect(response.status).toBe(200)
      expect(parsePrometheusText(await response.text()).get('koya_http_requests_total')?.type).toBe('counter')
      const warnings = t.logs.flatMap((chunk) => chunk.split('\n')).filter((l) => l !== '').map((l) => JSON.parse(l) as { level: number; entry?: string }).filter((l) => l.level === 40)
      expect(warnings.map((w) => w.entry)).toContain('not-an-address')
    } finally {
      await t.close()
    }
  })
})
