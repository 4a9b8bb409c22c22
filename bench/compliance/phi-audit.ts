// The cost of HIPAA's PHI read audit (docs/compliance.md, "Auditing PHI reads"): the same app,
// once with `patients.diagnosis` declared `.phi()` (every read that answers it writes a `phi.read`
// audit entry in the read's transaction) and once without, driven in-process with Fastify's
// inject() (no sockets: the difference is the audit's own work), alternating rounds. Prints
// requests per second of each case and the audited / plain ratio in one run.
// Runs the compiled engine (dist/, `npm run build`), as `koyalite start` does.
// Usage: node bench/compliance/phi-audit.ts [--requests 3000] [--rounds 3] [--rows 1000]
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { insertSchema, rowSchema, updateSchema } from '../../dist/engine/codegen/json-schema/column-schemas.js'
import { compileDefinition } from '../../dist/engine/compiler/index.js'
import { defineConfig, t, table } from '../../dist/engine/dsl/index.js'
import type { ProjectIR } from '../../engine/ir/project-ir.ts'
import { planMigration, printSteps } from '../../dist/engine/migrate/index.js'
import { createServer } from '../../dist/engine/runtime/index.js'
import { openDatabase } from '../../dist/engine/shared/sqlite.js'

const { values: args } = parseArgs({ options: { requests: { type: 'string', default: '3000' }, rounds: { type: 'string', default: '3' }, rows: { type: 'string', default: '1000' } } })
const requests = Number(args.requests)
const rounds = Number(args.rounds)
const rows = Number(args.rows)
const SERVICE_KEY = 'bench-service-key-0123456789abcdef'

function modelOf(phi: boolean): ProjectIR {
  const users = table.users({ displayName: t.text() })
  const diagnosis = phi ? t.text().phi() : t.text()
  const patients = table('patients', { userId: t.ref(() => users), diagnosis, note: t.text().optional() })
  return compileDefinition(defineConfig({ name: 'clinic', tables: { users, patients } }))
}

async function appOf(phi: boolean, dir: string) {
  const model = modelOf(phi)
  const db = openDatabase(path.join(dir, `${phi ? 'phi' : 'plain'}.db`))
  db.exec(printSteps(planMigration({ migrations: [], latestSnapshot: undefined }, model, { allowDataLoss: false, source: 'bench' })!.steps).join('\n'))
  const tables = model.tables.map((t) => ({ table: t.name, schemas: { row: rowSchema(t), insert: insertSchema(t), update: updateSchema(t) } }))
  const app = await createServer({ model, db, tables, auth: { serviceKey: SERVICE_KEY }, logger: false, env: {} })
  await app.ready()
  const headers = { authorization: `Bearer ${SERVICE_KEY}`, 'content-type': 'application/json' }
  const user = await app.inject({ method: 'POST', url: '/api/users', headers: { ...headers, prefer: 'return=representation' }, payload: JSON.stringify({ email: 'p@example.com', displayName: 'P' }) })
  const userId = (JSON.parse(user.body) as { id: string }[])[0]!.id
  const ids: string[] = []
  for (let start = 0; start < rows; start += 500) {
    const batch = Array.from({ length: Math.min(500, rows - start) }, (_, i) => ({ userId, diagnosis: `diagnosis ${start + i}` }))
    const answer = await app.inject({ method: 'POST', url: '/api/patients?select=id', headers: { ...headers, prefer: 'return=representation' }, payload: JSON.stringify(batch) })
    ids.push(...(JSON.parse(answer.body) as { id: string }[]).map((r) => r.id))
  }
  return { app, db, headers, ids, userId }
}

type Case = 'get' | 'list 20' | 'create (returning)'
const CASES: readonly Case[] = ['get', 'list 20', 'create (returning)']

const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-bench-phi-'))
try {
  const apps = { plain: await appOf(false, dir), audited: await appOf(true, dir) }
  let n = 0
  const one = (which: keyof typeof apps, benchCase: Case) => {
    const { app, headers, ids, userId } = apps[which]
    n++
    switch (benchCase) {
      case 'get':
        return app.inject({ method: 'GET', url: `/api/patients/${ids[n % ids.length]}`, headers })
      case 'list 20':
        return app.inject({ method: 'GET', url: `/api/patients?order=id.desc&limit=20&offset=${n % 50}`, headers })
      case 'create (returning)':
        return app.inject({ method: 'POST', url: '/api/patients', headers: { ...headers, prefer: 'return=representation' }, payload: JSON.stringify({ userId, diagnosis: `new ${n}` }) })
    }
  }
  const measure = async (which: keyof typeof apps, benchCase: Case) => {
    for (let i = 0; i < Math.min(200, requests); i++) await one(which, benchCase) // warm-up
    const started = performance.now()
    for (let i = 0; i < requests; i++) {
      const answer = await one(which, benchCase)
      if (answer.statusCode >= 300) throw new Error(`${which} ${benchCase}: ${answer.statusCode} ${answer.body.slice(0, 200)}`)
    }
    return requests / ((performance.now() - started) / 1000)
  }
  const lines: string[] = []
  for (const benchCase of CASES) {
    const best = { plain: 0, audited: 0 }
    for (let round = 0; round < rounds; round++) {
      for (const which of round % 2 === 0 ? (['plain', 'audited'] as const) : (['audited', 'plain'] as const)) {
        const rate = await measure(which, benchCase)
        console.error(`${benchCase} round ${round + 1} ${which}: ${rate.toFixed(0)} req/s`)
        best[which] = Math.max(best[which], rate)
      }
    }
    lines.push(`| ${benchCase} | ${best.plain.toFixed(0)} | ${best.audited.toFixed(0)} | ${(best.audited / best.plain).toFixed(2)}× |`)
  }
  const entries = apps.audited.db.prepare(`SELECT count(*) FROM "_koya_audit_log" WHERE "action" = 'phi.read'`).pluck().get() as number
  console.log(`\n${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.version}; in-process inject(), ${requests} requests per round, best of ${rounds} rounds, ${rows} patients, service key. ${entries} phi.read entries written.\n`)
  console.log('| case | plain req/s | PHI audited req/s | audited / plain |')
  console.log('| --- | ---: | ---: | ---: |')
  console.log(lines.join('\n'))
  for (const { app, db } of Object.values(apps)) {
    await app.close()
    db.close()
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
