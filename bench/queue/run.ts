// bench/queue: jobs per second through KoyaLite's queue (enqueue → claim → run a no-op →
// complete, each its own commit) against a bare better-sqlite3 loop doing the same three commits,
// in the same run, on one file database (WAL, synchronous=NORMAL, as the server opens it).
//
//   node bench/queue/run.ts [--jobs 20000]
//
// Then BullMQ on a private redis-server (Debian's), the same two workloads (bullmq.ts), when
// redis-server is installed.
//
// The last mode claims up to 16 rows per transaction (QueueOptions.claimBatch): not the
// three-commits-per-job shape, a measure of what batching buys when there is a backlog.
//
// Numbers taken on a shared machine are indicative only: run it on a quiet one.
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { createQueue, QUEUE_MIGRATIONS } from '../../engine/runtime/queue/index.ts'
import { applySystemSchema } from '../../engine/runtime/system/system-schema.ts'
import { openDatabase } from '../../engine/shared/sqlite.ts'
import { bullmqRuns } from './bullmq.ts'

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '20000' } } })
const jobs = Number(values.jobs)
const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-bench-queue-'))

/** The floor: three autocommitted statements per job, on the same table shape, no queue logic. */
function bare(): number {
  const db = openDatabase(path.join(dir, 'bare.db'))
  db.exec('CREATE TABLE jobs (id INTEGER PRIMARY KEY, payload TEXT NOT NULL, status TEXT NOT NULL, runAt INTEGER NOT NULL); CREATE INDEX jobs_ready ON jobs (runAt, id) WHERE status = \'pending\'')
  const insert = db.prepare('INSERT INTO jobs (payload, status, runAt) VALUES (?, \'pending\', ?)')
  const claim = db.prepare('UPDATE jobs SET status = \'running\' WHERE id = (SELECT id FROM jobs WHERE status = \'pending\' AND runAt <= ? ORDER BY runAt, id LIMIT 1) RETURNING id, payload')
  const complete = db.prepare('UPDATE jobs SET status = \'done\' WHERE id = ?')
  const start = performance.now()
  for (let i = 0; i < jobs; i++) {
    insert.run('{"n":1}', Date.now())
    const [row] = claim.all(Date.now()) as { id: number; payload: string }[]
    JSON.parse(row!.payload)
    complete.run(row!.id)
  }
  const seconds = (performance.now() - start) / 1000
  db.close()
  return jobs / seconds
}

/** The queue: enqueue one, let the worker claim, run and complete it, enqueue the next when it completes. */
async function queue(): Promise<number> {
  const db = openDatabase(path.join(dir, 'queue.db'))
  applySystemSchema(db, QUEUE_MIGRATIONS)
  const q = createQueue(db, { pollMs: 1000, concurrency: 1 })
  let done = 0
  let finish!: () => void
  const finished = new Promise<void>((resolve) => (finish = resolve))
  q.define({ name: 'noop', retry: { attempts: 1, initialDelayMs: 0, maxDelayMs: 0 }, run: () => {
    done++
    // Enqueue the next while this one completes: one job in flight, as in the bare loop.
    if (done < jobs) q.enqueue('noop', { n: 1 })
    else setImmediate(finish)
  } })
  q.start()
  const start = performance.now()
  q.enqueue('noop', { n: 1 })
  await finished
  const seconds = (performance.now() - start) / 1000
  await q.close()
  const [row] = db.prepare('SELECT count(*) AS n FROM "_koya_jobs" WHERE "status" = \'done\'').all() as { n: number }[]
  db.close()
  if (row!.n < jobs - 1) throw new Error(`only ${row!.n} of ${jobs} jobs completed`)
  return jobs / seconds
}

/** Throughput with many jobs in flight: enqueue all, then let the worker drain them (claims one per commit, or `claimBatch` per commit). */
async function queueBacklog(claimBatch = 1): Promise<number> {
  const db = openDatabase(path.join(dir, `backlog-${claimBatch}.db`))
  applySystemSchema(db, QUEUE_MIGRATIONS)
  const q = createQueue(db, { pollMs: 1000, concurrency: 16, claimBatch })
  let done = 0
  let finish!: () => void
  const finished = new Promise<void>((resolve) => (finish = resolve))
  q.define({ name: 'noop', run: () => void (++done === jobs && setImmediate(finish)) })
  const start = performance.now()
  for (let i = 0; i < jobs; i++) q.enqueue('noop', { n: 1 })
  q.start()
  await finished
  const seconds = (performance.now() - start) / 1000
  await q.close()
  db.close()
  return jobs / seconds
}

try {
  const results = { bareLoop: bare(), queueOneInFlight: await queue(), queueBacklog: await queueBacklog(), queueBacklogBatch16: await queueBacklog(16) }
  console.log(`jobs: ${jobs}`)
  for (const [name, perSecond] of Object.entries(results)) console.log(`${name.padEnd(18)} ${Math.round(perSecond).toLocaleString('en-US').padStart(8)} jobs/s`)
  console.log(`queue / bare loop:  ${(results.queueOneInFlight / results.bareLoop).toFixed(2)}x (one in flight), ${(results.queueBacklog / results.bareLoop).toFixed(2)}x (backlog), ${(results.queueBacklogBatch16 / results.bareLoop).toFixed(2)}x (backlog, claims batched by 16)`)
  console.log(`target: >= 10,000 jobs/s through the queue, one in flight: ${results.queueOneInFlight >= 10_000 ? 'met' : 'MISSED'}`)
  // The well-known queue on the same machine, same run: BullMQ on a private redis-server.
  const bull = await bullmqRuns(jobs)
  if (bull === undefined) console.log('BullMQ: not measured (no redis-server; apt-get install redis-server)')
  else {
    console.log(`BullMQ ${bull.version} (redis-server, AOF every second): ${Math.round(bull.oneInFlight).toLocaleString('en-US')} jobs/s one in flight, ${Math.round(bull.backlog).toLocaleString('en-US')} jobs/s backlog (16 in flight)`)
    console.log(`KoyaLite / BullMQ: ${(results.queueOneInFlight / bull.oneInFlight).toFixed(2)}x (one in flight), ${(results.queueBacklog / bull.backlog).toFixed(2)}x (backlog)`)
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
