import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { applyMigrations, readMigrations } from '../../../engine/migrate/index.ts'
import { createDataLayer } from '../../../engine/runtime/data/data-layer.ts'
import { loadModel } from '../../../engine/runtime/model.ts'
import { systemMigrations } from '../../../engine/runtime/modules/index.ts'
import { createQueue } from '../../../engine/runtime/queue/queue.ts'
import { applySystemSchema } from '../../../engine/runtime/system/system-schema.ts'
import { createWebhookPoster } from '../../../engine/runtime/webhooks/deliver-http.ts'
import { createDeliveryLog } from '../../../engine/runtime/webhooks/delivery-log.ts'
import { createEndpoints } from '../../../engine/runtime/webhooks/endpoints.ts'
import { secretKey } from '../../../engine/runtime/webhooks/signing.ts'
import { allowedHostsOf, createSsrfGuard, isBlockedAddress } from '../../../engine/runtime/webhooks/ssrf-guard.ts'
import { webhookDeliveryKind } from '../../../engine/runtime/webhooks/webhook-delivery.ts'
import { subscribeWebhookEvents } from '../../../engine/runtime/webhooks/webhook-events.ts'
import { isKoyaError } from '../../../engine/shared/errors.ts'
import { openDatabase } from '../../../engine/shared/sqlite.ts'
import { repoRoot } from '../../helpers/paths.ts'
import { newSecret, startReceiver, webhookApp, withWebhook, type Receiver } from './webhook-fixtures.ts'

let receiver: Receiver
beforeAll(async () => {
  receiver = await startReceiver([])
})
afterAll(async () => receiver.close())
afterEach(() => {
  receiver.received.length = 0
  receiver.answer = () => ({ status: 200 })
})

describe('the SSRF guard', () => {
  it.each([
    ['127.0.0.1', true], ['127.8.9.10', true], ['10.1.2.3', true], ['172.16.0.1', true], ['192.168.1.1', true], ['169.254.169.254', true],
    ['100.64.0.1', true], ['0.0.0.0', true], ['::1', true], ['fe80::1', true], ['fd00:ec2::254', true], ['::ffff:127.0.0.1', true], ['::ffff:10.0.0.1', true],
    ['93.184.215.14', false], ['8.8.8.8', false], ['2606:4700:4700::1111', false], ['172.32.0.1', false],
  ])('%s blocked: %s', (address, blocked) => {
    expect(isBlockedAddress(address)).toBe(blocked)
  })

  const post = (guardHosts: string, url: string) => {
    const poster = createWebhookPoster(createSsrfGuard(allowedHostsOf(guardHosts)), 2000)
    return poster.post(new URL(url), {}, '{}', new AbortController().signal).finally(() => poster.close())
  }

  it.each(['127.0.0.1', 'localhost', '10.0.0.1', '169.254.169.254'])('refuses %s when it is not allow-listed, before any byte is sent', async (host) => {
    const outcome = await post('', `http://${host}:${receiver.port}/hook`)
    expect(outcome.status).toBeNull()
    expect(isKoyaError(outcome.error) && outcome.error.code).toBe('KL_JOB_WEBHOOK_BLOCKED')
    expect(receiver.received).toHaveLength(0)
  })

  it('allows a listed host, by literal address or by name', async () => {
    expect((await post('127.0.0.1', `http://127.0.0.1:${receiver.port}/hook`)).status).toBe(200)
    expect((await post('other.example, LOCALHOST', `http://localhost:${receiver.port}/hook`)).status).toBe(200)
    expect(receiver.received).toHaveLength(2)
    // Listing one name does not open another that resolves to the same place.
    expect(isKoyaError((await post('localhost', `http://127.0.0.1:${receiver.port}/hook`)).error)).toBe(true)
  })

  it('a server refuses a destination resolving to loopback: the delivery is dead at once and logged', async () => {
    const secret = newSecret()
    const t = await webhookApp({ HOOK_URL: `http://localhost:${receiver.port}/hook`, HOOK_SECRET: secret })
    try {
      await t.createWorkspace('Blocked')
      const until = Date.now() + 10_000
      let log: any[] = []
      while (log.length === 0 && Date.now() < until) {
        log = (await t.request('GET', '/admin/webhooks/deliveries')).body
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      expect(log[0]).toMatchObject({ status: null, ok: false })
      expect(log[0].error).toContain('KL_JOB_WEBHOOK_BLOCKED')
      expect(receiver.received).toHaveLength(0)
    } finally {
      await t.close()
    }
  })
})

describe('signing secrets', () => {
  it('refuses a secret that is not whsec_ and 24 to 64 bytes of base64', () => {
    for (const bad of ['plain', 'whsec_', 'whsec_c2hvcnQ=', `whsec_${'!'.repeat(40)}`]) {
      expect(() => secretKey(bad, 'HOOK_SECRET')).toThrow(/HOOK_SECRET/)
    }
    expect(secretKey(newSecret(), 'HOOK_SECRET')).toHaveLength(32)
  })
})

describe('only committed writes are sent', () => {
  it('a write rolled back after the event was enqueued sends nothing; a committed one is delivered', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-webhook-commit-'))
    const db = openDatabase(path.join(dir, 'app.db'))
    try {
      applyMigrations(db, readMigrations(repoRoot).migrations)
      applySystemSchema(db, systemMigrations(), () => new Date())
      const secret = newSecret()
      receiver.secrets = [secret]
      const model = withWebhook(loadModel(repoRoot))
      const data = createDataLayer(model, db)
      const queue = createQueue(db, { pollMs: 20 })
      const webhook = model.webhooks![0]!
      const endpoints = createEndpoints(db, undefined, [webhook.name])
      const poster = createWebhookPoster(createSsrfGuard(allowedHostsOf('127.0.0.1')))
      queue.define(webhookDeliveryKind({ ir: webhook, url: new URL(receiver.url), key: secretKey(secret, 'HOOK_SECRET'), previous: undefined, ratePerSecond: null }, { poster, log: createDeliveryLog(db), endpoints, clock: () => new Date(), disableAfterMs: 86_400_000, concurrency: 4 }))
      subscribeWebhookEvents(model.webhooks!, { data, queue, clock: () => new Date(), handlers: {}, log: { error: () => undefined } })
      // A later transaction subscriber refuses workspaces named "refused": the whole write rolls back.
      data.events.subscribe({ phase: 'transaction', tables: ['workspaces'], handle(events) {
        if (events.some((e) => e.new?.name === 'refused')) throw new Error('refused by a later subscriber')
      } })
      queue.start()
      const system = { kind: 'system' } as const
      const owner = data.insert(system, { table: 'users', rows: [{ email: 'o@example.com', displayName: 'O' }], returning: [{ kind: 'all' }] }, { as: 'objects' }).rows![0] as any
      expect(() => data.insert(system, { table: 'workspaces', rows: [{ name: 'refused', slug: 'refused', ownerId: owner.id }] })).toThrow(/refused/)
      expect(db.prepare(`SELECT count(*) AS n FROM "_koya_jobs" WHERE "kind" LIKE 'webhook:%'`).get()).toEqual({ n: 0 })
      expect(() => db.transaction(() => {
        data.insert(system, { table: 'workspaces', rows: [{ name: 'in a rolled-back transaction', slug: 'rolled-back', ownerId: owner.id }] })
        throw new Error('rollback')
      })()).toThrow('rollback')
      data.insert(system, { table: 'workspaces', rows: [{ name: 'kept', slug: 'kept', ownerId: owner.id }] })
      await receiver.waitFor((r) => r.length >= 1)
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(receiver.received.map((r) => r.body.record.name)).toEqual(['kept'])
      expect(receiver.received[0]!.verified).toBe(true)
      await queue.close()
      poster.close()
    } finally {
      db.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('the payload cap', () => {
  it('an event over 256 KiB is sent with its records cut to their ids, marked truncated', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-webhook-cap-'))
    const db = openDatabase(path.join(dir, 'app.db'))
    try {
      applyMigrations(db, readMigrations(repoRoot).migrations)
      applySystemSchema(db, systemMigrations(), () => new Date())
      const model = withWebhook(loadModel(repoRoot))
      const data = createDataLayer(model, db)
      const queue = createQueue(db)
      const huge = 'x'.repeat(300 * 1024)
      subscribeWebhookEvents(model.webhooks!, { data, queue, clock: () => new Date(), handlers: { workspaceChanges: { transform: (event) => ({ ...event, padding: event.record?.name === 'big' ? huge : '' }) } }, log: { error: () => undefined } })
      const system = { kind: 'system' } as const
      const owner = data.insert(system, { table: 'users', rows: [{ email: 'o@example.com', displayName: 'O' }], returning: [{ kind: 'all' }] }, { as: 'objects' }).rows![0] as any
      data.insert(system, { table: 'workspaces', rows: [{ name: 'small', slug: 'small', ownerId: owner.id }, { name: 'big', slug: 'big', ownerId: owner.id }] })
      const rows = db.prepare(`SELECT "payload" FROM "_koya_jobs" WHERE "kind" = 'webhook:workspaceChanges' ORDER BY "id"`).all() as { payload: string }[]
      const [small, big] = rows.map((r) => JSON.parse(r.payload))
      expect(small.body).toMatchObject({ type: 'workspaces.create', record: { name: 'small' }, padding: '' })
      expect(small.body.truncated).toBeUndefined()
      expect(big.body).toEqual({ type: 'workspaces.create', table: 'workspaces', record: { id: expect.any(String) }, oldRecord: null, timestamp: expect.any(String), truncated: true })
      expect(rows[1]!.payload.length).toBeLessThan(1000)
    } finally {
      db.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('a transform whose body is not JSON', () => {
  it.each([
    ['a BigInt', () => ({ n: 10n })],
    ['a cycle', () => { const body: Record<string, unknown> = {}; body.self = body; return body }],
    ['a function', () => () => 'not JSON'],
  ])('returning %s does not undo the write (decision 64): the event is not sent and the error is logged', (_what, transform) => {
    // Review: the payload cap's JSON.stringify ran outside the filter/transform guard, so a
    // transform returning a body JSON cannot write threw inside the write's transaction: 500, rolled back.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-webhook-badjson-'))
    const db = openDatabase(path.join(dir, 'app.db'))
    try {
      applyMigrations(db, readMigrations(repoRoot).migrations)
      applySystemSchema(db, systemMigrations(), () => new Date())
      const model = withWebhook(loadModel(repoRoot))
      const data = createDataLayer(model, db)
      const queue = createQueue(db)
      const logged: unknown[] = []
      subscribeWebhookEvents(model.webhooks!, { data, queue, clock: () => new Date(), handlers: { workspaceChanges: { transform: transform as never } }, log: { error: (fields) => logged.push(fields) } })
      const system = { kind: 'system' } as const
      const owner = data.insert(system, { table: 'users', rows: [{ email: 'o@example.com', displayName: 'O' }], returning: [{ kind: 'all' }] }, { as: 'objects' }).rows![0] as any
      data.insert(system, { table: 'workspaces', rows: [{ name: 'ws', slug: 'ws', ownerId: owner.id }] })
      expect(db.prepare(`SELECT count(*) AS n FROM "workspaces"`).get()).toEqual({ n: 1 })
      expect(db.prepare(`SELECT count(*) AS n FROM "_koya_jobs" WHERE "kind" = 'webhook:workspaceChanges'`).get()).toEqual({ n: 0 })
      expect(logged).toHaveLength(1)
    } finally {
      db.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
