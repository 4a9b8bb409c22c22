import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateProject } from '../../../engine/cli/generate-project.ts'
import { openDatabase } from '../../../engine/shared/sqlite.ts'
import { runCli, scratchProject } from '../../helpers/cli.ts'
import { startFakeResend, type FakeResend } from '../../helpers/fake-resend.ts'
import { repoRoot } from '../../helpers/paths.ts'

/**
 * The queue end to end, on real `koyalite start` processes of the fixture app
 * (test/fixtures/queue): kill -9 with jobs pending, two processes scheduling one cron job on one
 * database, a job acting as a user, dead-letter and retry, email through a fake Resend server.
 */
const bin = path.join(repoRoot, 'bin', 'koyalite.js')
const SERVICE_KEY = 'queue-test-service-key-0123456789'
let root: string
let remove: () => void

beforeAll(async () => {
  ;({ root, remove } = scratchProject('queue', 'queue-processes'))
  await generateProject({ root })
}, 120_000)
afterAll(() => remove?.())

interface Process {
  readonly child: ChildProcess
  readonly origin: string
  output(): string
}

async function migrated(name: string): Promise<string> {
  const file = path.join(root, `${name}.db`)
  expect((await runCli(root, ['migrate', 'up', '--db', file])).code).toBe(0)
  return file
}

function start(dbFile: string, env: Record<string, string> = {}): Promise<Process> {
  const child = spawn(process.execPath, [bin, 'start', '--port', '0', '--db', dbFile, '--no-migrate'], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: '', KOYA_SERVICE_KEY: SERVICE_KEY, LOG_LEVEL: 'warn', NO_COLOR: '1', KOYA_JOBS_LEASE: '1s', KOYA_JOBS_POLL: '50ms', ...env },
  })
  let output = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no server after 30 s:\n${output}`)), 30_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = output.match(/serving (http:\/\/127\.0\.0\.1:\d+)/)
      if (match) {
        clearTimeout(timer)
        resolve({ child, origin: match[1]!, output: () => output })
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.on('exit', (code) => reject(new Error(`exited ${code}:\n${output}`)))
  })
}

function stop(server: Process, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null || server.child.signalCode !== null) return resolve()
    server.child.removeAllListeners('exit')
    server.child.once('exit', () => resolve())
    server.child.kill(signal)
  })
}

async function call(origin: string, method: string, url: string, body?: unknown, token = SERVICE_KEY): Promise<{ status: number; body: any }> {
  const response = await fetch(origin + url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : undefined }
}

async function until<T>(what: () => Promise<T | undefined | false> | T | undefined | false, ms = 20_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const value = await what()
    if (value !== undefined && value !== false) return value
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 50))
  }
}

const FINISHED = ['done', 'dead', 'cancelled']
const settled = (origin: string, id: number) => until(async () => {
  const run = (await call(origin, 'GET', `/admin/jobs/runs/${id}`)).body
  return FINISHED.includes(run.status) ? run : undefined
})

describe('the queue across processes', () => {
  it('loses nothing when the server is killed with -9 while jobs are pending and running', async () => {
    const dbFile = await migrated('crash')
    let server = await start(dbFile)
    // 60 runs of half a second, 16 at a time: about 2 s of work, enqueued at once.
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => call(server.origin, 'POST', '/admin/jobs/record/run', { payload: { key: `k${i}`, sleep: 500 } })))
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 202))
    const ids = answers.map((a) => a.body.id as number)
    await until(async () => (await call(server.origin, 'GET', '/admin/jobs/runs?name=record&status=running')).body.length > 0)
    server.child.kill('SIGKILL')
    await new Promise((resolve) => server.child.once('exit', resolve))
    const db = openDatabase(dbFile)
    const atKill = db.prepare(`SELECT "status", count(*) AS n FROM "_koya_jobs" WHERE "kind" = 'job:record' GROUP BY "status"`).all() as { status: string; n: number }[]
    db.close()
    // The kill left work of both kinds behind: claimed (running, lease held) and never claimed.
    expect(atKill.find((r) => r.status === 'running')?.n ?? 0, JSON.stringify(atKill)).toBeGreaterThan(0)
    expect(atKill.find((r) => r.status === 'pending')?.n ?? 0, JSON.stringify(atKill)).toBeGreaterThan(0)

    server = await start(dbFile)
    try {
      for (const id of ids) expect((await settled(server.origin, id)).status).toBe('done')
    } finally {
      await stop(server)
    }
    const after = openDatabase(dbFile)
    const marks = after.prepare(`SELECT "key", "runId" FROM "marks" WHERE "job" = 'record'`).all() as { key: string; runId: number }[]
    const interrupted = after.prepare(`SELECT count(*) AS n FROM "_koya_jobs" WHERE "kind" = 'job:record' AND "attempts" = 2 AND "lastError" LIKE 'KL_JOB_LEASE_EXPIRED%'`).all() as { n: number }[]
    after.close()
    // Every job ran, each under its one run id; runs cut by the kill ran again under the same id.
    expect(new Set(marks.map((m) => m.key)).size).toBe(60)
    for (const key of new Set(marks.map((m) => m.key))) expect(new Set(marks.filter((m) => m.key === key).map((m) => m.runId)).size).toBe(1)
    expect(interrupted[0]!.n).toBeGreaterThan(0)
  }, 90_000)

  it('runs each cron slot once with two processes on one database, and a gap while down once', async () => {
    const dbFile = await migrated('cron')
    const [a, b] = await Promise.all([start(dbFile), start(dbFile)])
    await new Promise((r) => setTimeout(r, 4000))
    await Promise.all([stop(a), stop(b)])
    const stoppedAt = Date.now()
    await new Promise((r) => setTimeout(r, 3000))
    const c = await start(dbFile)
    const restartedAt = Date.now()
    await new Promise((r) => setTimeout(r, 1500))
    await stop(c)

    const db = openDatabase(dbFile)
    const runs = db.prepare(`SELECT "id", "slot", "runAt", "status" FROM "_koya_jobs" WHERE "kind" = 'job:tick' ORDER BY "runAt"`).all() as { id: number; slot: string; runAt: number; status: string }[]
    const marks = db.prepare(`SELECT "runId", count(*) AS n FROM "marks" WHERE "job" = 'tick' GROUP BY "runId"`).all() as { runId: number; n: number }[]
    db.close()
    expect(new Set(runs.map((r) => r.slot)).size).toBe(runs.length)
    // Each run's code ran once: one mark per run id, whichever process claimed it.
    expect(marks.every((m) => m.n === 1)).toBe(true)
    const before = runs.filter((r) => r.runAt <= stoppedAt)
    expect(before.length).toBeGreaterThanOrEqual(3)
    // While both processes ran, the seconds had their slot, once each. (A process whose event loop
    // stalls past a slot collapses it into the next, by design: on a loaded machine a few may be.)
    const span = (before.at(-1)!.runAt - before[0]!.runAt) / 1000 + 1
    expect(before.length).toBeLessThanOrEqual(span)
    expect(before.length).toBeGreaterThanOrEqual(Math.floor(span * 0.75))
    // The seconds missed while no process ran became one run (the latest missed slot), not one each.
    const whileDown = runs.filter((r) => r.runAt > stoppedAt && r.runAt < restartedAt - 1000)
    expect(whileDown.length).toBeLessThanOrEqual(1)
    expect(runs.filter((r) => r.runAt > stoppedAt).length).toBeGreaterThanOrEqual(1)
  }, 90_000)
})

describe('koyalite jobs', () => {
  it('lists the jobs and runs one now, exiting 0 when it succeeds and 1 when it fails for good', async () => {
    const list = await runCli(root, ['jobs', 'list'])
    expect(list.code).toBe(0)
    expect(list.out).toMatch(/tick\s+\* \* \* \* \* \*/)
    expect(list.out).toMatch(/record\s+enqueued only\s+6 attempts/)
    const dbFile = await migrated('cli')
    const run = await runCli(root, ['jobs', 'run', 'record', '--payload', '{"key":"from-cli"}', '--db', dbFile], { LOG_LEVEL: 'silent' })
    expect(run.out).toContain('record done')
    expect(run.code).toBe(0)
    const db = openDatabase(dbFile)
    expect(db.prepare(`SELECT "key" FROM "marks" WHERE "job" = 'record'`).all()).toEqual([{ key: 'from-cli' }])
    db.close()
    const failed = await runCli(root, ['jobs', 'run', 'flaky', '--db', dbFile], { LOG_LEVEL: 'silent' })
    expect(failed.code).toBe(1)
    expect(failed.err).toContain('flaky dead after 3 attempt(s): Error: always fails')
    expect((await runCli(root, ['jobs', 'run', 'nope', '--db', dbFile])).code).toBe(1)
    expect((await runCli(root, ['jobs', 'run', 'record', '--payload', '{oops', '--db', dbFile])).code).toBe(1)
    // A payload the job's schema refuses is refused before it is enqueued: nothing reaches the queue.
    const queued = () => {
      const check = openDatabase(dbFile)
      const count = (check.prepare(`SELECT count(*) AS n FROM "_koya_jobs" WHERE "kind" = 'job:typed'`).get() as { n: number }).n
      check.close()
      return count
    }
    const refused = await runCli(root, ['jobs', 'run', 'typed', '--payload', '{"key":7}', '--db', dbFile], { LOG_LEVEL: 'silent' })
    expect(refused.code).toBe(1)
    expect(refused.err).toContain('KL_JOB_PAYLOAD_INVALID')
    expect(refused.err).toContain('key:')
    expect(queued()).toBe(0)
    const typed = await runCli(root, ['jobs', 'run', 'typed', '--payload', '{"key":"cli"}', '--db', dbFile], { LOG_LEVEL: 'silent' })
    expect(typed.out).toContain('typed done: {"copies":1}')
    expect(queued()).toBe(1)
  }, 60_000)
})

describe('jobs and email on a running server', () => {
  let server: Process
  let resend: FakeResend

  beforeAll(async () => {
    resend = await startFakeResend()
    server = await start(await migrated('server'), { FIXTURE_RESEND_KEY: 're_test_key', RESEND_BASE_URL: resend.url })
  }, 60_000)
  afterAll(async () => {
    await stop(server)
    await resend.close()
  })

  async function signup(email: string): Promise<{ id: string; token: string }> {
    const answer = await call(server.origin, 'POST', '/auth/signup', { email, password: 'correct horse battery' }, '')
    expect(answer.status, JSON.stringify(answer.body)).toBe(201)
    return { id: answer.body.user.id, token: answer.body.session.token }
  }

  it('a job acting as a user is refused what the user\'s policies refuse, and allowed the rest', async () => {
    const ada = await signup('ada@example.com')
    const bob = await signup('bob@example.com')
    const refused = await settled(server.origin, (await call(server.origin, 'POST', '/admin/jobs/noteAs/run', { payload: { userId: ada.id, ownerId: bob.id } })).body.id)
    expect(refused).toMatchObject({ status: 'dead', attempts: 1, lastError: expect.stringContaining('KL_API_POLICY_DENIED') })
    const allowed = await settled(server.origin, (await call(server.origin, 'POST', '/admin/jobs/noteAs/run', { payload: { userId: ada.id, ownerId: ada.id } })).body.id)
    expect(allowed).toMatchObject({ status: 'done', result: [expect.objectContaining({ ownerId: ada.id, body: 'written by a job' })] })
    expect((await call(server.origin, 'GET', '/api/notes', undefined, bob.token)).body).toEqual([])
    expect((await call(server.origin, 'GET', '/api/notes', undefined, ada.token)).body).toHaveLength(1)
  })

  it('a job enqueues another (once per key) and reports progress', async () => {
    const chain = await settled(server.origin, (await call(server.origin, 'POST', '/admin/jobs/chain/run', { payload: { key: 'chained-1' } })).body.id)
    expect(chain).toMatchObject({ status: 'done', progress: { step: 'enqueueing' }, result: { chained: 'chained-1' } })
    const records = (await call(server.origin, 'GET', '/admin/jobs/runs?name=record')).body.filter((r: { uniqueKey: string | null }) => r.uniqueKey === 'chained-1')
    expect(records).toHaveLength(1)
    expect(await settled(server.origin, records[0].id)).toMatchObject({ status: 'done', payload: { key: 'chained-1' } })
  })

  it('retries with backoff, dead-letters after the last attempt, and the admin API retries and cancels', async () => {
    const id = (await call(server.origin, 'POST', '/admin/jobs/flaky/run', {})).body.id
    const dead = await settled(server.origin, id)
    expect(dead).toMatchObject({ status: 'dead', attempts: 3, maxAttempts: 3, lastError: 'Error: always fails' })
    expect((await call(server.origin, 'GET', '/admin/jobs/runs?name=flaky&status=dead')).body.map((r: { id: number }) => r.id)).toEqual([id])
    const retried = await call(server.origin, 'POST', `/admin/jobs/runs/${id}/retry`)
    expect(retried.body).toMatchObject({ id, status: 'pending', attempts: 0 })
    expect(await settled(server.origin, id)).toMatchObject({ status: 'dead', attempts: 3 })

    const long = (await call(server.origin, 'POST', '/admin/jobs/record/run', { payload: { key: 'long', sleep: 60_000 } })).body.id
    await until(async () => (await call(server.origin, 'GET', `/admin/jobs/runs/${long}`)).body.status === 'running')
    expect((await call(server.origin, 'POST', `/admin/jobs/runs/${long}/retry`)).status).toBe(409)
    await call(server.origin, 'POST', `/admin/jobs/runs/${long}/cancel`)
    expect(await settled(server.origin, long)).toMatchObject({ status: 'cancelled', attempts: 1 })
    expect((await call(server.origin, 'GET', '/admin/jobs/runs/999999')).status).toBe(404)
    expect((await call(server.origin, 'POST', '/admin/jobs/nope/run', {})).status).toBe(400)
    expect((await call(server.origin, 'GET', '/admin/jobs/runs', undefined, '')).status).toBe(401)
  })

  it('sends email through Resend, retrying 5xx and 429 with one idempotency key, and not retrying a 4xx', async () => {
    resend.failures = [500, 429]
    const mailer = await settled(server.origin, (await call(server.origin, 'POST', '/admin/jobs/mailer/run', { payload: { to: 'carol@example.com', key: 'digest-carol-1' } })).body.id)
    expect(mailer.status).toBe('done')
    const email = await until(async () => (await call(server.origin, 'GET', '/admin/jobs/runs?name=email&status=done')).body.find((r: { payload: { to: string[] } }) => r.payload.to[0] === 'carol@example.com'))
    expect(email).toMatchObject({ attempts: 3, result: { providerId: expect.any(String) } })
    const tries = resend.requests.filter((r) => r.body.to[0] === 'carol@example.com')
    expect(tries.map((r) => r.status)).toEqual([500, 429, 200])
    expect(new Set(tries.map((r) => r.idempotencyKey))).toEqual(new Set(['digest-carol-1']))
    expect(tries[0]).toMatchObject({ authorization: 'Bearer re_test_key', body: { from: 'Queue Fixture <queue@example.com>', subject: 'Hello from a job', text: 'Hi.' } })

    await settled(server.origin, (await call(server.origin, 'POST', '/admin/jobs/mailer/run', { payload: { to: 'invalid@example.com', key: 'bad-1' } })).body.id)
    const rejected = await until(async () => (await call(server.origin, 'GET', '/admin/jobs/runs?name=email&status=dead')).body.find((r: { payload: { to: string[] } }) => r.payload.to[0] === 'invalid@example.com'))
    expect(rejected).toMatchObject({ attempts: 1, lastError: expect.stringContaining('KL_JOB_EMAIL_REJECTED') })
    expect(resend.requests.filter((r) => r.body.to[0] === 'invalid@example.com')).toHaveLength(1)
  })

  it('sends auth\'s reset email through the queue and blanks its token from the stored row once sent', async () => {
    await signup('dave@example.com')
    expect((await call(server.origin, 'POST', '/auth/password/forgot', { email: 'dave@example.com' }, '')).status).toBeLessThan(300)
    const sent = await until(() => resend.requests.find((r) => r.body.to[0] === 'dave@example.com' && r.status === 200))
    const token = /token=([a-z2-7]+)/.exec(sent.body.text as string)?.[1]
    expect(token).toBeDefined()
    const row = await until(async () => (await call(server.origin, 'GET', '/admin/jobs/runs?name=email&status=done')).body.find((r: { payload: { to: string[] } }) => r.payload.to[0] === 'dave@example.com'))
    expect(JSON.stringify(row.payload)).not.toContain(token)
    expect(row.payload.text).toContain('token=[sent]')
    expect(row.payload).not.toHaveProperty('secrets')
  })
})
