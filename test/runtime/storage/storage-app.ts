import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { compileDefinition } from '../../../engine/compiler/index.ts'
import { bucket, defineConfig } from '../../../engine/dsl/index.ts'
import type { BucketIR, ProjectIR } from '../../../engine/ir/project-ir.ts'
import { applyMigrations, readMigrations } from '../../../engine/migrate/index.ts'
import { createServer } from '../../../engine/runtime/index.ts'
import { loadModel } from '../../../engine/runtime/model.ts'
import type { StorageDriver } from '../../../engine/runtime/storage/driver.ts'
import { openDatabase, type SqliteDatabase } from '../../../engine/shared/sqlite.ts'
import { SERVICE_KEY, tableApis } from '../../helpers/app.ts'
import { repoRoot } from '../../helpers/paths.ts'

export { SERVICE_KEY }

/** The buckets the storage tests use, compiled by the real compiler (rules read from their source). */
export function testBuckets(): readonly BucketIR[] {
  const ir = compileDefinition(
    defineConfig({
      name: 'storage-test',
      tables: {},
      roles: ['support'],
      storage: {
        docs: bucket({
          maxSize: '1MB',
          types: ['image/*', 'application/pdf'],
          access: {
            read: (o, auth) => o.ownerId === auth.userId || auth.roles.includes('admin'),
            create: (o, auth) => auth.userId !== null && o.ownerId === auth.userId,
            delete: (o, auth) => o.ownerId === auth.userId,
          },
          quota: { perUser: '3MB' },
        }),
        open: bucket({
          maxSize: '300MB',
          access: { read: () => true, create: (o, auth) => auth.userId !== null, delete: (o, auth) => o.ownerId === auth.userId },
        }),
        vault: bucket({ maxSize: '1MB' }),
        tiny: bucket({ maxSize: '64KB', access: { read: (o, auth) => o.ownerId === auth.userId, create: (o, auth) => auth.userId !== null }, quota: { perUser: '100KB' } }),
      },
    }),
  )
  return ir.buckets ?? []
}

export interface StorageTestApp {
  readonly url: string
  readonly app: FastifyInstance
  readonly db: SqliteDatabase
  readonly model: ProjectIR
  /** Where the local driver keeps the bytes. */
  readonly root: string
  user(email: string, roles?: readonly string[]): Promise<{ id: string; token: string }>
  close(): Promise<void>
}

/** The reference app plus the test buckets on a fresh SQLite file, listening on 127.0.0.1. */
export async function storageApp(options: { now?: () => Date; secret?: string; dir?: string; extend?: (model: ProjectIR) => ProjectIR; prepare?: (db: SqliteDatabase) => void; driver?: StorageDriver } = {}): Promise<StorageTestApp> {
  const dir = options.dir ?? mkdtempSync(path.join(os.tmpdir(), 'koya-storage-test-'))
  const db = openDatabase(path.join(dir, 'app.db'))
  applyMigrations(db, readMigrations(repoRoot).migrations)
  options.prepare?.(db)
  const model: ProjectIR = (options.extend ?? ((m) => m))({ ...loadModel(repoRoot), buckets: testBuckets() })
  const root = path.join(dir, 'storage')
  const app = await createServer({
    model,
    db,
    tables: tableApis(model),
    logger: false,
    ...(options.now ? { clock: options.now } : {}),
    auth: { serviceKey: SERVICE_KEY },
    storage: { root, secret: options.secret ?? 'test-storage-secret', ...(options.driver ? { driver: options.driver } : {}) },
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const service = { authorization: `Bearer ${SERVICE_KEY}`, 'content-type': 'application/json' }
  return {
    url,
    app,
    db,
    model,
    root,
    async user(email, roles = []) {
      const password = 'correct-horse-battery-staple-1'
      const signup = await fetch(`${url}/auth/signup`, { method: 'POST', headers: service, body: JSON.stringify({ email, password, displayName: email.split('@')[0] }) })
      if (signup.status >= 300 && signup.status !== 409) throw new Error(`signup of ${email}: ${signup.status} ${await signup.text()}`)
      const login = await fetch(`${url}/auth/login`, { method: 'POST', headers: service, body: JSON.stringify({ email, password }) })
      const answer = (await login.json()) as { user: { id: string }; session: { token: string } }
      for (const role of roles) {
        const granted = await fetch(`${url}/admin/users/${answer.user.id}/roles`, { method: 'POST', headers: service, body: JSON.stringify({ role }) })
        if (granted.status >= 300) throw new Error(`grant ${role}: ${granted.status}`)
      }
      return { id: answer.user.id, token: answer.session.token }
    },
    async close() {
      // Responses a failed assertion left unread would keep their connections busy.
      app.server.closeAllConnections()
      await app.close()
      db.close()
      if (options.dir === undefined) rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Headers of a bearer token (or none). */
export const bearer = (token: string | undefined): Record<string, string> => (token === undefined ? {} : { authorization: `Bearer ${token}` })

/** A minimal valid PNG (1×1). */
export const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201e2b4c6a40000000049454e44ae426082', 'hex')
/** A minimal PDF header followed by text. */
export const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n')
