// Issue 10 item 9: does the time of a filtered list tell how many hidden rows match the filter?
// The reference app's tasks (100k in 100 projects of 10 workspaces; the caller is a member of 2),
// read in process through the data layer as `list tasks where projectId = X order by id limit 20`
// for X = a hidden project (~1,000 hidden matches) and X = no project (no match), with the
// default policy placement (filters that cannot fail beside the policy, served by the projectId
// index) and with the table `strict` (every filter behind the policy). Median of many runs each.
// Usage: node bench/policies/timing.ts [--runs 200]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { ProjectIR } from '../../engine/ir/project-ir.ts'
import { createDataLayer, type Actor } from '../../engine/runtime/data/data-layer.ts'
import { loadModel } from '../../engine/runtime/model.ts'
import { openDatabase } from '../../engine/shared/sqlite.ts'
import { uuidv7 } from '../../engine/shared/uuid.ts'
import { seedDatabase } from '../rest/seed.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const repo = path.resolve(here, '../..')
const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '200' } } })
const runs = Number(args.runs)
const work = mkdtempSync(path.join(os.tmpdir(), 'koya-bench-timing-'))

try {
  const seed = seedDatabase(work, repo)
  const db = openDatabase(seed.db)
  const users = readFileSync(seed.userIds, 'utf8').trim().split('\n')
  const workspaces = (db.prepare('SELECT "id" FROM "workspaces" ORDER BY "id"').all() as { id: string }[]).map((r) => r.id)
  const me = users[0]!
  const insert = db.prepare('INSERT INTO "members" ("id", "workspaceId", "userId", "role") VALUES (?, ?, ?, ?)')
  for (const w of workspaces.slice(0, 2)) insert.run(uuidv7(), w, me, 'editor')
  const hidden = db.prepare('SELECT "p"."id" AS "id", count(*) AS "n" FROM "projects" AS "p" JOIN "tasks" AS "t" ON "t"."projectId" = "p"."id" WHERE "p"."workspaceId" NOT IN (?, ?) GROUP BY "p"."id" ORDER BY "n" DESC LIMIT 1').get(workspaces[0], workspaces[1]) as { id: string; n: number }
  const model = loadModel(repo)
  const strictModel: ProjectIR = { ...model, policies: model.policies.map((p) => (p.table === 'tasks' ? { ...p, strict: true } : p)) }
  const actor: Actor = { kind: 'user', userId: me, roles: [] }

  const median = (model: ProjectIR, projectId: string): number => {
    const data = createDataLayer(model, db)
    const query = { table: 'tasks', where: { kind: 'compare', column: 'projectId', operator: 'eq', value: projectId }, orderBy: [{ column: 'id' }], limit: 20 } as const
    for (let i = 0; i < 20; i++) data.list(actor, query) // warm the statement cache and the page cache
    const times: number[] = []
    for (let i = 0; i < runs; i++) {
      const start = process.hrtime.bigint()
      const { rows } = data.list(actor, query)
      times.push(Number(process.hrtime.bigint() - start) / 1e6)
      if (rows.length !== 0) throw new Error('the caller must see no row of either project')
    }
    times.sort((a, b) => a - b)
    return times[Math.floor(times.length / 2)]!
  }

  const none = uuidv7()
  const rows = [
    ['default (filters beside the policy)', median(model, hidden.id), median(model, none)],
    ['strict (every filter behind the policy)', median(strictModel, hidden.id), median(strictModel, none)],
  ] as const
  console.log(`\n${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}. 100k tasks; the hidden project has ${hidden.n} tasks; median of ${runs} runs.\n`)
  console.log(`| placement | ${hidden.n} hidden matches, ms | no match, ms | ratio |`)
  console.log('| --- | ---: | ---: | ---: |')
  for (const [name, hiddenMs, noneMs] of rows) console.log(`| ${name} | ${hiddenMs.toFixed(3)} | ${noneMs.toFixed(3)} | ${(hiddenMs / noneMs).toFixed(1)}× |`)
  db.close()
} finally {
  rmSync(work, { recursive: true, force: true })
}
