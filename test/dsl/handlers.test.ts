import { describe, expect, expectTypeOf, it } from 'vitest'
import { defineConfig, env, fn, job, table, t, webhook, type JobContext, type JobDef, type WebhookEvent } from 'koyalite'

const tasks = table('tasks', { title: t.text() })

describe('job(), webhook(), fn()', () => {
  it('make frozen definitions tagged with their kind, keeping every key for the compiler to check', () => {
    const digest = job({ cron: '0 8 * * *', retry: { attempts: 3 }, run: async () => {} })
    expect(digest.kind).toBe('job')
    expect(Object.isFrozen(digest)).toBe(true)
    expect(Object.isFrozen(digest.retry)).toBe(true)
    const hook = webhook({ table: 'tasks', on: ['update'], url: env('HOOK_URL') })
    expect(hook).toMatchObject({ kind: 'webhook', table: 'tasks', on: ['update'], url: { kind: 'env', name: 'HOOK_URL' } })
    expect(Object.isFrozen(hook.on)).toBe(true)
    const hello = fn({ file: 'functions/hello.ts', env: ['A'] })
    expect(hello).toMatchObject({ kind: 'function', file: 'functions/hello.ts', env: ['A'] })
    expect(Object.isFrozen(hello.env)).toBe(true)
    // A key the types refuse still reaches the compiler, which reports it.
    expect(job({ run: async () => {}, schedule: 'x' } as Parameters<typeof job>[0])).toHaveProperty('schedule', 'x')
  })

  it('defineConfig keeps jobs, webhooks and functions, frozen, and leaves out what was not given', () => {
    const digest = job({ run: async () => {} })
    const config = defineConfig({ name: 'app', tables: { tasks }, jobs: { digest } })
    expect(config.jobs).toEqual({ digest })
    expect(Object.isFrozen(config.jobs)).toBe(true)
    expect(config).not.toHaveProperty('webhooks')
    expect(config).not.toHaveProperty('functions')
  })

  it("types a job's payload from its run and ctx as JobContext", () => {
    const digest = job({ run: async (ctx, payload: { workspaceId: string }) => ctx.name + payload.workspaceId })
    expectTypeOf(digest).toEqualTypeOf<JobDef<{ workspaceId: string }>>()
    expectTypeOf(digest.run).parameter(0).toEqualTypeOf<JobContext>()
    expectTypeOf(digest.run).parameter(1).toEqualTypeOf<{ workspaceId: string }>()
    // @ts-expect-error: durations are strings with a unit
    job({ timeout: 10, run: async () => {} })
    // @ts-expect-error: an operation is create, update or delete
    webhook({ table: 'tasks', on: ['insert'], url: 'https://example.com' })
  })

  it('gives webhook filters and transforms the event', () => {
    webhook({
      table: 'tasks',
      on: ['create'],
      url: 'https://example.com',
      filter: (event) => {
        expectTypeOf(event).toEqualTypeOf<WebhookEvent>()
        return event.operation === 'create'
      },
    })
  })
})
