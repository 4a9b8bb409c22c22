// KoyaLite as `koyalite start` serves the reference app: the runtime's createServer with the
// generated model and route modules, on the benchmark's database (already migrated), no logs.
// Usage: BENCH_SERVICE_KEY=… node bench/rest/koyalite-server.ts <db file>; prints "listening <port>".
// With BENCH_DB_KEY set the database is opened with SQLCipher under that key (run.ts --encrypted).
import path from 'node:path'
import { fileURLToPath } from 'node:url'
// The compiled engine (dist/, built by `npm install`), as `koyalite start` runs it.
import { createServer, loadModel, loadTableApis } from '../../dist/engine/runtime/index.js'
import { openDatabase } from '../../dist/engine/shared/sqlite.js'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const file = process.argv[2]
const serviceKey = process.env.BENCH_SERVICE_KEY
if (!file || !serviceKey) throw new Error('usage: BENCH_SERVICE_KEY=… node bench/rest/koyalite-server.ts <db file>')

const dbKey = process.env.BENCH_DB_KEY
const db = openDatabase(file, dbKey === undefined ? {} : { encryption: { key: dbKey } })
const plainModel = loadModel(repo)
// As an app with `database: { encryption: { key: env('BENCH_DB_KEY') } }` runs.
const model = dbKey === undefined ? plainModel : { ...plainModel, database: { ...plainModel.database, encryption: { key: { env: 'BENCH_DB_KEY' } } } }
const app = await createServer({ model, db, tables: await loadTableApis(repo, model), auth: { serviceKey }, logger: false, ...(dbKey === undefined ? {} : { env: process.env }) })
const address = await app.listen({ port: 0, host: '127.0.0.1' })
console.log(`listening ${new URL(address).port}`)

const stop = async () => {
  await app.close()
  db.close()
  process.exit(0)
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
