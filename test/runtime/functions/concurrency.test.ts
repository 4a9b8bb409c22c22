import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call } from '../../helpers/auth-app.ts'
import { admin, functionsApp, killDenoUnder, type FunctionsTestApp } from './functions-fixture.ts'

/** Sleeps `?ms=`, logs its `?tag=` before and after, and says which worker process ran it. */
const NAP = `export default async (req) => {
  const params = new URL(req.url).searchParams
  const tag = params.get('tag')
  console.log('start ' + tag)
  await new Promise((resolve) => setTimeout(resolve, Number(params.get('ms') ?? 0)))
  console.log('end ' + tag)
  return Response.json({ tag, pid: Deno.pid })
}`

interface Nap {
  readonly status: number
  readonly tag?: string
  readonly pid?: number
}

describe('functions: several calls at once per worker', () => {
  let t: FunctionsTestApp
  beforeAll(async () => {
    t = await functionsApp(
      [
        { name: 'nap', code: NAP },
        { name: 'short', code: NAP, timeoutMs: 1000 },
        { name: 'aging', code: NAP },
      ],
      { functions: { maxWorkers: 1, concurrency: 8, maxCallsPerWorker: 4 } },
    )
  }, 60_000)
  afterAll(async () => {
    await t?.close()
    if (t) killDenoUnder(t.workDir)
  })

  const nap = async (fn: string, tag: string, ms: number): Promise<Nap> => {
    const response = await fetch(`${t.url}/functions/${fn}?${new URLSearchParams({ tag, ms: String(ms) })}`)
    return response.ok ? { status: response.status, ...((await response.json()) as { tag: string; pid: number }) } : { status: response.status }
  }

  it('runs calls side by side on one worker, and logs each one only its own lines', async () => {
    await nap('nap', 'warm', 0)
    const started = Date.now()
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => nap('nap', `n${i}`, 600)))
    // One at a time would take 8 × 600 ms.
    expect(Date.now() - started).toBeLessThan(3000)
    expect(answers.map((answer) => answer.tag)).toEqual(Array.from({ length: 8 }, (_, i) => `n${i}`))
    expect(new Set(answers.map((answer) => answer.pid)).size).toBe(1)
    const log = await call(t, 'GET', '/admin/functions/nap/invocations?limit=8', { headers: admin() })
    expect(log.body).toHaveLength(8)
    for (const entry of log.body as { stdout: string }[]) {
      const tag = /^start (n\d)$/m.exec(entry.stdout)?.[1]
      expect(entry.stdout).toBe(`start ${tag}\nend ${tag}\n`)
    }
  }, 30_000)

  it('fails only the call past its wall clock; the others on its worker finish, then the worker is replaced', async () => {
    const first = await nap('short', 'before', 0)
    const [late, ...others] = await Promise.all([nap('short', 'late', 5000), nap('short', 'quick1', 200), nap('short', 'quick2', 400)])
    expect(late!.status).toBe(504)
    expect(others.map((answer) => [answer.status, answer.pid])).toEqual([
      [200, first.pid],
      [200, first.pid],
    ])
    const after = await nap('short', 'after', 0)
    expect(after.status).toBe(200)
    expect(after.pid).not.toBe(first.pid)
  }, 30_000)

  it('replaces a worker that served its share of calls without failing or stalling a call', async () => {
    const answers: Nap[] = []
    // Past 4 calls a fresh worker starts; the old one serves until it has loaded, then makes way.
    const until = Date.now() + 20_000
    while (new Set(answers.map((answer) => answer.pid)).size < 2 && Date.now() < until) {
      answers.push(...(await Promise.all([nap('aging', 'a', 50), nap('aging', 'b', 50)])))
    }
    expect(answers.every((answer) => answer.status === 200)).toBe(true)
    expect(new Set(answers.map((answer) => answer.pid)).size).toBe(2)
  }, 30_000)
})
