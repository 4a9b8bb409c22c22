import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call } from '../../helpers/auth-app.ts'
import { runCli } from '../../helpers/cli.ts'
import { admin, denoPidsUnder, functionsApp, killDenoUnder, waitFor, type FunctionsTestApp } from './functions-fixture.ts'

/** The function's source; `label` is what the version answers; `wait` (ms, from the query) keeps a call in flight. */
const source = (label: string) => `import { label } from './lib/label.ts'
export default async (req: Request): Promise<Response> => {
  const wait = Number(new URL(req.url).searchParams.get('wait') ?? 0)
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
  return new Response(label(${JSON.stringify(label)}))
}
`

describe('functions: versions, deploy and rollback', () => {
  let t: FunctionsTestApp
  const write = (label: string) => {
    mkdirSync(path.join(t.root, 'functions', 'lib'), { recursive: true })
    writeFileSync(path.join(t.root, 'functions', 'greet.ts'), source(label))
    writeFileSync(path.join(t.root, 'functions', 'lib', 'label.ts'), 'export const label = (text: string): string => `version ${text}`\n')
  }
  const greet = async (query = '') => {
    const response = await fetch(`${t.url}/functions/greet${query}`)
    return `${response.status} ${await response.text()}`
  }
  const cli = (...args: string[]) => runCli(t.root, ['functions', ...args, '--db', t.file], { KOYA_DEPLOYED_BY: 'test-suite' })

  beforeAll(async () => {
    t = await functionsApp([{ name: 'greet', code: 'export default () => new Response("version generated")', file: 'functions/greet.ts' }], { functions: { maxWorkers: 8, concurrency: 1 } })
    writeFileSync(path.join(t.root, 'generated', 'model.json'), JSON.stringify(t.model))
  }, 60_000)
  afterAll(async () => {
    await t?.close()
    if (t) killDenoUnder(t.workDir)
  })

  it('serves the generated bundle until a version is deployed', async () => {
    expect(await greet()).toBe('200 version generated')
    const list = await call(t, 'GET', '/admin/functions', { headers: admin() })
    expect(list.body).toEqual([{ name: 'greet', file: 'functions/greet.ts', auth: 'public', active: null }])
  })

  it('deploys from source with its relative imports, as content-hashed versions, and switches atomically', async () => {
    write('one')
    const first = await cli('deploy', 'greet')
    expect(first.code).toBe(0)
    expect(first.out).toMatch(/greet v1 [0-9a-f]{12}/)
    expect(await greet()).toBe('200 version one')

    write('two')
    expect((await cli('deploy')).out).toMatch(/greet v2 [0-9a-f]{12}/)
    expect(await greet()).toBe('200 version two')
    // The same bytes again: no new version.
    expect((await cli('deploy', 'greet')).out).toContain('same code as before')

    const versions = await call(t, 'GET', '/admin/functions/greet/versions', { headers: admin() })
    expect(versions.body.map((v: { number: number; active: boolean; deployedBy: string }) => [v.number, v.active, v.deployedBy])).toEqual([
      [2, true, 'test-suite'],
      [1, false, 'test-suite'],
    ])
    expect(versions.body[0].version).not.toBe(versions.body[1].version)
    const stored = t.db.prepare('SELECT "sourceMap" FROM "_koya_function_versions" WHERE "number" = 2').get() as { sourceMap: string }
    expect([...JSON.parse(stored.sourceMap).sources].sort()).toEqual(['../../functions/greet.ts', '../../functions/lib/label.ts'])
  }, 60_000)

  it('rolls back while calls are in flight: they all finish on their version, new calls get the old one', async () => {
    const inFlight = Array.from({ length: 4 }, () => greet('?wait=4000'))
    // One call per worker here (concurrency 1), so each call in flight holds a worker of version 2:
    // wait until all four have theirs.
    const { version } = t.db.prepare('SELECT "version" FROM "_koya_function_versions" WHERE "number" = 2').get() as { version: string }
    await waitFor(() => denoPidsUnder(path.join(t.workDir, `greet-${version}`)).length >= 4, 45_000)
    const rollback = await call(t, 'POST', '/admin/functions/greet/rollback', { headers: admin(), body: {} })
    expect(rollback.status).toBe(200)
    expect(rollback.body).toMatchObject({ number: 1, active: true })
    expect(await greet()).toBe('200 version one')
    expect(await Promise.all(inFlight)).toEqual(Array(4).fill('200 version two'))
    const log = await call(t, 'GET', '/admin/functions/greet/invocations?limit=5', { headers: admin() })
    expect(log.body.filter((entry: { status: number }) => entry.status === 200)).toHaveLength(5)
  }, 60_000)

  it('rolls forward with --to, and lists versions in the CLI', async () => {
    const forward = await cli('rollback', 'greet', '--to', 'v2')
    expect(forward.out).toContain('greet now serves v2')
    expect(await greet()).toBe('200 version two')
    const versions = await cli('versions', 'greet')
    expect(versions.out.split('\n')).toHaveLength(2)
    expect((await cli('rollback', 'greet', '--to', 'v9')).code).not.toBe(0)
    expect((await cli('list')).out).toMatch(/greet\s+functions\/greet\.ts\s+v2/)
  }, 60_000)

  it('deploys a bundle over HTTP as an admin', async () => {
    const deployed = await call(t, 'POST', '/admin/functions/greet/versions', { headers: admin(), body: { code: 'export default () => new Response("version http")' } })
    expect(deployed.status).toBe(201)
    expect(deployed.body).toMatchObject({ number: 3, active: true, deployedBy: 'service-key' })
    expect(await greet()).toBe('200 version http')
    expect((await call(t, 'GET', '/admin/functions/greet/versions')).status).toBe(401)
  }, 30_000)
})

describe('functions under koyalite dev', () => {
  let t: FunctionsTestApp
  beforeAll(async () => {
    t = await functionsApp([{ name: 'greet', code: 'export default () => new Response("from source")' }], { dev: true })
  }, 60_000)
  afterAll(async () => {
    await t?.close()
    if (t) killDenoUnder(t.workDir)
  })

  it('runs the bundle generate wrote from source, not the deployed version, and the reloaded app runs the saved one', async () => {
    const deployed = await call(t, 'POST', '/admin/functions/greet/versions', { headers: admin(), body: { code: 'export default () => new Response("deployed")' } })
    expect(deployed.status).toBe(201)
    expect(await (await fetch(`${t.url}/functions/greet`)).text()).toBe('from source')
    // A save regenerates the bundle and `koyalite dev` restarts the app on it.
    t.writeBundle('greet', 'export default () => new Response("saved again")')
    const reloaded = await functionsApp([{ name: 'greet', code: 'export default () => new Response("saved again")' }], { dev: true })
    try {
      expect(await (await fetch(`${reloaded.url}/functions/greet`)).text()).toBe('saved again')
    } finally {
      await reloaded.close()
      killDenoUnder(reloaded.workDir)
    }
  }, 60_000)
})
