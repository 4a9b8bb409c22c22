import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { compileDefinition } from '../../../engine/compiler/index.ts'
import { defineConfig, policies, t, table } from '../../../engine/dsl/index.ts'
import type { ProjectIR } from '../../../engine/ir/project-ir.ts'
import { planMigration, printSteps } from '../../../engine/migrate/index.ts'
import { createServer } from '../../../engine/runtime/index.ts'
import { openDatabase, type SqliteDatabase } from '../../../engine/shared/sqlite.ts'
import { SERVICE_KEY, tableApis } from '../../helpers/app.ts'

/**
 * A small clinic app for the compliance tests: patients own visits (PHI) through a two-step
 * owner path, notes are anonymised on erasure, clinics belong to nobody, and a newsletter is
 * readable only by users who consented to marketing.
 */
export const users = table.users({ displayName: t.text().personal() })
export const clinics = table('clinics', { name: t.text() })
export const patients = table('patients', { userId: t.ref(() => users), clinicId: t.ref(() => clinics), diagnosis: t.text().phi() })
export const visits = table('visits', { patientId: t.ref(() => patients, { onDelete: 'cascade' }), summary: t.text().phi() }, { onErase: 'delete' })
export const notes = table('notes', { authorId: t.ref(() => users), body: t.text().personal(), topic: t.text() }, { onErase: 'anonymize' })
export const newsletters = table('newsletters', { title: t.text() })

export const clinicModel: ProjectIR = compileDefinition(
  defineConfig({
    name: 'clinic',
    tables: { users, clinics, patients, visits, notes, newsletters },
    consents: { marketing: { version: 2, description: 'Product news by email.' } },
    policies: policies({ users, clinics, patients, visits, notes, newsletters }, {
      newsletters: { read: (_row, auth) => auth.consents.includes('marketing') },
      notes: { read: (note, auth) => note.authorId === auth.userId },
    }),
  }),
)

export interface ClinicApp {
  readonly app: FastifyInstance
  readonly db: SqliteDatabase
  readonly file: string
  readonly url: string
  close(): Promise<void>
}

/** The clinic app on a fresh SQLite file, listening on 127.0.0.1 (a free port). */
export async function clinicApp(options: { exportIntervalMs?: number; model?: ProjectIR; encryptionKey?: string; publicUrl?: string; logLines?: string[]; env?: Record<string, string> } = {}): Promise<ClinicApp> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-clinic-'))
  const file = path.join(dir, 'app.db')
  const db = openDatabase(file, options.encryptionKey === undefined ? {} : { encryption: { key: options.encryptionKey } })
  db.exec(printSteps(planMigration({ migrations: [], latestSnapshot: undefined }, clinicModel, { allowDataLoss: false, source: 'test' })!.steps).join('\n'))
  const app = await createServer({
    model: options.model ?? clinicModel,
    db,
    tables: tableApis(clinicModel),
    logger: options.logLines === undefined ? false : { level: 'info', stream: { write: (line: string) => void options.logLines!.push(line) } },
    env: { KOYA_PUBLIC_URL: options.publicUrl ?? 'http://127.0.0.1', ...options.env },
    auth: { serviceKey: SERVICE_KEY },
    compliance: { exportIntervalMs: options.exportIntervalMs ?? 0 },
  }).catch((error: unknown) => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
    throw error
  })
  const address = await app.listen({ host: '127.0.0.1', port: 0 })
  return {
    app,
    db,
    file,
    url: address,
    async close() {
      await app.close()
      db.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A JSON call with a bearer token (or the service key). */
export async function call(url: string, method: string, pathname: string, options: { token?: string; service?: boolean; body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.token) headers.authorization = `Bearer ${options.token}`
  if (options.service) headers.authorization = `Bearer ${SERVICE_KEY}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(`${url}${pathname}`, { method, headers, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) })
  const text = await response.text()
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) }
}

/** Sign up and log in; returns the user id and session token. */
export async function signIn(url: string, email: string, password = 'correct horse battery staple'): Promise<{ id: string; token: string }> {
  const signup = await call(url, 'POST', '/auth/signup', { body: { email, password, displayName: `Name of ${email}` } })
  if (signup.status >= 300) throw new Error(`signup ${signup.status} ${JSON.stringify(signup.body)}`)
  const login = await call(url, 'POST', '/auth/login', { body: { email, password } })
  if (login.status !== 200) throw new Error(`login ${login.status} ${JSON.stringify(login.body)}`)
  return { id: login.body.user.id, token: login.body.session.token }
}
