// KoyaLite as `koyalite start` serves the reference app: the runtime's createServer with the
// generated model and route modules, on the benchmark's database (already migrated), no logs.
// Usage: BENCH_SERVICE_KEY=… node bench/rest/koyalite-server.ts <db file>; prints "listening <port>".
import path from 'node:path'
import { fileURLToPath } from 'node:url'
// The compiled engine (dist/, built by `npm install`), as `koyalite start` runs it.
import { createServer, loadModel, loadTableApis } from '../../dist/engine/runtime/index.js'
import { openDatabase } from '../../dist/engine/shared/sqlite.js'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const file = process.argv[2]
const serviceKey = process.env.BENCH_SERVICE_KEY
if (!file || !serviceKey) throw new Error('usage: BENCH_SERVICE_KEY=… node bench/rest/koyalite-server.ts <db file>')

const db = openDatabase(file)
const model = loadModel(repo)
const app = await createServer({ model, db, tables: await loadTableApis(repo, model), auth: { serviceKey }, logger: false })
const address = await app.listen({ port: 0, host: '127.0.0.1' })
console.log(`listening ${new URL(address).port}`)

const stop = async () => {
  await app.close()
  db.close()
  process.exit(0)
}
process.once('SIGTERM', stop)
process.once('SIGINT', stop)
