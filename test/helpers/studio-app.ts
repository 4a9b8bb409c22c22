import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { applyMigrations, readMigrations } from '../../engine/migrate/index.ts'
import { createServer } from '../../engine/runtime/index.ts'
import type { LoggerSetting } from '../../engine/runtime/http/request-log.ts'
import { loadGeneratedDocs, loadModel } from '../../engine/runtime/model.ts'
import { openDatabase, type SqliteDatabase } from '../../engine/shared/sqlite.ts'
import { SERVICE_KEY, tableApis } from './app.ts'
import { repoRoot } from './paths.ts'

export const SETUP_TOKEN = 'studio-setup-token-for-tests'

export interface StudioTestApp {
  readonly app: FastifyInstance
  readonly db: SqliteDatabase
  readonly file: string
  close(): Promise<void>
}

/** The reference app on a fresh SQLite file, with Studio's setup token known to the test. */
export async function studioApp(options: { readonly dev?: boolean; readonly logger?: LoggerSetting } = {}): Promise<StudioTestApp> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-studio-'))
  const file = path.join(dir, 'app.db')
  const db = openDatabase(file)
  applyMigrations(db, readMigrations(repoRoot).migrations)
  const model = loadModel(repoRoot)
  const app = await createServer({
    model,
    db,
    tables: tableApis(model),
    docs: loadGeneratedDocs(repoRoot),
    auth: { serviceKey: SERVICE_KEY },
    studio: { setupToken: SETUP_TOKEN },
    logger: options.logger ?? false,
    env: {},
    ...(options.dev ? { dev: true } : {}),
  })
  return {
    app,
    db,
    file,
    async close() {
      await app.close()
      db.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A copy of the reference app's code inside the repository (so `koyalite` resolves to this checkout), under test/.tmp. */
export function referenceAppCopy(name: string): string {
  const root = path.join(repoRoot, 'test', '.tmp', `${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`)
  mkdirSync(root, { recursive: true })
  for (const entry of ['koyalite.ts', 'schema', 'policies', 'functions', 'generated']) cpSync(path.join(repoRoot, entry), path.join(root, entry), { recursive: true })
  return root
}
