import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { Webhook } from 'standardwebhooks'
import type { ProjectIR, WebhookIR } from '../../../engine/ir/project-ir.ts'
import { applyMigrations, readMigrations } from '../../../engine/migrate/index.ts'
import { createServer } from '../../../engine/runtime/index.ts'
import { loadModel } from '../../../engine/runtime/model.ts'
import type { WebhooksModuleOptions } from '../../../engine/runtime/webhooks/webhooks-module.ts'
import { openDatabase, type SqliteDatabase } from '../../../engine/shared/sqlite.ts'
import { SERVICE_KEY, tableApis } from '../../helpers/app.ts'
import { repoRoot } from '../../helpers/paths.ts'

export { SERVICE_KEY }

export function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`
}

/** One request the receiver got. `verified`: the standardwebhooks package accepted its signature with the receiver's secret. */
export interface Received {
  readonly id: string
  readonly timestamp: string
  readonly signature: string
  readonly body: any
  readonly verified: boolean
  readonly verifiedWith: readonly string[]
  readonly status: number
  /** When the request arrived (Date.now()). */
  readonly at: number
}

/**
 * A webhook receiver on 127.0.0.1 that verifies every request with the `standardwebhooks`
 * package (an implementation independent of KoyaLite's) and answers what `answer` says.
 */
export interface Receiver {
  readonly url: string
  readonly port: number
  readonly received: Received[]
  /** Verify with these secrets (each tried alone). */
  secrets: string[]
  answer: (request: { id: string; count: number }) => { status: number; headers?: Record<string, string>; body?: string; delayMs?: number }
  waitFor(predicate: (received: readonly Received[]) => boolean, timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

export async function startReceiver(secrets: string[]): Promise<Receiver> {
  const counts = new Map<string, number>()
  const receiver: Receiver = {
    url: '',
    port: 0,
    received: [],
    secrets,
    answer: () => ({ status: 200 }),
    async waitFor(predicate, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs
      while (!predicate(receiver.received)) {
        if (Date.now() > until) throw new Error(`receiver: condition not met within ${timeoutMs} ms; got ${receiver.received.length} requests: ${JSON.stringify(receiver.received.map((r) => [r.id, r.status]))}`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    },
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const headers = { 'webhook-id': String(request.headers['webhook-id']), 'webhook-timestamp': String(request.headers['webhook-timestamp']), 'webhook-signature': String(request.headers['webhook-signature']) }
      const verifiedWith = receiver.secrets.filter((secret) => {
        try {
          new Webhook(secret).verify(text, headers)
          return true
        } catch {
          return false
        }
      })
      const count = (counts.get(headers['webhook-id']) ?? 0) + 1
      counts.set(headers['webhook-id'], count)
      const answer = receiver.answer({ id: headers['webhook-id'], count })
      const send = () => {
        receiver.received.push({ id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], signature: headers['webhook-signature'], body: JSON.parse(text), verified: verifiedWith.length > 0, verifiedWith, status: answer.status, at: Date.now() })
        response.writeHead(answer.status, answer.headers ?? {})
        response.end(answer.body ?? '')
      }
      if (answer.delayMs) setTimeout(send, answer.delayMs)
      else send()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  Object.assign(receiver, { port, url: `http://127.0.0.1:${port}/hook` })
  return receiver
}

/** A webhook on `workspaces` for the reference app's model, URL and secret from HOOK_URL / HOOK_SECRET. */
export function withWebhook(model: ProjectIR, overrides: Partial<WebhookIR> = {}): ProjectIR {
  const webhook: WebhookIR = { name: 'workspaceChanges', table: 'workspaces', on: ['create', 'delete', 'update'], url: { env: 'HOOK_URL' }, secret: { env: 'HOOK_SECRET' }, hasFilter: false, hasTransform: false, retry: { attempts: 3, initialDelayMs: 100, maxDelayMs: 300 }, ...overrides }
  return { ...model, webhooks: [webhook] }
}

export interface WebhookApp {
  readonly app: FastifyInstance
  readonly db: SqliteDatabase
  readonly dbFile: string
  readonly ownerId: string
  /** The environment object the server holds (a secrets refresh updates such an object in place). */
  readonly env: Record<string, string | undefined>
  createWorkspace(name: string): Promise<{ status: number; body: any }>
  request(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }>
  close(): Promise<void>
}

/** The reference app with one webhook, on a fresh migrated file; the queue polls every 20 ms. */
export async function webhookApp(env: Record<string, string>, options: { readonly model?: (model: ProjectIR) => ProjectIR; readonly webhooks?: WebhooksModuleOptions } = {}): Promise<WebhookApp> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-webhooks-'))
  const dbFile = path.join(dir, 'app.db')
  const db = openDatabase(dbFile)
  applyMigrations(db, readMigrations(repoRoot).migrations)
  const base = loadModel(repoRoot)
  const model = (options.model ?? withWebhook)(base)
  const serverEnv: Record<string, string | undefined> = { KOYA_JOBS_POLL: '20ms', ...env }
  const app = await createServer({ model, db, tables: tableApis(model), auth: { serviceKey: SERVICE_KEY }, logger: false, env: serverEnv, ...(options.webhooks ? { webhooks: options.webhooks } : {}) })
  await app.ready()
  const request = async (method: string, url: string, body?: unknown) => {
    const response = await app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${SERVICE_KEY}`, prefer: 'return=representation', ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) })
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined }
  }
  const owner = await request('POST', '/api/users', { email: `owner-${Date.now()}@example.com`, displayName: 'Owner' })
  if (owner.status !== 201) throw new Error(`could not create the owner: ${JSON.stringify(owner)}`)
  const ownerId = (Array.isArray(owner.body) ? owner.body[0] : owner.body).id as string
  let n = 0
  return {
    app,
    db,
    dbFile,
    ownerId,
    env: serverEnv,
    request,
    createWorkspace: (name) => request('POST', '/api/workspaces', { name, slug: `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${++n}`, ownerId }),
    async close() {
      await app.close()
      db.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
