// Where a request's CPU goes inside the server, without sockets: the production app booted in
// this process as `koyalite start` boots it (bootApp, default logging to a file), driven with
// Fastify's inject() for one case, CPU per request from process.cpuUsage(). No network, no wrk,
// no other process: stable enough on a busy machine to compare two builds or two settings, and
// with `node --cpu-prof bench/production/inject.ts` a profile of the request path alone.
// It does not replace run.ts (sockets and HTTP parsing are left out): it finds per-request work.
// Usage: node bench/production/inject.ts [--case get|list|create-owner|create-service] [--requests 20000] [--rounds 5]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import pino from 'pino'
import { bootApp } from '../../engine/cli/boot-app.ts'
import { openCliDatabase } from '../../engine/cli/database-path.ts'
import { appDir, prepareDatabase, SERVICE_KEY } from './setup.ts'

const { values: args } = parseArgs({
  options: {
    case: { type: 'string', default: 'get' },
    requests: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '5' },
  },
})

const work = mkdtempSync(path.join(os.tmpdir(), 'koya-bench-inject-'))
try {
  const db = path.join(work, 'bench.db')
  const { token, ownerId } = await prepareDatabase(db, work, 0)
  const publishedIds = readFileSync(path.join(work, 'published-ids.txt'), 'utf8').split('\n').filter(Boolean)
  const userIds = readFileSync(path.join(work, 'user-ids.txt'), 'utf8').split('\n').filter(Boolean)
  // The server's lines go to a file, as under `koyalite start > log`.
  const log = pino.destination({ dest: path.join(work, 'server.log'), sync: false, minLength: 4096 })
  const io = { out: () => {}, err: (text: string) => process.stderr.write(text + '\n'), color: false, cwd: appDir, env: { ...process.env, KOYA_SERVICE_KEY: SERVICE_KEY } }
  const app = await bootApp(io, openCliDatabase(db, undefined), undefined, { logger: { level: process.env.LOG_LEVEL ?? 'info', stream: log } })
  await app.ready()
  let counter = 0
  const request = () => {
    switch (args.case) {
      case 'get':
        return { method: 'GET' as const, url: `/api/posts/${publishedIds[counter++ % publishedIds.length]}`, headers: { authorization: `Bearer ${token}` } }
      case 'list':
        return { method: 'GET' as const, url: '/api/posts?published=eq.true&order=createdAt.desc&limit=20', headers: { authorization: `Bearer ${token}` } }
      case 'create-owner':
      case 'create-service': {
        const service = args.case === 'create-service'
        const body = { authorId: service ? userIds[counter % userIds.length] : ownerId, title: `Bench post ${counter++}`, body: 'Created by the benchmark.', published: counter % 2 === 0 }
        return { method: 'POST' as const, url: '/api/posts', headers: { authorization: `Bearer ${service ? SERVICE_KEY : token}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) }
      }
      default:
        throw new Error('--case must be get, list, create-owner or create-service')
    }
  }
  const first = await app.inject(request())
  if (first.statusCode >= 300) throw new Error(`${args.case}: ${first.statusCode} ${first.body}`)
  const costs: number[] = []
  for (let round = 0; round < Number(args.rounds); round++) {
    const n = Number(args.requests)
    const before = process.cpuUsage()
    for (let i = 0; i < n; i++) await app.inject(request())
    const used = process.cpuUsage(before)
    costs.push((used.user + used.system) / n)
  }
  costs.sort((a, b) => a - b)
  console.log(`${args.case}: ${costs[0]!.toFixed(1)} µs/request CPU (best of ${args.rounds}), median ${costs[Math.floor(costs.length / 2)]!.toFixed(1)}`)
  await app.close()
} finally {
  rmSync(work, { recursive: true, force: true })
}
