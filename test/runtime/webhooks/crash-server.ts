// A server process for the kill -9 test: the reference app with the test webhook, on the database
// file in KOYA_TEST_DB, listening on an ephemeral port it prints. Run with `node --import tsx`.
import { createServer } from '../../../engine/runtime/index.ts'
import { loadModel } from '../../../engine/runtime/model.ts'
import { openDatabase } from '../../../engine/shared/sqlite.ts'
import { SERVICE_KEY, tableApis } from '../../helpers/app.ts'
import { repoRoot } from '../../helpers/paths.ts'
import { withWebhook } from './webhook-fixtures.ts'

const model = withWebhook(loadModel(repoRoot))
const db = openDatabase(process.env.KOYA_TEST_DB!)
const app = await createServer({ model, db, tables: tableApis(model), auth: { serviceKey: SERVICE_KEY }, logger: { level: 'warn' }, env: process.env as Record<string, string> })
const address = await app.listen({ port: 0, host: '127.0.0.1' })
process.stdout.write(`serving ${address}\n`)
