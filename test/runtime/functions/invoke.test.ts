import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, signedInUser } from '../../helpers/auth-app.ts'
import path from 'node:path'
import { admin, denoPidsUnder, functionsApp, killDenoUnder, type FunctionsTestApp } from './functions-fixture.ts'

const HELLO = `export default async (req, ctx) => {
  const body = await req.text()
  console.log('hello log', req.method)
  return new Response(JSON.stringify({ method: req.method, body, url: new URL(req.url).pathname, search: new URL(req.url).search, userId: ctx.userId, header: req.headers.get('x-test'), auth: req.headers.get('authorization'), cookie: req.headers.get('cookie') }), { status: 201, headers: { 'content-type': 'application/json', 'x-from-fn': 'yes' } })
}`

const WHO = `export default async (req, ctx) => {
  const mine = await ctx.client.from('workspaces').list('select=name,ownerId&order=name')
  let refused = null
  try {
    await ctx.client.from('workspaces').create({ name: 'stolen', slug: 'stolen-' + crypto.randomUUID().slice(0, 8), ownerId: new URL(req.url).searchParams.get('other') })
  } catch (error) {
    refused = { status: error.status, code: error.code }
  }
  const created = await ctx.client.from('workspaces').create({ name: 'ws of ' + ctx.userId.slice(0, 6), slug: 'ws-' + crypto.randomUUID().slice(0, 8), ownerId: ctx.userId })
  const after = await ctx.client.from('workspaces').list('select=name,ownerId')
  return Response.json({ before: mine, refused, created: created.length ?? 1, after, roles: ctx.roles })
}`

// Bytes both ways, a loud call, and a call that leaves a file in its temp dir (or looks at it).
const IO = `export default async (req) => {
  const url = new URL(req.url)
  switch (url.searchParams.get('op')) {
    case 'reverse':
      return new Response(new Uint8Array(await req.arrayBuffer()).reverse(), { headers: { 'content-type': 'application/octet-stream' } })
    case 'loud':
      for (let i = 0; i < 40; i++) console.log(String(i).padStart(4, '0') + 'x'.repeat(996))
      console.error('e'.repeat(20000))
      return new Response('loud')
    case 'leave': {
      const file = await Deno.makeTempFile({ prefix: 'left-' })
      await Deno.writeTextFile(file, 'from an earlier call')
      return new Response(file)
    }
    case 'look':
      return Response.json([...Deno.readDirSync(url.searchParams.get('dir'))].map((entry) => entry.name))
  }
  return new Response('no op', { status: 400 })
}`

describe('functions: invoking', () => {
  let t: FunctionsTestApp
  beforeAll(async () => {
    t = await functionsApp([
      { name: 'hello', code: HELLO },
      { name: 'io', code: IO },
      { name: 'who', code: WHO, auth: 'user' },
      { name: 'internal', code: 'export default () => new Response("ok")', auth: 'system' },
      { name: 'broken', code: 'throw new Error("boom at load")\nexport default () => new Response("never")' },
    ])
  }, 60_000)
  afterAll(async () => {
    await t?.close()
    if (t) killDenoUnder(t.workDir)
  })

  it('passes method, body, path, query and headers through, and answers with the Response', async () => {
    const response = await fetch(`${t.url}/functions/hello/sub?x=1`, { method: 'PUT', body: 'some bytes', headers: { 'x-test': 'abc', cookie: 'theme=dark', 'content-type': 'text/plain' } })
    expect(response.status).toBe(201)
    expect(response.headers.get('x-from-fn')).toBe('yes')
    expect(await response.json()).toEqual({ method: 'PUT', body: 'some bytes', url: '/functions/hello/sub', search: '?x=1', userId: null, header: 'abc', auth: null, cookie: null })
  })

  it('logs each invocation with its captured stdout', async () => {
    await fetch(`${t.url}/functions/hello`, { method: 'POST', body: 'x' })
    const log = await call(t, 'GET', '/admin/functions/hello/invocations?limit=1', { headers: admin() })
    expect(log.status).toBe(200)
    expect(log.body[0]).toMatchObject({ function: 'hello', status: 201, stdout: 'hello log POST\n', error: null })
    expect(log.body[0].version).toMatch(/^source-[0-9a-f]{12}$/)
    expect(log.body[0].durationMs).toBeGreaterThanOrEqual(0)
    expect(log.body[0].memoryBytes).toBeGreaterThan(1_000_000)
  })

  it('passes binary bodies through byte for byte, both ways', async () => {
    const bytes = Uint8Array.from({ length: 256 * 4 }, (_, i) => i % 256)
    const response = await fetch(`${t.url}/functions/io?op=reverse`, { method: 'POST', body: bytes, headers: { 'content-type': 'application/octet-stream' } })
    expect(response.status).toBe(200)
    expect([...new Uint8Array(await response.arrayBuffer())]).toEqual([...bytes].reverse())
  })

  it('cuts captured stdout and stderr at 16 KiB in the invocation log', async () => {
    expect(await (await fetch(`${t.url}/functions/io?op=loud`)).text()).toBe('loud')
    const [entry] = (await call(t, 'GET', '/admin/functions/io/invocations?limit=1', { headers: admin() })).body
    expect(entry.stdout.startsWith(`0000${'x'.repeat(996)}\n0001`)).toBe(true)
    expect(entry.stdout).toMatch(/…\(truncated\)$/)
    expect(entry.stdout.length).toBeLessThan(16 * 1024 + 20)
    expect(entry.stderr).toMatch(/^e{16384}\n…\(truncated\)$/)
  })

  it('empties the temp dir between calls: a file one call leaves is gone for the next', async () => {
    const file = await (await fetch(`${t.url}/functions/io?op=leave`)).text()
    expect(path.basename(file)).toMatch(/^left-/)
    const dir = path.dirname(file)
    expect(await (await fetch(`${t.url}/functions/io?op=look&dir=${encodeURIComponent(dir)}`)).json()).toEqual([])
  })

  it('refuses a body over the limit with 413', async () => {
    const response = await fetch(`${t.url}/functions/hello`, { method: 'POST', body: 'x'.repeat(1024 * 1024 + 10) })
    expect(response.status).toBe(413)
    expect(((await response.json()) as { code: string }).code).toBe('KL_API_PAYLOAD_TOO_LARGE')
  })

  it('applies auth: user and system functions refuse anonymous callers; system refuses users', async () => {
    expect((await fetch(`${t.url}/functions/who`)).status).toBe(401)
    expect((await fetch(`${t.url}/functions/internal`)).status).toBe(401)
    const user = await signedInUser(t, 'caller')
    const refused = await fetch(`${t.url}/functions/internal`, { headers: { authorization: `Bearer ${user.token}` } })
    expect(refused.status).toBe(403)
    const ok = await fetch(`${t.url}/functions/internal`, { headers: admin() })
    expect(await ok.text()).toBe('ok')
    // The caller's credentials never reach the function.
    const echoed = await (await fetch(`${t.url}/functions/hello`, { headers: { authorization: `Bearer ${user.token}` } })).json()
    expect(echoed).toMatchObject({ userId: user.id, auth: null })
  }, 30_000)

  it("reads and writes through ctx.client as the caller: the caller's policies apply", async () => {
    const alice = await signedInUser(t, 'alice')
    const bob = await signedInUser(t, 'bob')
    const first = (await (await fetch(`${t.url}/functions/who?other=${bob.id}`, { headers: { authorization: `Bearer ${alice.token}` } })).json()) as any
    expect(first.before).toEqual([])
    // Creating a workspace owned by someone else is refused by the workspaces create policy.
    expect(first.refused).toEqual({ status: 403, code: 'KL_API_POLICY_DENIED' })
    expect(first.after).toEqual([{ name: `ws of ${alice.id.slice(0, 6)}`, ownerId: alice.id }])
    const second = (await (await fetch(`${t.url}/functions/who?other=${alice.id}`, { headers: { authorization: `Bearer ${bob.token}` } })).json()) as any
    // Bob does not see Alice's workspace.
    expect(second.before).toEqual([])
    expect(second.after).toEqual([{ name: `ws of ${bob.id.slice(0, 6)}`, ownerId: bob.id }])
  }, 30_000)

  it('answers 503 for a function that does not load, and does not restart it in a loop', async () => {
    const response = await fetch(`${t.url}/functions/broken`)
    expect(response.status).toBe(503)
    const body = (await response.json()) as { code: string; message: string }
    expect(body.code).toBe('KL_API_FUNCTION_UNAVAILABLE')
    expect(body.message).toContain('boom at load')
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(denoPidsUnder(path.join(t.workDir, 'broken-'))).toEqual([])
  }, 30_000)
})
