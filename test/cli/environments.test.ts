import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { compileDefinition } from '../../engine/compiler/index.ts'
import { defineConfig, env, t, table } from '../../engine/dsl/index.ts'
import { KoyaErrorList } from '../../engine/shared/errors.ts'
import { runCli } from '../helpers/cli.ts'

const notes = table('notes', { id: t.id(), body: t.text() })

const config = defineConfig({
  name: 'env-app',
  tables: { notes },
  auth: { oauth: { github: { clientId: env('GITHUB_CLIENT_ID'), clientSecret: env('GITHUB_CLIENT_SECRET', z.string().min(20)) } } },
  env: [
    env('WORKERS', z.coerce.number().int().min(1)),
    env('SENTRY_DSN', z.url().optional()),
    env('MODE', z.enum(['fast', 'safe'])),
    env('FEATURE_X', z.stringbool().optional()),
  ],
  http: { cors: { origins: ['https://app.example.com'] } },
  environments: { production: { http: { cors: { origins: ['https://example.com'] } } } },
})

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** A project directory holding only generated/model.json (what start and env read), and .env files. */
function project(files: Record<string, string> = {}): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'koya-env-'))
  dirs.push(root)
  mkdirSync(path.join(root, 'generated'))
  writeFileSync(path.join(root, 'generated', 'model.json'), JSON.stringify(compileDefinition(config)))
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(root, name), text)
  return root
}

const GOOD = { GITHUB_CLIENT_SECRET: 'x'.repeat(24), WORKERS: '4', MODE: 'fast' }

describe('env(name, schema) declarations', () => {
  it('are collected at generate time into model.json with their JSON Schema and where they are used', () => {
    const ir = compileDefinition(config)
    expect(ir.env?.map((v) => [v.name, v.required])).toEqual([
      ['FEATURE_X', false],
      ['GITHUB_CLIENT_ID', false],
      ['GITHUB_CLIENT_SECRET', true],
      ['MODE', true],
      ['SENTRY_DSN', false],
      ['WORKERS', true],
    ])
    expect(ir.env?.find((v) => v.name === 'WORKERS')).toEqual({ name: 'WORKERS', required: true, schema: { maximum: Number.MAX_SAFE_INTEGER, minimum: 1, type: 'integer' }, usedBy: ['env[0]'] })
    expect(ir.env?.find((v) => v.name === 'GITHUB_CLIENT_SECRET')?.usedBy).toEqual(['auth.oauth.github.clientSecret'])
    expect(ir.http?.cors.origins).toEqual(['https://app.example.com'])
    expect(ir.environments?.production?.http?.cors.origins).toEqual(['https://example.com'])
  })

  it('a schema start cannot check, and one name with two schemas, are generate-time problems', () => {
    const bad = defineConfig({ name: 'bad', tables: { notes }, env: [env('A', z.object({ x: z.string() })), env('B', z.string()), env('B', z.string().min(3))] })
    const problems = (() => {
      try {
        compileDefinition(bad)
        return []
      } catch (error) {
        return (error as KoyaErrorList).errors.map((e) => e.message)
      }
    })()
    expect(problems.some((m) => m.includes("env('A') has a schema start cannot check"))).toBe(true)
    expect(problems.some((m) => m.includes("env('B') is declared with two different schemas"))).toBe(true)
  })
})

describe('koyalite env check | list, koyalite start', () => {
  it('check reports every missing or invalid variable at once, coded, without values or a stack', async () => {
    const root = project()
    const run = await runCli(root, ['env', 'check'], { GITHUB_CLIENT_SECRET: 'short-secret-value', WORKERS: 'many', FEATURE_X: 'perhaps' })
    expect(run.code).toBe(1)
    expect(run.err).toContain('KL_ENV_INVALID Environment variable GITHUB_CLIENT_SECRET is shorter than 20 characters')
    expect(run.err).toContain('KL_ENV_INVALID Environment variable WORKERS is not a number')
    expect(run.err).toContain('KL_ENV_INVALID Environment variable FEATURE_X is not a boolean')
    expect(run.err).toContain('KL_ENV_MISSING Environment variable MODE is not set')
    expect(run.err).toContain('4 problems.')
    expect(run.err).not.toContain('short-secret-value')
    expect(run.err).not.toContain('perhaps')
    expect(run.err).not.toMatch(/\n\s+at /)
  })

  it('start refuses to start with the same report, before opening the database', async () => {
    const root = project()
    const run = await runCli(root, ['start', '--port', '0'], { WORKERS: '0' })
    expect(run.code).toBe(1)
    expect(run.err).toContain('KL_ENV_INVALID Environment variable WORKERS is below 1')
    expect(run.err).toContain('KL_ENV_MISSING Environment variable GITHUB_CLIENT_SECRET is not set')
    expect(run.err).toContain('KL_ENV_MISSING Environment variable MODE is not set')
  })

  it('KOYA_ENV selects .env.<env>; .env.local wins over it, the process environment over every file', async () => {
    const root = project({
      '.env': 'WORKERS=2\nMODE=fast\nGITHUB_CLIENT_SECRET=from-dot-env-file-0000\n',
      '.env.staging': 'MODE=slow\n',
      '.env.production': 'MODE=safe\n',
      '.env.local': 'SENTRY_DSN=https://sentry.example.com/1\n',
    })
    // staging's file sets an invalid MODE; production's a valid one.
    const staging = await runCli(root, ['env', 'check'], { KOYA_ENV: 'staging' })
    expect(staging.code).toBe(1)
    expect(staging.err).toContain('MODE is not one of fast, safe')
    const production = await runCli(root, ['env', 'check'], { KOYA_ENV: 'production' })
    expect(production.code, production.err).toBe(0)
    expect(production.out).toContain('production (.env, .env.production, .env.local)')
    const overridden = await runCli(root, ['env', 'check'], { KOYA_ENV: 'production', WORKERS: 'none' })
    expect(overridden.err).toContain('WORKERS is not a number')
  })

  it('list shows names and whether each is set, never a value', async () => {
    const root = project({ '.env': `GITHUB_CLIENT_SECRET=${GOOD.GITHUB_CLIENT_SECRET}\n` })
    const run = await runCli(root, ['env', 'list'], { WORKERS: '4', MODE: 'fast', KOYA_ENV: 'test' })
    expect(run.code).toBe(0)
    const line = (name: string) => run.out.split('\n').find((l) => l.trim().startsWith(name)) ?? ''
    expect(line('GITHUB_CLIENT_SECRET')).toMatch(/set\s+required\s+auth\.oauth\.github\.clientSecret/)
    expect(line('GITHUB_CLIENT_ID')).toMatch(/unset\s+optional/)
    expect(line('MODE')).toMatch(/set\s+required/)
    expect(line('SENTRY_DSN')).toMatch(/unset\s+optional/)
    expect(run.out).not.toContain(GOOD.GITHUB_CLIENT_SECRET)
    expect(run.out).toContain('(test; .env)')
  })
})
