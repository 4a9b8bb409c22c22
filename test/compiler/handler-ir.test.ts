import { describe, expect, it } from 'vitest'
import { compileDefinition, parseDuration, parseDurationMs } from '../../engine/compiler/index.ts'
import { defineConfig, env, fn, job, table, t, webhook } from '../../engine/dsl/index.ts'
import { KoyaErrorList } from '../../engine/shared/errors.ts'

const tasks = table('tasks', { title: t.text() })
const noop = async () => {}

function errorsOf(build: () => unknown): string[] {
  try {
    build()
  } catch (error) {
    if (error instanceof KoyaErrorList) return error.errors.map((e) => `${e.code} ${e.message}`)
    throw error
  }
  return []
}

describe('jobs, webhooks and functions in the IR', () => {
  it('are sorted by name, with durations in ms and retry as declared', () => {
    const ir = compileDefinition(
      defineConfig({
        name: 'app',
        tables: { tasks },
        jobs: {
          zeta: job({ cron: '*/10 * * * * *', retries: 2, run: noop }),
          alpha: job({ timeout: '500ms', concurrency: 2, retry: { initialDelay: '10s', maxDelay: '1h' }, run: noop }),
        },
      }),
    )
    expect(ir.jobs).toEqual([
      { name: 'alpha', cron: null, timezone: null, retry: { attempts: null, initialDelayMs: 10_000, maxDelayMs: 3_600_000 }, timeoutMs: 500, concurrency: 2 },
      { name: 'zeta', cron: '*/10 * * * * *', timezone: null, retry: { attempts: 3, initialDelayMs: null, maxDelayMs: null }, timeoutMs: null, concurrency: null },
    ])
  })

  it("carry a job's rate limits in ms, of the whole job and per key, and refuse half a limit", () => {
    const config = (rateLimit: Parameters<typeof job>[0]['rateLimit']) => defineConfig({ name: 'app', tables: { tasks }, jobs: { sync: job({ rateLimit, run: noop }) } })
    expect(compileDefinition(config({ max: 100, per: '1m', perKey: { max: 5, per: '10s' } })).jobs![0]!.rateLimit).toEqual({ kind: { max: 100, perMs: 60_000 }, perKey: { max: 5, perMs: 10_000 } })
    expect(compileDefinition(config({ perKey: { max: 1, per: '1s' } })).jobs![0]!.rateLimit).toEqual({ kind: null, perKey: { max: 1, perMs: 1000 } })
    expect(errorsOf(() => compileDefinition(config({ max: 3 })))).toEqual([expect.stringMatching(/^KL_DEF_INVALID .*both max and per/)])
    expect(errorsOf(() => compileDefinition(config({})))).toEqual([expect.stringMatching(/^KL_DEF_INVALID .*perKey/)])
    expect(errorsOf(() => compileDefinition(config({ max: 0, per: '1s' })))).toEqual([expect.stringMatching(/^KL_DEF_INVALID .*above 0/)])
  })

  it('are left out of a project that has none', () => {
    const ir = compileDefinition(defineConfig({ name: 'app', tables: { tasks }, jobs: {} }))
    expect(Object.keys(ir)).not.toContain('jobs')
    expect(Object.keys(ir)).not.toContain('webhooks')
    expect(Object.keys(ir)).not.toContain('functions')
  })

  it('give a webhook a secret from the environment, its operations sorted once each', () => {
    const ir = compileDefinition(
      defineConfig({
        name: 'app',
        tables: { tasks },
        webhooks: {
          taskDone: webhook({ table: 'tasks', on: ['update', 'create', 'update'], url: env('HOOK_URL'), transform: (e) => e.record }),
          audit: webhook({ table: 'tasks', on: ['delete'], url: 'https://audit.example.com', secret: env('AUDIT_SECRET'), retry: { attempts: 2 } }),
        },
      }),
    )
    expect(ir.webhooks).toEqual([
      { name: 'audit', table: 'tasks', on: ['delete'], url: { value: 'https://audit.example.com' }, secret: { env: 'AUDIT_SECRET' }, hasFilter: false, hasTransform: false, retry: { attempts: 2, initialDelayMs: null, maxDelayMs: null } },
      { name: 'taskDone', table: 'tasks', on: ['create', 'update'], url: { env: 'HOOK_URL' }, secret: { env: 'KOYA_WEBHOOK_TASK_DONE_SECRET' }, hasFilter: false, hasTransform: true, retry: null },
    ])
  })

  it('describe a function with JSON Schemas of its zod input and output, sizes in bytes', async () => {
    const { z } = await import('zod')
    const ir = compileDefinition(
      defineConfig({
        name: 'app',
        tables: { tasks },
        functions: { checkout: fn({ file: './functions/checkout.ts', input: z.object({ planId: z.string() }), allowNet: ['b.example.com', 'a.example.com:8443', 'b.example.com'], env: ['B', 'A'], timeout: '10s', memory: '64MB' }) },
      }),
    )
    expect(ir.functions).toEqual([
      {
        name: 'checkout',
        file: 'functions/checkout.ts',
        bundle: 'generated/functions/checkout.js',
        input: { type: 'object', properties: { planId: { type: 'string' } }, required: ['planId'], additionalProperties: false },
        output: null,
        auth: 'user',
        allowNet: ['a.example.com:8443', 'b.example.com'],
        env: ['A', 'B'],
        timeoutMs: 10_000,
        memoryBytes: 64 * 2 ** 20,
      },
    ])
  })

  it('report every problem at once', () => {
    const errors = errorsOf(() =>
      compileDefinition(
        defineConfig({
          name: 'app',
          tables: { tasks },
          jobs: { a: job({ cron: '0 25 * * *', run: noop }), b: job({ timezone: 'Nowhere/City', run: noop }), c: job({ retries: 1, retry: { attempts: 3 }, run: noop }) },
          webhooks: { w: webhook({ table: 'tasks', on: ['update'], url: 'ftp://example.com', secret: 'inline' }) },
          functions: { f: fn({ file: '../outside.ts', allowNet: ['https://api.example.com/'] }), g: fn({ file: 'functions/readme.md' }) },
        }),
      ),
    )
    expect(errors.map((e) => e.split(' ')[0])).toEqual(['KL_DEF_CRON', 'KL_DEF_CRON', 'KL_DEF_INVALID', 'KL_DEF_INVALID', 'KL_DEF_INVALID', 'KL_DEF_FUNCTION_FILE', 'KL_DEF_INVALID', 'KL_DEF_FUNCTION_FILE'])
    expect(errors[0]).toContain('Invalid value for hour')
    expect(errors[2]).toContain('both retries and retry.attempts')
  })
})

describe('email in the IR', () => {
  it('keeps the sender, the key\'s variable and the retry schedule; absent when not configured', () => {
    const ir = compileDefinition(defineConfig({ name: 'app', tables: { tasks }, email: { from: 'App <app@example.com>', apiKey: env('RESEND_API_KEY'), retry: { attempts: 4, initialDelay: '500ms' } } }))
    expect(ir.email).toEqual({ from: 'App <app@example.com>', provider: 'resend', apiKey: { env: 'RESEND_API_KEY' }, retry: { attempts: 4, initialDelayMs: 500, maxDelayMs: null } })
    expect(Object.keys(compileDefinition(defineConfig({ name: 'app', tables: { tasks } })))).not.toContain('email')
  })

  it('refuses an inline API key and an unknown provider', () => {
    const inline = errorsOf(() => compileDefinition(defineConfig({ name: 'app', tables: { tasks }, email: { from: 'a@example.com', apiKey: 're_secret' as never } })))
    expect(inline).toEqual([expect.stringMatching(/^KL_DEF_INVALID email.apiKey is written inline/)])
    const provider = errorsOf(() => compileDefinition(defineConfig({ name: 'app', tables: { tasks }, email: { from: 'a@example.com', provider: 'smtp' as never } })))
    expect(provider[0]).toMatch(/^KL_DEF_INVALID .*email\.provider/)
  })
})

describe('durations', () => {
  it('are milliseconds for handlers and whole seconds for sessions', () => {
    expect(['500ms', '10s', '30m', '2h', '1d'].map(parseDurationMs)).toEqual([500, 10_000, 1_800_000, 7_200_000, 86_400_000])
    expect(parseDuration('30m')).toBe(1800)
    expect(() => parseDuration('500ms')).toThrow(RangeError)
    expect(() => parseDurationMs('1.5s')).toThrow(RangeError)
  })
})
