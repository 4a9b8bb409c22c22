import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { compileDefinition } from '../../engine/compiler/index.ts'
import { defineConfig, env, t, table } from '../../engine/dsl/index.ts'
import type { CliIO } from '../../engine/cli/io.ts'
import { withEnvFiles } from '../../engine/cli/env-files.ts'
import { withSecrets } from '../../engine/cli/secrets-env.ts'
import type { SecretsRefreshEvent } from '../../engine/runtime/secrets/load-secrets.ts'
import { KoyaErrorList } from '../../engine/shared/errors.ts'
import { runCli, scratchProject } from '../helpers/cli.ts'
import { exitOf, startProcess } from '../helpers/child-process.ts'
import { repoRoot } from '../helpers/paths.ts'
import { closedPort, startInfisicalStandIn, type InfisicalStandIn } from '../helpers/infisical-server.ts'

const notes = table('notes', { id: t.id(), body: t.text() })

let infisical: InfisicalStandIn
beforeAll(async () => {
  infisical = await startInfisicalStandIn()
  infisical.folders.set('prod:/api', { secrets: { STRIPE_KEY: 'sk_from_infisical', WEBHOOK_URL: 'https://hooks.example.com/1' } })
})
const dirs: string[] = []
afterAll(async () => {
  await infisical.close()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

const configWith = (projectId: string) =>
  defineConfig({
    name: 'secrets-app',
    tables: { notes },
    env: [env('STRIPE_KEY', z.string().startsWith('sk_')), env('WORKERS', z.coerce.number().int().min(1)), env('WEBHOOK_URL', z.url().optional())],
    secrets: { provider: 'infisical', siteUrl: env('INFISICAL_SITE_URL'), projectId, clientId: env('INFISICAL_CLIENT_ID'), clientSecret: env('INFISICAL_CLIENT_SECRET'), path: '/api/', refresh: '1h' },
  })

/** A project holding generated/model.json (what start and env read) and .env files. */
function project(files: Record<string, string> = {}): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'koya-secrets-'))
  dirs.push(root)
  mkdirSync(path.join(root, 'generated'))
  writeFileSync(path.join(root, 'generated', 'model.json'), JSON.stringify(compileDefinition(configWith(infisical.projectId))))
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(root, name), text)
  return root
}

const credentials = () => ({ INFISICAL_SITE_URL: infisical.url, INFISICAL_CLIENT_ID: infisical.clientId, INFISICAL_CLIENT_SECRET: infisical.clientSecret })

describe('defineConfig({ secrets: { provider: "infisical" } })', () => {
  it('goes into model.json without a credential: variable names, the environment of each KOYA_ENV, durations', () => {
    const ir = compileDefinition(configWith('p-1'))
    expect(ir.secrets).toEqual({
      provider: 'infisical',
      siteUrl: { env: 'INFISICAL_SITE_URL' },
      projectId: { value: 'p-1' },
      clientId: { env: 'INFISICAL_CLIENT_ID' },
      clientSecret: { env: 'INFISICAL_CLIENT_SECRET' },
      environments: { development: 'dev', test: 'dev', staging: 'staging', production: 'prod' },
      path: '/api',
      refreshMs: 3_600_000,
      timeoutMs: 10_000,
    })
    expect(ir.env?.find((v) => v.name === 'INFISICAL_CLIENT_SECRET')?.usedBy).toEqual(['secrets.clientSecret'])
  })

  it('refuses an inline client secret and a path that is not a folder', () => {
    const bad = defineConfig({ name: 'bad', tables: { notes }, secrets: { provider: 'infisical', projectId: 'p', clientId: env('ID'), clientSecret: 'hunter2' as never, path: 'no-slash' } })
    let caught: unknown
    try {
      compileDefinition(bad)
    } catch (error) {
      caught = error
    }
    const messages = (caught as KoyaErrorList).errors.map((e) => e.message).join('\n')
    expect(messages).toContain('secrets.path')
    const inline = defineConfig({ name: 'bad', tables: { notes }, secrets: { provider: 'infisical', projectId: 'p', clientId: env('ID'), clientSecret: 'hunter2' as never } })
    try {
      compileDefinition(inline)
      caught = undefined
    } catch (error) {
      caught = error
    }
    expect((caught as KoyaErrorList).errors.map((e) => e.message).join('\n')).toContain('secrets.clientSecret is written inline')
  })
})

describe('secrets at start: files < Infisical < the process environment', () => {
  const io = (root: string, env: Record<string, string | undefined>): CliIO => ({ out: () => {}, err: () => {}, color: false, cwd: root, env })

  it('lays Infisical over the .env files and under the process environment', async () => {
    const root = project({ '.env': 'STRIPE_KEY=sk_from_file\nWORKERS=2\n' })
    const processEnv = { ...credentials(), KOYA_ENV: 'production' }
    const loaded = await withSecrets(processEnv, withEnvFiles(io(root, processEnv), { dev: false }), { dev: false })
    expect([loaded.env.STRIPE_KEY, loaded.env.WORKERS]).toEqual(['sk_from_infisical', '2'])
    expect(loaded.secrets?.names()).toEqual(['STRIPE_KEY', 'WEBHOOK_URL'])
    const overridden = { ...processEnv, STRIPE_KEY: 'sk_from_process' }
    const again = await withSecrets(overridden, withEnvFiles(io(root, overridden), { dev: false }), { dev: false })
    expect(again.env.STRIPE_KEY).toBe('sk_from_process')
    expect(again.secrets?.names()).toEqual(['WEBHOOK_URL'])
  })

  it('env check passes on a variable only Infisical sets; env list says where it comes from, never its value', async () => {
    const root = project({ '.env': 'WORKERS=3\n' })
    const check = await runCli(root, ['env', 'check'], { ...credentials(), KOYA_ENV: 'production' })
    expect(check.code, check.err).toBe(0)
    expect(check.out).toContain(`2 from infisical ${infisical.url}`)
    const list = await runCli(root, ['env', 'list'], { ...credentials(), KOYA_ENV: 'production' })
    const line = list.out.split('\n').find((l) => l.trim().startsWith('STRIPE_KEY')) ?? ''
    expect(line).toMatch(/set\s+required\s+infisical env\[0\]/)
    expect(list.out).not.toContain('sk_from_infisical')
    // Without Infisical's value the same check fails.
    const without = project({ '.env': 'WORKERS=3\n' })
    writeFileSync(path.join(without, 'generated', 'model.json'), JSON.stringify({ ...compileDefinition(configWith(infisical.projectId)), secrets: undefined }))
    expect((await runCli(without, ['env', 'check'], { KOYA_ENV: 'production' })).err).toContain('KL_ENV_MISSING Environment variable STRIPE_KEY is not set')
  })

  it('start stops with KL_ENV_SECRETS_UNREACHABLE when Infisical cannot be reached, before opening the database', async () => {
    const root = project({ '.env': 'WORKERS=3\n' })
    const port = await closedPort()
    const run = await runCli(root, ['start', '--port', '0'], { ...credentials(), INFISICAL_SITE_URL: `http://127.0.0.1:${port}`, KOYA_ENV: 'production' })
    expect(run.code).toBe(1)
    expect(run.err).toContain(`KL_ENV_SECRETS_UNREACHABLE Infisical at http://127.0.0.1:${port} could not be reached while logging in (universal auth) (ECONNREFUSED).`)
    expect(run.err).not.toMatch(/\n\s+at /)
    expect(existsSync(path.join(root, 'data'))).toBe(false)
  })

  it('start names a missing credential variable, and a refused identity, without the secret', async () => {
    const root = project({ '.env': 'WORKERS=3\n' })
    const missing = await runCli(root, ['start', '--port', '0'], { ...credentials(), INFISICAL_CLIENT_SECRET: undefined, KOYA_ENV: 'production' })
    expect(missing.code).toBe(1)
    expect(missing.err).toContain('KL_ENV_MISSING Environment variable INFISICAL_CLIENT_SECRET is not set (used by secrets.clientSecret)')
    const wrong = await runCli(root, ['start', '--port', '0'], { ...credentials(), INFISICAL_CLIENT_SECRET: 'wrong-secret-abcdef', KOYA_ENV: 'production' })
    expect(wrong.code).toBe(1)
    expect(wrong.err).toContain('KL_ENV_SECRETS_REFUSED')
    expect(wrong.err).not.toContain('wrong-secret-abcdef')
  })

  it('a refresh updates the environment object the server holds, unless the new values fail their checks', async () => {
    const root = project({ '.env': 'WORKERS=3\n' })
    const processEnv = { ...credentials(), KOYA_ENV: 'production' }
    const loaded = await withSecrets(processEnv, withEnvFiles(io(root, processEnv), { dev: false }), { dev: false })
    const held = loaded.env
    const events: SecretsRefreshEvent[] = []
    const refresh = loaded.secrets!.startRefresh((event) => events.push(event))!
    try {
      infisical.folders.set('prod:/api', { secrets: { STRIPE_KEY: 'sk_rotated' } })
      await refresh.refreshNow()
      expect([held.STRIPE_KEY, held.WEBHOOK_URL]).toEqual(['sk_rotated', undefined])
      infisical.folders.set('prod:/api', { secrets: { STRIPE_KEY: 'not-a-stripe-key' } })
      await refresh.refreshNow()
      expect(held.STRIPE_KEY).toBe('sk_rotated')
      expect(events.map((e) => (e.kind === 'applied' ? `applied ${e.changed.join(',')}` : `${e.error.code} ${e.error.message}`))).toEqual([
        'applied STRIPE_KEY,WEBHOOK_URL',
        expect.stringMatching(/^KL_ENV_INVALID The refreshed secrets were not applied: Environment variable STRIPE_KEY does not match its pattern/),
      ])
      expect(JSON.stringify(events)).not.toContain('not-a-stripe-key')
    } finally {
      refresh.stop()
      infisical.folders.set('prod:/api', { secrets: { STRIPE_KEY: 'sk_from_infisical', WEBHOOK_URL: 'https://hooks.example.com/1' } })
    }
  })
})

describe('koyalite start (a real process) with its service key in Infisical', () => {
  const scratch = scratchProject('minimal', 'secrets')
  afterAll(() => scratch.remove())

  it('serves with the secret read at start', async () => {
    writeFileSync(
      path.join(scratch.root, 'koyalite.ts'),
      `import { defineConfig, env, table, t } from 'koyalite'
export const todos = table('todos', { title: t.text().min(1).max(140) })
export default defineConfig({
  name: 'minimal',
  tables: { todos },
  secrets: { provider: 'infisical', siteUrl: env('INFISICAL_SITE_URL'), projectId: '${infisical.projectId}', clientId: env('INFISICAL_CLIENT_ID'), clientSecret: env('INFISICAL_CLIENT_SECRET'), environment: 'prod', path: '/service' },
})
`,
    )
    const generate = await runCli(scratch.root, ['generate'])
    expect(generate.code, generate.err).toBe(0)
    const serviceKey = 'svc_'.padEnd(40, 'k')
    infisical.folders.set('prod:/service', { secrets: { KOYA_SERVICE_KEY: serviceKey } })
    const { child, match, output } = await startProcess(
      'env',
      [...Object.entries(credentials()).map(([k, v]) => `${k}=${v}`), `KOYA_DB=${path.join(scratch.root, 'data', 'koya.db')}`, process.execPath, path.join(repoRoot, 'bin', 'koyalite.js'), 'start', '--port', '0'],
      scratch.root,
      /serving (http:\/\/127\.0\.0\.1:\d+)/,
    )
    try {
      const url = match[1]!
      expect(output()).toContain(`1 secret(s) from infisical ${infisical.url}`)
      const create = (token?: string) => fetch(`${url}/api/todos`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify({ title: 'from the service' }) })
      expect((await create(serviceKey)).status).toBe(201)
      expect((await create()).status).not.toBe(201)
      expect(output()).not.toContain(serviceKey)
    } finally {
      const exited = exitOf(child)
      child.kill('SIGTERM')
      await exited
    }
  }, 120_000)
})
