import { afterEach, describe, expect, it } from 'vitest'
import { parsePrometheusText } from '../../helpers/prometheus-text.ts'
import { newSecret, SERVICE_KEY, startReceiver, webhookApp, type Receiver, type WebhookApp } from './webhook-fixtures.ts'

/**
 * Webhook delivery end to end: REST writes on a real server, deliveries over real HTTP to a
 * local receiver that verifies each signature with the `standardwebhooks` package.
 */
let app: WebhookApp | undefined
let receiver: Receiver | undefined
afterEach(async () => {
  await app?.close()
  await receiver?.close()
  app = undefined
  receiver = undefined
})

async function setUp(env: Record<string, string> = {}, options: Parameters<typeof webhookApp>[1] = {}) {
  const secret = newSecret()
  receiver = await startReceiver([secret])
  app = await webhookApp({ HOOK_URL: receiver.url, HOOK_SECRET: secret, KOYA_WEBHOOK_ALLOW_HOSTS: '127.0.0.1', ...env }, options)
  return { app, receiver, secret }
}

async function waitForRun(t: WebhookApp, jobId: number, status: string): Promise<any> {
  const until = Date.now() + 15_000
  for (;;) {
    const run = (await t.request('GET', `/admin/jobs/runs/${jobId}`)).body
    if (run.status === status) return run
    if (Date.now() > until) throw new Error(`run ${jobId} is ${run.status}, not ${status}: ${JSON.stringify(run)}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** The delivery log once it has `count` entries (an attempt is logged just after its answer arrives). */
async function deliveries(t: WebhookApp, count: number, query = ''): Promise<any[]> {
  const until = Date.now() + 10_000
  for (;;) {
    const log = (await t.request('GET', `/admin/webhooks/deliveries${query}`)).body
    if (log.length >= count || Date.now() > until) return log
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('webhook delivery', () => {
  it('counts delivery attempts in /metrics by webhook and outcome (parsed)', async () => {
    const { app, receiver } = await setUp()
    receiver.answer = ({ count }) => (count === 1 ? { status: 500, body: 'boom' } : { status: 204 })
    await app.createWorkspace('Counted')
    await receiver.waitFor((r) => r.some((x) => x.status === 204))
    expect(await deliveries(app, 2)).toHaveLength(2)
    const response = await app.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${SERVICE_KEY}` } })
    expect(response.statusCode).toBe(200)
    const family = parsePrometheusText(response.body).get('koya_webhook_deliveries_total')!
    expect(family.type).toBe('counter')
    const value = (outcome: string) => family.samples.find((s) => s.labels.webhook === 'workspaceChanges' && s.labels.outcome === outcome)?.value
    expect(value('failed')).toBe(1)
    expect(value('ok')).toBe(1)
  })

  it('POSTs a signed event with the record as REST reads it, for create, update and delete', async () => {
    const { app, receiver } = await setUp()
    const created = await app.createWorkspace('Acme')
    expect(created.status).toBe(201)
    const row = Array.isArray(created.body) ? created.body[0] : created.body
    await receiver.waitFor((r) => r.length >= 1)
    const first = receiver.received[0]!
    expect(first.verified).toBe(true)
    expect(first.id).toMatch(/^msg_[0-9a-f]{32}$/)
    expect(Math.abs(Number(first.timestamp) - Date.now() / 1000)).toBeLessThan(60)
    expect(Object.keys(first.body).sort()).toEqual(['oldRecord', 'record', 'table', 'timestamp', 'type'])
    expect(first.body).toMatchObject({ type: 'workspaces.create', table: 'workspaces', oldRecord: null })
    const read = await app.request('GET', `/api/workspaces/${row.id}`)
    expect(first.body.record).toEqual(read.body)

    expect((await app.request('PATCH', `/api/workspaces/${row.id}`, { name: 'Acme 2' })).status).toBe(200)
    await receiver.waitFor((r) => r.length >= 2)
    const update = receiver.received[1]!
    expect(update.body).toMatchObject({ type: 'workspaces.update', record: { name: 'Acme 2' }, oldRecord: { name: 'Acme' } })
    expect(update.id).not.toBe(first.id)

    expect((await app.request('DELETE', `/api/workspaces/${row.id}`)).status).toBe(200)
    await receiver.waitFor((r) => r.length >= 3)
    expect(receiver.received[2]!.body).toMatchObject({ type: 'workspaces.delete', record: null, oldRecord: { id: row.id, name: 'Acme 2' } })
    expect(receiver.received.every((r) => r.verified)).toBe(true)

    const log = await deliveries(app, 3, '?webhook=workspaceChanges')
    expect(log[0]).toMatchObject({ webhook: 'workspaceChanges', eventType: 'workspaces.delete', attempt: 1, status: 200, ok: true, error: null })
    expect(typeof log[0].latencyMs).toBe('number')
  })

  it('retries a failed delivery with the same webhook-id and a fresh signature, and treats a redirect as a failure', async () => {
    const { app, receiver } = await setUp()
    receiver.answer = ({ count }) => (count === 1 ? { status: 500, body: 'boom' } : count === 2 ? { status: 302, headers: { location: `${receiver.url}/elsewhere` } } : { status: 204 })
    await app.createWorkspace('Retry')
    await receiver.waitFor((r) => r.some((x) => x.status === 204))
    expect(receiver.received.map((r) => r.status)).toEqual([500, 302, 204])
    expect(new Set(receiver.received.map((r) => r.id)).size).toBe(1)
    expect(receiver.received.every((r) => r.verified)).toBe(true)
    const log = (await deliveries(app, 3)).reverse()
    expect(log.map((d: any) => [d.attempt, d.status, d.ok])).toEqual([[1, 500, false], [2, 302, false], [3, 204, true]])
    expect(log[0].response).toBe('boom')
    expect(new Set(log.map((d: any) => d.jobId)).size).toBe(1)
  })

  it('waits at least Retry-After before the next attempt', async () => {
    const { app, receiver } = await setUp()
    const times: number[] = []
    receiver.answer = ({ count }) => {
      times.push(Date.now())
      return count === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }
    }
    await app.createWorkspace('Slow down')
    await receiver.waitFor((r) => r.some((x) => x.status === 200))
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(950)
  })

  it('410 Gone disables the endpoint: the next events are dead without a request, until a replay enables it', async () => {
    const { app, receiver } = await setUp()
    receiver.answer = () => ({ status: 410 })
    await app.createWorkspace('Gone')
    await receiver.waitFor((r) => r.length === 1)
    const [gone] = await deliveries(app, 1)
    const run = await waitForRun(app, gone.jobId, 'dead')
    expect(run.lastError).toContain('KL_JOB_WEBHOOK_GONE')
    expect(run.attempts).toBe(1)
    const audit = (await app.request('GET', '/admin/audit?action=webhook.disabled')).body
    expect(audit).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'webhook.disabled', detail: { webhook: 'workspaceChanges' } })]))

    await app.createWorkspace('While disabled')
    const later = await deliveries(app, 2)
    expect(later[0]).toMatchObject({ status: null, ok: false })
    expect(later[0].error).toContain('KL_JOB_WEBHOOK_DISABLED')
    await waitForRun(app, later[0].jobId, 'dead')
    expect(receiver.received).toHaveLength(1)

    receiver.answer = () => ({ status: 200 })
    const replay = await app.request('POST', `/admin/webhooks/deliveries/${later[0].id}/replay`)
    expect(replay.status).toBe(202)
    expect(replay.body).toMatchObject({ jobId: later[0].jobId, webhook: 'workspaceChanges', status: 'pending' })
    await receiver.waitFor((r) => r.some((x) => x.status === 200))
    expect(receiver.received.at(-1)!.id).toBe(replay.body.messageId)
  })

  it('dead after the last attempt; replay delivers it again with the same webhook-id', async () => {
    const { app, receiver } = await setUp()
    receiver.answer = () => ({ status: 503 })
    await app.createWorkspace('Dead letter')
    await receiver.waitFor((r) => r.length === 3)
    const log = await deliveries(app, 3, '?ok=false')
    expect(log).toHaveLength(3)
    const run = await waitForRun(app, log[0].jobId, 'dead')
    expect(run.attempts).toBe(3)
    expect(run.lastError).toContain('KL_JOB_WEBHOOK_FAILED')
    expect((await app.request('GET', `/admin/jobs/runs?name=webhook:workspaceChanges&status=dead`)).body).toHaveLength(1)

    receiver.answer = () => ({ status: 200 })
    const replay = await app.request('POST', `/admin/webhooks/deliveries/${log[2].id}/replay`)
    expect(replay.status).toBe(202)
    await receiver.waitFor((r) => r.length === 4)
    expect(new Set(receiver.received.map((r) => r.id)).size).toBe(1)
    await waitForRun(app, log[0].jobId, 'done')
    const again = await app.request('POST', `/admin/webhooks/deliveries/${log[2].id}/replay`)
    expect(again.status).toBe(202)
    await receiver.waitFor((r) => r.length === 5)
    expect((await app.request('POST', '/admin/webhooks/deliveries/999999/replay')).status).toBe(404)
    expect((await app.app.inject({ method: 'GET', url: '/admin/webhooks/deliveries' })).statusCode).toBe(401)
  })

  it('an endpoint failing every attempt for longer than the configured time is disabled, with an audit entry', async () => {
    const { app, receiver } = await setUp({}, { webhooks: { disableAfterMs: 1 } })
    receiver.answer = () => ({ status: 500 })
    await app.createWorkspace('Flaky')
    await receiver.waitFor((r) => r.length === 2)
    const log = await deliveries(app, 2)
    const run = await waitForRun(app, log[0].jobId, 'dead')
    expect(run.lastError).toContain('KL_JOB_WEBHOOK_DISABLED')
    expect(receiver.received).toHaveLength(2)
    const audit = (await app.request('GET', '/admin/audit?action=webhook.disabled')).body
    expect(JSON.stringify(audit)).toContain('every attempt failed')
  })

  it('while a rotated secret is honoured, each request carries two signatures that verify with either secret', async () => {
    const previous = newSecret()
    const { app, receiver, secret } = await setUp({ HOOK_SECRET_PREVIOUS: previous })
    receiver.secrets = [secret, previous]
    await app.createWorkspace('Rotated')
    await receiver.waitFor((r) => r.length === 1)
    expect(receiver.received[0]!.signature.split(' ')).toHaveLength(2)
    expect(receiver.received[0]!.verifiedWith).toEqual([secret, previous])
  })

  it('after the overlap only the new secret signs', async () => {
    const previous = newSecret()
    const { app, receiver, secret } = await setUp({ HOOK_SECRET_PREVIOUS: previous }, { webhooks: { rotationOverlapMs: 1 } })
    receiver.secrets = [secret, previous]
    await new Promise((resolve) => setTimeout(resolve, 5))
    await app.createWorkspace('Rotated later')
    await receiver.waitFor((r) => r.length === 1)
    expect(receiver.received[0]!.verifiedWith).toEqual([secret])
  })

  it('keeps to the per-endpoint rate limit', async () => {
    const { app, receiver } = await setUp({ KOYA_WEBHOOK_RATE_LIMIT: '5' })
    // One bulk write: the 10 events are enqueued at once, so only the limit spreads them.
    const bulk = await app.request('POST', '/api/workspaces', Array.from({ length: 10 }, (_, i) => ({ name: `Rate ${i}`, slug: `rate-${i}`, ownerId: app.ownerId })))
    expect(bulk.status).toBe(201)
    await receiver.waitFor((r) => r.length === 10)
    // A bucket of 5 is spent at once; the other 5 come at 5 a second: the last arrives ≥ ~1 s after the first.
    const times = receiver.received.map((r) => r.at)
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(800)
  })

  it('cuts a stored answer at 2 KiB', async () => {
    const { app, receiver } = await setUp()
    receiver.answer = () => ({ status: 200, body: 'x'.repeat(10_000) })
    await app.createWorkspace('Chatty')
    await receiver.waitFor((r) => r.length === 1)
    const log = await deliveries(app, 1)
    expect(log[0].response.length).toBeLessThan(2200)
    expect(log[0].response).toContain('[truncated, 10000 bytes]')
  })
})

describe('webhook settings refreshed without a restart', () => {
  it('the next delivery goes to the new URL, signed with the new secret, once the environment the server holds changes', async () => {
    const { app, receiver, secret } = await setUp()
    await app.createWorkspace('Before')
    await receiver.waitFor((r) => r.length === 1)
    expect(receiver.received[0]!.verifiedWith).toEqual([secret])

    // What a secrets refresh does (engine/cli/secrets-env.ts): the held object, updated in place.
    const rotated = newSecret()
    const second = await startReceiver([rotated])
    try {
      app.env.HOOK_URL = second.url
      app.env.HOOK_SECRET = rotated
      await app.createWorkspace('After')
      await second.waitFor((r) => r.length === 1)
      expect(second.received[0]!.verifiedWith).toEqual([rotated])
      expect(second.received[0]!.body.record.name).toBe('After')
      expect(receiver.received).toHaveLength(1)

      // A refreshed value that is not a URL is not applied: deliveries keep the one in force.
      app.env.HOOK_URL = 'not a url'
      await app.createWorkspace('Kept')
      await second.waitFor((r) => r.length === 2)
      expect(second.received[1]!.body.record.name).toBe('Kept')
    } finally {
      await second.close()
    }
  })
})
