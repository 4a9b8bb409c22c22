import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createQueue, QUEUE_MIGRATIONS, type Queue } from '../../../engine/runtime/queue/index.ts'
import { applySystemSchema } from '../../../engine/runtime/system/system-schema.ts'
import { openDatabase, type SqliteDatabase } from '../../../engine/shared/sqlite.ts'

// Rate limits are windows of the queue's clock: the tests move a clock of their own, so nothing
// depends on how fast this machine runs them. Windows are aligned to the epoch.
const WINDOW = 60_000
let open: { db: SqliteDatabase; queue: Queue }[] = []
let dir: string | undefined
afterEach(async () => {
  for (const { db, queue } of open) {
    await queue.close(100)
    db.close()
  }
  open = []
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

function clockAt(start: number) {
  let at = start
  return { clock: () => new Date(at), advance: (ms: number) => void (at += ms) }
}

function queueOn(db: SqliteDatabase, clock: () => Date): Queue {
  const queue = createQueue(db, { pollMs: 10, clock, concurrency: 10 })
  open.push({ db, queue })
  return queue
}

async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 10))
  }
}
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('rate limits of a job kind', () => {
  it('starts at most max runs of a kind per window; the rest wait for the next window, in order', async () => {
    const db = openDatabase(':memory:')
    applySystemSchema(db, QUEUE_MIGRATIONS)
    const time = clockAt(100 * WINDOW)
    const queue = queueOn(db, time.clock)
    const ran: number[] = []
    queue.define({ name: 'mail', rateLimit: { kind: { max: 2, perMs: WINDOW } }, run: (n) => void ran.push(n as number) })
    queue.define({ name: 'free', run: () => undefined })
    for (let i = 0; i < 5; i++) queue.enqueue('mail', i)
    const free = [...Array(5)].map(() => queue.enqueue('free'))
    queue.start()
    await eventually(() => ran.length === 2 && free.every((id) => queue.get(id)?.status === 'done'))
    await pause(100)
    expect(ran).toEqual([0, 1])
    time.advance(WINDOW)
    await eventually(() => ran.length === 4)
    await pause(100)
    expect(ran).toEqual([0, 1, 2, 3])
    time.advance(WINDOW)
    await eventually(() => ran.length === 5)
  })

  it('limits each group key on its own: a busy tenant waits, another still runs', async () => {
    const db = openDatabase(':memory:')
    applySystemSchema(db, QUEUE_MIGRATIONS)
    const time = clockAt(200 * WINDOW)
    const queue = queueOn(db, time.clock)
    const ran: string[] = []
    queue.define({ name: 'sync', rateLimit: { perKey: { max: 1, perMs: WINDOW } }, run: (tenant) => void ran.push(tenant as string) })
    for (const tenant of ['acme', 'acme', 'acme', 'globex', 'globex']) queue.enqueue('sync', tenant, { group: { key: tenant, limit: 5 } })
    const ungrouped = queue.enqueue('sync', 'none')
    queue.start()
    await eventually(() => ran.length === 3)
    await pause(100)
    expect(ran.sort()).toEqual(['acme', 'globex', 'none'])
    expect(queue.get(ungrouped)?.status).toBe('done')
    time.advance(WINDOW)
    await eventually(() => ran.length === 5)
    await pause(100)
    expect(ran.filter((t) => t === 'acme')).toHaveLength(2)
    time.advance(WINDOW)
    await eventually(() => ran.length === 6)
  })

  it('shares one budget between processes on the same database file', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'koya-rates-'))
    const file = path.join(dir, 'q.db')
    const first = openDatabase(file)
    applySystemSchema(first, QUEUE_MIGRATIONS)
    const second = openDatabase(file)
    const time = clockAt(300 * WINDOW)
    let ran = 0
    const queues = [queueOn(first, time.clock), queueOn(second, time.clock)]
    for (const queue of queues) queue.define({ name: 'api', rateLimit: { kind: { max: 3, perMs: WINDOW } }, run: () => void ran++ })
    for (let i = 0; i < 8; i++) queues[0]!.enqueue('api', i)
    for (const queue of queues) queue.start()
    await eventually(() => ran === 3)
    await pause(200)
    expect(ran).toBe(3)
    time.advance(WINDOW)
    await eventually(() => ran === 6)
    await pause(200)
    expect(ran).toBe(6)
  })
})
