import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleFunction } from '../../../engine/compiler/bundle-handlers.ts'
import { call } from '../../helpers/auth-app.ts'
import { admin, functionIR, functionsApp, killDenoUnder, type FunctionsTestApp } from './functions-fixture.ts'

// The throw is on line 3 of functions/lib/check.ts, called from line 5 of functions/thrower.ts.
const CHECK = `// A helper in its own file.
export function check(amount: number): number {
  if (amount > 10) throw new RangeError('amount too large: ' + amount)
  return amount
}
`
const THROWER = (label: string) => `import { check } from './lib/check.ts'
// ${label}
export default async (req: Request): Promise<Response> => {
  const amount = Number(new URL(req.url).searchParams.get('amount') ?? 0)
  check(amount)
  return new Response('fine')
}
`

/** The bundle and map `koyalite generate` writes for functions/thrower.ts. */
async function bundle(label: string): Promise<{ code: string; sourceMap: string }> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'koya-fn-src-'))
  try {
    mkdirSync(path.join(root, 'functions', 'lib'), { recursive: true })
    writeFileSync(path.join(root, 'functions', 'thrower.ts'), THROWER(label))
    writeFileSync(path.join(root, 'functions', 'lib', 'check.ts'), CHECK)
    const files = await bundleFunction(root, functionIR({ name: 'thrower', code: '' }))
    const text = (suffix: string) => files.find((file) => file.path.endsWith(suffix))!.contents
    return { code: text('thrower.js'), sourceMap: text('thrower.js.map') }
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}

interface Invocation {
  readonly status: number
  readonly stderr: string
  readonly error: string | null
}

describe.each([
  { mode: 'start', dev: false },
  { mode: 'dev', dev: true },
])('functions: stack traces through the source maps ($mode)', ({ dev }) => {
  let t: FunctionsTestApp
  beforeAll(async () => {
    t = await functionsApp([{ name: 'thrower', ...(await bundle('generated')) }], { dev })
  }, 60_000)
  afterAll(async () => {
    await t?.close()
    if (t) killDenoUnder(t.workDir)
  })

  const lastInvocation = async (): Promise<Invocation> => (await call(t, 'GET', '/admin/functions/thrower/invocations?limit=1', { headers: admin() })).body[0] as Invocation

  it("logs the error at the user's file and line, with a stack of the user's files", async () => {
    expect(await (await fetch(`${t.url}/functions/thrower?amount=3`)).text()).toBe('fine')
    const response = await fetch(`${t.url}/functions/thrower?amount=11`)
    expect(response.status).toBe(502)
    const body = (await response.json()) as { code: string; message: string; hint: string }
    expect(body.code).toBe('KL_API_FUNCTION_FAILED')
    const logged = await lastInvocation()
    expect(logged.error).toBe('The function threw: amount too large: 11 (at functions/lib/check.ts:3:26)')
    expect(logged.stderr).toMatch(/RangeError: amount too large: 11\n\s+at check \(functions\/lib\/check\.ts:3:26\)\n\s+at .*\(functions\/thrower\.ts:5:3\)/)
    // Nothing of the bundle or of KoyaLite's worker script.
    expect(logged.stderr).not.toMatch(/fn\.js|user\.js|file:\/\//)
    if (dev) {
      // Under `koyalite dev` the answer says where, and carries the stack as its hint.
      expect(body.message).toBe(logged.error)
      expect(body.hint).toContain('at check (functions/lib/check.ts:3:26)')
    } else {
      expect(body.message).toBe('The function threw: amount too large: 11')
      expect(JSON.stringify(body)).not.toContain('functions/lib')
    }
  }, 30_000)

  it.runIf(!dev)('maps a deployed version through the map deployed with it', async () => {
    const deployed = await bundle('deployed: one more line moves nothing but the hash')
    const response = await call(t, 'POST', '/admin/functions/thrower/versions', { headers: admin(), body: deployed })
    expect(response.status).toBe(201)
    expect((await fetch(`${t.url}/functions/thrower?amount=12`)).status).toBe(502)
    expect((await lastInvocation()).error).toBe('The function threw: amount too large: 12 (at functions/lib/check.ts:3:26)')
  }, 30_000)
})
