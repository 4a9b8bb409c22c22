// The reference app with one function, hello (./hello.ts), served by KoyaLite on a fresh SQLite
// file. Prints `listening <port>`. Usage: node bench/functions/koyalite-server.ts <service key>
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { rowSchema, insertSchema, updateSchema } from '../../engine/codegen/json-schema/column-schemas.ts'
import { functionBundlePath, type ProjectIR } from '../../engine/ir/project-ir.ts'
import { applyMigrations, readMigrations } from '../../engine/migrate/index.ts'
import { createServer } from '../../engine/runtime/index.ts'
import { loadModel } from '../../engine/runtime/model.ts'
import { openDatabase } from '../../engine/shared/sqlite.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const repo = path.resolve(here, '../..')
const root = mkdtempSync(path.join(os.tmpdir(), 'koya-bench-fn-'))
const bundle = await build({ entryPoints: [path.join(here, 'hello.ts')], bundle: true, format: 'esm', platform: 'neutral', write: false })
mkdirSync(path.join(root, 'generated', 'functions'), { recursive: true })
writeFileSync(path.join(root, functionBundlePath('hello')), bundle.outputFiles[0]!.text)
const db = openDatabase(path.join(root, 'bench.db'))
applyMigrations(db, readMigrations(repo).migrations)
const base = loadModel(repo)
const model: ProjectIR = { ...base, functions: [{ name: 'hello', file: 'functions/hello.ts', bundle: functionBundlePath('hello'), input: null, output: null, auth: 'public', allowNet: [], env: [], timeoutMs: null, memoryBytes: null }] }
const app = await createServer({
  model,
  db,
  tables: model.tables.map((table) => ({ table: table.name, schemas: { row: rowSchema(table), insert: insertSchema(table), update: updateSchema(table) } })),
  logger: false,
  auth: { serviceKey: process.argv[2] ?? 'bench-service-key-0123456789abcdef' },
  functions: { root, workDir: path.join(root, 'work') },
})
await app.listen({ host: '127.0.0.1', port: 0 })
const address = app.server.address()
process.stdout.write(`listening ${typeof address === 'object' && address !== null ? address.port : 0}\n`)
const stop = async () => {
  await app.close()
  db.close()
  rmSync(root, { recursive: true, force: true })
  process.exit(0)
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void stop())
