import type { AddressInfo } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { ProjectIR } from '../../engine/ir/project-ir.ts'
import { applyMigrations, readMigrations } from '../../engine/migrate/index.ts'
import { DEFAULT_AUTH_RATE_LIMITS, type AuthRateLimits } from '../../engine/runtime/auth/auth-context.ts'
import { createServer } from '../../engine/runtime/index.ts'
import type { LoggerSetting } from '../../engine/runtime/http/request-log.ts'
import type { RealtimeModuleOptions } from '../../engine/runtime/realtime/realtime-module.ts'
import { loadModel } from '../../engine/runtime/model.ts'
import { openDatabase, type SqliteDatabase } from '../../engine/shared/sqlite.ts'
import { SERVICE_KEY, tableApis } from './app.ts'
import { repoRoot } from './paths.ts'
import { EMAILS } from './emails.ts'

export { SERVICE_KEY }
export const PUBLIC_URL = 'https://tasks.example.com'
export const ORIGIN = { origin: PUBLIC_URL }

/** Limits high enough that only the rate-limit tests meet them. */
const GENEROUS = Object.fromEntries(Object.keys(DEFAULT_AUTH_RATE_LIMITS).map((name) => [name, { max: 10_000, windowSeconds: 60 }])) as unknown as AuthRateLimits

export interface AuthTestApp {
  readonly app: FastifyInstance
  readonly db: SqliteDatabase
  readonly model: ProjectIR
  readonly file: string
  /** Every log line the server wrote. */
  readonly logs: string[]
  now(): Date
  advance(ms: number): void
  close(): Promise<void>
}

/**
 * The reference app (email verification on, 30 min idle / 7 d absolute sessions) on a fresh
 * SQLite file, with a clock the test moves and its logs captured.
 */
export async function authApp(options: { logger?: LoggerSetting; rateLimits?: Partial<AuthRateLimits>; rateLimitCapacity?: number; env?: Record<string, string>; model?: (model: ProjectIR) => ProjectIR; realtime?: RealtimeModuleOptions; dev?: boolean } = {}): Promise<AuthTestApp> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-auth-'))
  const file = path.join(dir, 'app.db')
  const db = openDatabase(file)
  applyMigrations(db, readMigrations(repoRoot).migrations)
  const model = (options.model ?? ((m) => m))(loadModel(repoRoot))
  let time = Date.parse('2026-11-26T09:00:00.000Z')
  const logs: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString())
      done()
    },
  })
  const app = await createServer({
    model,
    db,
    tables: tableApis(model),
    logger: options.logger ?? { level: 'debug', stream },
    clock: () => new Date(time),
    env: { KOYA_PUBLIC_URL: PUBLIC_URL, ...options.env },
    auth: {
      serviceKey: SERVICE_KEY,
      rateLimits: { ...GENEROUS, ...options.rateLimits },
      ...(options.rateLimitCapacity !== undefined ? { rateLimitCapacity: options.rateLimitCapacity } : {}),
    },
    ...(options.realtime ? { realtime: options.realtime } : {}),
    ...(options.dev !== undefined ? { dev: options.dev } : {}),
  }).catch((error: unknown) => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
    throw error
  })
  return {
    app,
    db,
    model,
    file,
    logs,
    now: () => new Date(time),
    advance(ms) {
      time += ms
    },
    async close() {
      await app.close()
      db.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export interface Reply {
  readonly status: number
  readonly body: any // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly headers: LightMyRequestResponse['headers']
  readonly cookies: LightMyRequestResponse['cookies']
  readonly raw: string
}

export async function call(t: AuthTestApp, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, options: { body?: unknown; token?: string; cookie?: string; headers?: Record<string, string>; ip?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  if (options.cookie !== undefined) headers.cookie = `koya_session=${options.cookie}`
  const response = await t.app.inject({
    method,
    url,
    headers,
    ...(options.ip ? { remoteAddress: options.ip } : {}),
    ...(options.body === undefined ? {} : { payload: options.body as object }),
  })
  return { status: response.statusCode, body: response.body && String(response.headers['content-type']).includes('json') ? JSON.parse(response.body) : undefined, headers: response.headers, cookies: response.cookies, raw: response.body }
}

/** The newest email of a kind to an address, and the token in its link. */
export function lastEmail(t: AuthTestApp, kind: string, to: string): { subject: string; text: string; html: string; token: string } | undefined {
  const row = t.db.prepare(`SELECT "subject", "text", "html" FROM ${EMAILS} WHERE "kind" = ? AND "to" = ? ORDER BY "id" DESC LIMIT 1`).all(kind, to)[0] as { subject: string; text: string; html: string } | undefined
  if (row === undefined) return undefined
  const token = /[?&]token=([a-z2-7]+)/.exec(row.text)?.[1]
  if (token === undefined) throw new Error(`no token in the ${kind} email to ${to}`)
  return { ...row, token }
}

let counter = 0

/**
 * Sign up, verify the address through the emailed link and log in: a verified user and a
 * session. (The reference app verifies email, so sign-up itself signs nobody in.)
 */
export async function signedInUser(t: AuthTestApp, name = 'user', password = 'correct horse battery'): Promise<{ id: string; email: string; password: string; token: string }> {
  const email = `${name}-${++counter}@example.com`
  const signup = await call(t, 'POST', '/auth/signup', { body: { email, password, displayName: name } })
  if (signup.status !== 202) throw new Error(`signup: ${signup.raw}`)
  const verify = await call(t, 'POST', '/auth/verify-email', { body: { token: lastEmail(t, 'verify-email', email)!.token } })
  if (verify.status !== 200) throw new Error(`verify: ${verify.raw}`)
  const login = await call(t, 'POST', '/auth/login', { body: { email, password } })
  if (login.status !== 200) throw new Error(`login: ${login.raw}`)
  return { id: verify.body.user.id, email, password, token: login.body.session.token }
}

/** Listen on an ephemeral port of 127.0.0.1; resolves with the base URL. */
export async function listen(t: AuthTestApp): Promise<string> {
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  return `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
}
