import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { insertSchema, rowSchema, updateSchema } from '../../engine/codegen/json-schema/column-schemas.ts'
import type { ProjectIR } from '../../engine/ir/project-ir.ts'
import { applyMigrations, readMigrations } from '../../engine/migrate/index.ts'
import { createServer } from '../../engine/runtime/index.ts'
import { loadGeneratedDocs, loadModel } from '../../engine/runtime/model.ts'
import type { TableApi } from '../../engine/runtime/rest/routes.ts'
import { openDatabase, type SqliteDatabase } from '../../engine/shared/sqlite.ts'
import { repoRoot } from './paths.ts'

export const SERVICE_KEY = 'test-service-key-0123456789'

export interface TestApp {
  readonly app: FastifyInstance
  readonly db: SqliteDatabase
  readonly model: ProjectIR
  close(): Promise<void>
}

export function tableApis(model: ProjectIR): TableApi[] {
  return model.tables.map((table) => ({ table: table.name, schemas: { row: rowSchema(table), insert: insertSchema(table), update: updateSchema(table) } }))
}

/** The reference app on a fresh, migrated SQLite file, served through app.inject(). */
export async function referenceApp(root = repoRoot, options: { readonly dev?: boolean } = {}): Promise<TestApp> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-app-'))
  const db = openDatabase(path.join(dir, 'app.db'))
  applyMigrations(db, readMigrations(root).migrations)
  const model = loadModel(root)
  const app = await createServer({ model, db, tables: tableApis(model), docs: loadGeneratedDocs(root), auth: { serviceKey: SERVICE_KEY }, logger: false, ...(options.dev ? { dev: true } : {}) })
  return {
    app,
    db,
    model,
    async close() {
      await app.close()
      db.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
