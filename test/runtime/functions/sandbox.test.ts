import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call } from '../../helpers/auth-app.ts'
import { admin, denoPidsUnder, functionsApp, killDenoUnder, type FunctionsTestApp } from './functions-fixture.ts'

/** Each `?try=` is one escape attempt; the answer says whether it worked and what Deno said. */
const ESCAPE = `export default async (req, ctx) => {
  const url = new URL(req.url)
  const attempts = {
    database: () => Deno.readTextFile(url.searchParams.get('db')),
    passwd: () => Deno.readTextFile('/etc/passwd'),
    environ: () => Deno.readTextFile('/proc/self/environ'),
    undeclaredEnv: () => Deno.env.get('SERVER_SECRET'),
    envObject: () => Deno.env.toObject(),
    outsideNet: () => fetch(url.searchParams.get('target')).then((r) => r.text()),
    allowedNet: () => fetch(url.searchParams.get('target')).then((r) => r.text()),
    spawn: () => new Deno.Command('/bin/sh', { args: ['-c', 'id'] }).output(),
    ffi: () => Deno.dlopen('libc.so.6', { getpid: { parameters: [], result: 'i32' } }),
    writeOutside: () => Deno.writeTextFile('/tmp/koya-escape-' + Date.now(), 'x'),
    scratch: async () => { const file = await Deno.makeTempFile(); await Deno.writeTextFile(file, 'scratch ok'); return Deno.readTextFile(file) },
    declaredEnv: () => ctx.env.GREETING + ':' + Object.keys(ctx.env).join(','),
    stdout: () => { for (const name of ['stdin', 'stdout', 'stderr']) if (Deno[name]) throw new Error(name + ' is reachable'); return 'no stdout' },
    pipeByPath: () => Deno.openSync('/proc/self/fd/1', { write: true }),
  }
  try {
    const value = await attempts[url.searchParams.get('try')]()
    return Response.json({ ok: true, value })
  } catch (error) {
    return Response.json({ ok: false, name: error?.name, message: String(error?.message ?? error) })
  }
}`

const LIMITS = `export default async (req) => {
  const what = new URL(req.url).searchParams.get('do')
  if (what === 'spin') while (true) {}
  if (what === 'heap') { const keep = []; while (true) keep.push(new Array(100000).fill(Math.random())) }
  if (what === 'buffers') { const keep = []; while (true) { const b = new Uint8Array(32 * 1024 * 1024); for (let p = 0; p < b.length; p += 4096) b[p] = 1; keep.push(b); await new Promise((r) => setTimeout(r, 10)) } }
  if (what === 'sleep') { await new Promise((r) => setTimeout(r, 60000)) }
  return new Response('alive')
}`

describe('functions: the sandbox', () => {
  let t: FunctionsTestApp
  let outside: http.Server
  let allowed: http.Server
  let outsideUrl = ''
  let allowedUrl = ''
  const hits: string[] = []

  beforeAll(async () => {
    const listen = async (server: http.Server) => {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      return (server.address() as AddressInfo).port
    }
    outside = http.createServer((request, response) => {
      hits.push(`outside ${request.url}`)
      response.end('reached outside')
    })
    allowed = http.createServer((_request, response) => response.end('reached allowed'))
    outsideUrl = `http://127.0.0.1:${await listen(outside)}/`
    const allowedPort = await listen(allowed)
    allowedUrl = `http://127.0.0.1:${allowedPort}/`
    t = await functionsApp(
      [
        { name: 'escape', code: ESCAPE, allowNet: [`127.0.0.1:${allowedPort}`], env: ['GREETING'] },
        { name: 'spin', code: LIMITS, timeoutMs: 1500 },
        { name: 'cpu', code: LIMITS, timeoutMs: 20_000 },
      ],
      { env: { GREETING: 'hello', SERVER_SECRET: 'do-not-leak', KOYA_SERVICE_KEY: 'do-not-leak-either' }, functions: { cpuLimitMs: 700 } },
    )
  }, 60_000)

  afterAll(async () => {
    await t?.close()
    if (t) killDenoUnder(t.workDir)
    outside?.close()
    allowed?.close()
  })

  const attempt = async (what: string, params: Record<string, string> = {}) => {
    const response = await fetch(`${t.url}/functions/escape?${new URLSearchParams({ try: what, ...params })}`)
    expect(response.status).toBe(200)
    return (await response.json()) as { ok: boolean; name?: string; message?: string; value?: unknown }
  }

  it('refuses to read the database file, /etc/passwd and the process environment', async () => {
    for (const result of [await attempt('database', { db: t.file }), await attempt('passwd'), await attempt('environ')]) {
      expect(result).toMatchObject({ ok: false, name: 'NotCapable' })
    }
  })

  it('passes only the declared environment variables', async () => {
    expect(await attempt('undeclaredEnv')).toMatchObject({ ok: false, name: 'NotCapable' })
    expect(await attempt('envObject')).toMatchObject({ ok: false, name: 'NotCapable' })
    expect(await attempt('declaredEnv')).toEqual({ ok: true, value: 'hello:GREETING' })
  })

  it('reaches only allowNet hosts: not another local server, not the KoyaLite server itself', async () => {
    expect(await attempt('outsideNet', { target: outsideUrl })).toMatchObject({ ok: false, name: 'NotCapable' })
    expect(await attempt('outsideNet', { target: `${t.url}/healthz` })).toMatchObject({ ok: false, name: 'NotCapable' })
    expect(hits).toEqual([])
    expect(await attempt('allowedNet', { target: allowedUrl })).toEqual({ ok: true, value: 'reached allowed' })
  })

  it('refuses subprocesses, FFI and writes outside its temp dir, which it may use', async () => {
    expect(await attempt('spawn')).toMatchObject({ ok: false, name: 'NotCapable' })
    expect(await attempt('ffi')).toMatchObject({ ok: false, name: 'NotCapable' })
    expect(await attempt('writeOutside')).toMatchObject({ ok: false, name: 'NotCapable' })
    expect(await attempt('scratch')).toEqual({ ok: true, value: 'scratch ok' })
    // The pipe to the server is the thread's own: the function has no stdio, not even by path.
    expect(await attempt('stdout')).toEqual({ ok: true, value: 'no stdout' })
    expect(await attempt('pipeByPath')).toMatchObject({ ok: false, name: 'NotCapable' })
  })

  it('kills an infinite loop at its wall-clock timeout, and the pool recovers', async () => {
    await fetch(`${t.url}/functions/spin`)
    const before = denoPidsUnder(t.workDir)
    const started = Date.now()
    const response = await fetch(`${t.url}/functions/spin?do=spin`)
    const took = Date.now() - started
    expect(response.status).toBe(504)
    expect(((await response.json()) as { code: string }).code).toBe('KL_API_FUNCTION_TIMEOUT')
    // CPU limit (700 ms) or wall clock (1500 ms), whichever comes first, plus the killing.
    expect(took).toBeLessThan(4000)
    const again = await fetch(`${t.url}/functions/spin`)
    expect(await again.text()).toBe('alive')
    const killed = before.filter((pid) => !denoPidsUnder(t.workDir).includes(pid))
    expect(killed.length).toBeGreaterThan(0)
  }, 30_000)

  it('kills a call past its CPU-time limit well before its timeout', async () => {
    const started = Date.now()
    const response = await fetch(`${t.url}/functions/cpu?do=spin`)
    expect(response.status).toBe(504)
    expect(((await response.json()) as { message: string }).message).toMatch(/CPU time/)
    expect(Date.now() - started).toBeLessThan(15_000)
    expect(await (await fetch(`${t.url}/functions/cpu`)).text()).toBe('alive')
  }, 30_000)
})

// Limits of their own: on a busy machine touching memory costs CPU time, which the first app caps low.
describe('functions: memory limits', () => {
  let m: FunctionsTestApp
  beforeAll(async () => {
    m = await functionsApp([{ name: 'heap', code: LIMITS, memoryBytes: 32 * 2 ** 20, timeoutMs: 60_000 }], { functions: { cpuLimitMs: 60_000 } })
  }, 60_000)
  afterAll(async () => {
    await m?.close()
    if (m) killDenoUnder(m.workDir)
  })

  it('stops a memory bomb at the heap cap and one of buffers at the memory backstop; the pool recovers', async () => {
    const heap = await fetch(`${m.url}/functions/heap?do=heap`)
    expect(heap.status).toBe(502)
    expect(((await heap.json()) as { code: string }).code).toBe('KL_API_FUNCTION_MEMORY')
    expect(await (await fetch(`${m.url}/functions/heap`)).text()).toBe('alive')
    const buffers = await fetch(`${m.url}/functions/heap?do=buffers`)
    expect(buffers.status).toBe(502)
    expect(((await buffers.json()) as { code: string }).code).toBe('KL_API_FUNCTION_MEMORY')
    expect(await (await fetch(`${m.url}/functions/heap`)).text()).toBe('alive')
    const log = await call(m, 'GET', '/admin/functions/heap/invocations?limit=4', { headers: admin() })
    expect(log.body.map((entry: { status: number }) => entry.status)).toEqual([200, 502, 200, 502])
  }, 60_000)
})
