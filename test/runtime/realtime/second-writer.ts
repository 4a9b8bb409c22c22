// A second server process on the same database file: boots the runtime from the reference app's
// model and creates a task through REST as the service key, then exits. Run by
// resume-and-processes.test.ts with `node second-writer.ts <db file> <projectId> <createdBy> <title>`.
import { createServer } from '../../../engine/runtime/index.ts'
import { loadModel } from '../../../engine/runtime/model.ts'
import { openDatabase } from '../../../engine/shared/sqlite.ts'
import { SERVICE_KEY, tableApis } from '../../helpers/app.ts'
import { repoRoot } from '../../helpers/paths.ts'

const [file, projectId, createdBy, title] = process.argv.slice(2)
const db = openDatabase(file!)
const model = loadModel(repoRoot)
const app = await createServer({ model, db, tables: tableApis(model), logger: false, auth: { serviceKey: SERVICE_KEY }, env: { KOYA_PUBLIC_URL: 'https://tasks.example.com' } })
const reply = await app.inject({ method: 'POST', url: '/api/tasks', headers: { authorization: `Bearer ${SERVICE_KEY}`, prefer: 'return=representation' }, payload: { projectId, createdBy, title } })
process.stdout.write(reply.body)
await app.close()
db.close()
