import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { buildStack } from '../../engine/codegen/stack/build-stack.ts'
import { emitStack } from '../../engine/codegen/stack/emit-stack.ts'
import { STACK_SERVICES } from '../../engine/codegen/stack/stack-services.ts'
import { stackFeaturesOf } from '../../engine/codegen/stack/stack-features.ts'
import { printYaml } from '../../engine/codegen/stack/yaml-printer.ts'
import type { ProjectIR } from '../../engine/ir/project-ir.ts'
import { ALL_FEATURES, NO_FEATURES, referenceIR } from '../infra/stack-fixtures.ts'

const withWebhooksAndFunctions: ProjectIR = {
  ...referenceIR,
  auth: { ...referenceIR.auth, publicUrl: { env: 'APP_URL' } },
  webhooks: [{ name: 'taskDone', table: 'tasks', on: ['update'], url: { env: 'HOOK_URL' }, secret: { env: 'HOOK_SECRET' }, hasFilter: false, hasTransform: false, retry: null }],
  functions: [{ name: 'checkout', file: 'functions/checkout.ts', bundle: 'generated/functions/checkout.js', input: null, output: null, auth: 'user', allowNet: [], env: ['GITHUB_CLIENT_ID', 'STRIPE_KEY'], timeoutMs: null, memoryBytes: null }],
}

describe('the stack emitter', () => {
  it('lists every env(…) name the app reads, secret by where it is used, each once', () => {
    const stack = buildStack(withWebhooksAndFunctions, NO_FEATURES)
    expect(stack.api.config.map((e) => [e.name, e.secret, e.required])).toEqual([
      ['APP_URL', false, true],
      ['GITHUB_CLIENT_ID', true, true], // a function's env is secret: the stricter use wins
      ['GITHUB_CLIENT_SECRET', true, true],
      ['HOOK_SECRET', true, true],
      ['HOOK_URL', false, true],
      ['KOYA_SERVICE_KEY', true, false],
      ['KOYA_TRUSTED_ORIGINS', false, false],
      ['STRIPE_KEY', true, true],
    ])
    expect(stack.api.config.find((e) => e.name === 'GITHUB_CLIENT_ID')!.usedBy).toBe('auth.oauth.github.clientId, functions.checkout.env')
  })

  it('reads no stack features from today’s IR, so the reference stack is the API behind NGINX', () => {
    expect(stackFeaturesOf(referenceIR)).toEqual(NO_FEATURES)
    const stack = buildStack(referenceIR, NO_FEATURES)
    expect(stack.services).toEqual([])
    expect(stack.secrets).toEqual([])
    expect(stack.volumes).toEqual(['acme', 'data', 'letsencrypt', 'tls'])
    expect(stack.gateway.routes.map((r) => `${r.path} ${r.bodyLimit}`)).toEqual(['/ 1m', '/api/ 1m', '/auth/ 64k', '/functions/ 6m', '/graphql 1m', '/realtime 64k', '/storage/ 50m'])
  })

  it('reads buckets and replication from the IR: SeaweedFS for an app with buckets, Litestream for database.replicate', () => {
    const ir = { ...referenceIR, buckets: [{ name: 'docs', maxSizeBytes: 5 * 1024 * 1024 }, { name: 'media', maxSizeBytes: 80 * 1024 * 1024 }], database: { encryption: null, replicate: 'litestream' } } as unknown as ProjectIR
    const features = stackFeaturesOf(ir)
    expect(features).toEqual({ ...NO_FEATURES, s3Buckets: ['docs', 'media'], maxUploadBytes: 80 * 1024 * 1024, replication: true })
    const stack = buildStack(ir, features)
    expect(stack.services.map((s) => s.name)).toEqual(['litestream', 'seaweedfs'])
    expect(stack.gateway.routes.find((r) => r.path === '/storage/')?.bodyLimit).toBe('81m')
    expect(stack.secrets.map((s) => s.name)).toEqual(expect.arrayContaining(['KOYA_REPLICA_URL', 'KOYA_REPLICA_ACCESS_KEY_ID', 'KOYA_S3_ACCESS_KEY_ID']))
  })

  it('adds each service whose predicate holds, with its volumes, secrets, API env, route and files', () => {
    const stack = buildStack(referenceIR, { ...NO_FEATURES, s3Buckets: ['attachments'], maxUploadBytes: 10 * 1024 * 1024 })
    expect(stack.services.map((s) => s.name)).toEqual(['seaweedfs'])
    expect(stack.volumes).toContain('seaweedfs')
    expect(stack.secrets.map((s) => s.name)).toEqual(['KOYA_S3_ACCESS_KEY_ID', 'KOYA_S3_SECRET_ACCESS_KEY'])
    expect(stack.api.config.map((s) => s.name)).toEqual(expect.arrayContaining(['KOYA_S3_ACCESS_KEY_ID', 'KOYA_S3_SECRET_ACCESS_KEY']))
    expect(stack.api.env.KOYA_S3_ENDPOINT).toBe('http://seaweedfs:8333')
    expect(stack.api.env.KOYA_STORAGE_DRIVER).toBe('s3')
    expect(stack.api.env.KOYA_S3_BUCKET).toBe('koyalite')
    expect(stack.gateway.routes.find((r) => r.path === '/storage/')!.bodyLimit).toBe('11m')

    const full = emitStack(referenceIR, 'koyalite.ts', ALL_FEATURES)
    expect(full.map((f) => f.path)).toEqual([
      'generated/infra/docker-compose.yml',
      'generated/infra/grafana/dashboards.yaml',
      'generated/infra/grafana/datasources.yaml',
      'generated/infra/grafana/koyalite-dashboard.json',
      'generated/infra/litestream.yml',
      'generated/infra/nginx.conf',
      'generated/infra/otel-collector.yaml',
      'generated/stack.json',
    ])
    const stackJson = JSON.parse(full.find((f) => f.path === 'generated/stack.json')!.contents)
    expect(stackJson.services.map((s: { name: string }) => s.name)).toEqual(['grafana', 'litestream', 'loki', 'otel-collector', 'seaweedfs', 'weaviate'])
    expect(stackJson.gateway.routes.map((r: { path: string }) => r.path)).toContain('/grafana/')
    const otel = parse(full.find((f) => f.path === 'generated/infra/otel-collector.yaml')!.contents)
    expect(otel.service.pipelines.logs.exporters).toEqual(['otlphttp/loki'])
    const dashboard = JSON.parse(full.find((f) => f.path.endsWith('koyalite-dashboard.json'))!.contents)
    expect(dashboard.panels.map((p: { targets: { expr: string }[] }) => p.targets[0]!.expr).join(' ')).toContain('service_name="koya-tasks"')
  })

  it('defines every service with a pinned image, mounts only listed volumes and files under generated/infra', () => {
    for (const [name, def] of Object.entries(STACK_SERVICES)) {
      expect(def.needed(NO_FEATURES), name).toBe(false)
      expect(def.needed(ALL_FEATURES), name).toBe(true)
      expect(def.service.image, name).toMatch(/:[0-9v][\w.-]*$/)
      expect(def.service.image, name).not.toMatch(/:latest$/)
      const emitted = (def.files?.('app') ?? []).map((f) => f.path).sort()
      expect(def.service.files.map((f) => f.source).sort(), name).toEqual(emitted)
      for (const secret of Object.values(def.service.secretEnv)) expect(def.secrets.map((s) => s.name), name).toContain(secret)
    }
  })

  it('is deterministic', () => {
    expect(emitStack(referenceIR, 'koyalite.ts', ALL_FEATURES)).toEqual(emitStack(referenceIR, 'koyalite.ts', ALL_FEATURES))
  })
})

describe('the YAML printer', () => {
  it('prints values a YAML parser reads back unchanged, strings never taken for other types', () => {
    const value = {
      plain: 'text',
      tricky: ['on', 'off', 'yes', '3.0', '010', '*', '&a', 'a: b', '#x', '- x', '', ' padded ', 'line\nbreak', '$HOME', 'null', '~', '"q"', "it's"],
      numbers: [0, 1.5, -2],
      flags: [true, false],
      nested: { list: [{ a: 'b', c: ['d'] }, []], empty: {}, 'key with space': 'v', '1': 'numeric key' },
      'top-level.key': [[['deep']]],
    }
    expect(parse(printYaml(value))).toEqual(value)
  })
})
