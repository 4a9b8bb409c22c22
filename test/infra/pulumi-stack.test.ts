import * as pulumi from '@pulumi/pulumi'
import { afterAll, describe, expect, it } from 'vitest'
import { allSecrets, container, containers, envOf, isSecretInput, letsencrypt, run, secretNames, valueOf } from './pulumi-run.ts'
import { ALL_FEATURES, NO_FEATURES, stackProject } from './stack-fixtures.ts'

describe('the Pulumi program (under pulumi.runtime.setMocks)', () => {
  const plain = stackProject(NO_FEATURES)
  const full = stackProject(ALL_FEATURES)
  afterAll(() => {
    plain.remove()
    full.remove()
  })

  it('provisions the network, the volumes, the API image and container, NGINX and certbot for an app without services', async () => {
    const { resources } = await run(plain.root, letsencrypt, secretNames)
    expect(containers(resources).map((c) => c.name).sort()).toEqual(['api', 'certbot', 'nginx'])
    expect(resources.filter((r) => r.type === 'docker:index/network:Network').map((r) => r.inputs.name)).toEqual(['koya-tasks-dev-net'])
    expect(resources.filter((r) => r.type === 'docker:index/volume:Volume').map((r) => r.inputs.name).sort()).toEqual(['koya-tasks-dev-acme', 'koya-tasks-dev-data', 'koya-tasks-dev-letsencrypt', 'koya-tasks-dev-tls'])
    const image = resources.find((r) => r.type === 'docker:index/image:Image')!
    expect(image.inputs.build.dockerfile).toBe(`${plain.root}/Dockerfile`)
    expect(image.inputs.build.context).toBe(plain.root)
    expect(image.inputs.imageName).toBe('koya-tasks-api:latest')
  })

  it('wires the API: on the network as "api", /data on the data volume, env from stack.json and config, restart, healthcheck, limits, no ports', async () => {
    const { resources } = await run(plain.root, letsencrypt, secretNames)
    const api = container(resources, 'api')
    expect(api.inputs.networksAdvanced).toEqual([{ name: 'koya-tasks-dev-net', aliases: ['api'] }])
    expect(api.inputs.volumes).toEqual([{ volumeName: 'koya-tasks-dev-data', containerPath: '/data' }])
    expect(envOf(api)).toEqual({
      GITHUB_CLIENT_ID: 'client-id',
      GITHUB_CLIENT_SECRET: 'github-secret',
      HOST: '0.0.0.0',
      KOYA_DB: '/data/koya.db',
      KOYA_PUBLIC_URL: 'https://app.example.com',
      KOYA_SERVICE_KEY: 'service-key',
      KOYA_TRUST_PROXY: '1',
      LOG_LEVEL: 'info',
      NODE_ENV: 'production',
      PORT: '3000',
    })
    expect(api.inputs).toMatchObject({ restart: 'unless-stopped', readOnly: true, init: true, memory: 1024, cpus: '1', stopSignal: 'SIGTERM' })
    expect(isSecretInput(api.inputs.envs)).toBe(true)
    expect(api.inputs.healthcheck.tests.join(' ')).toContain('http://127.0.0.1:3000/healthz')
    expect(api.inputs.ports ?? []).toEqual([])
  })

  it('publishes ports on NGINX only: 80 and 443', async () => {
    const { resources } = await run(full.root, allSecrets, secretNames)
    const publishing = containers(resources).filter((c) => (c.inputs.ports ?? []).length > 0)
    expect(publishing.map((c) => c.name)).toEqual(['nginx'])
    expect(publishing[0]!.inputs.ports).toEqual([
      { internal: 80, external: 80 },
      { internal: 443, external: 443 },
    ])
    const nginx = container(resources, 'nginx')
    expect(nginx.inputs.volumes).toContainEqual({ hostPath: `${full.root}/generated/infra/nginx.conf`, containerPath: '/etc/nginx/nginx.conf', readOnly: true })
    expect(nginx.inputs.volumes).toContainEqual({ volumeName: 'koya-tasks-dev-tls', containerPath: '/etc/nginx/tls' })
    const certbot = container(resources, 'certbot')
    expect(envOf(certbot)).toEqual({ KOYA_ACME_EMAIL: 'ops@example.com', KOYA_DOMAIN: 'app.example.com' })
    expect(certbot.inputs.volumes).toContainEqual({ volumeName: 'koya-tasks-dev-tls', containerPath: '/etc/nginx/tls' })
  })

  it('keeps secrets secret: the API environment and a provided certificate are secret outputs', async () => {
    const { stack } = await run(plain.root, { ...letsencrypt, tls: 'provided', tlsCertificate: 'CERT', tlsPrivateKey: 'KEY' }, [...secretNames, 'tlsCertificate', 'tlsPrivateKey'])
    expect(await pulumi.isSecret(stack.api.envs)).toBe(true)
    expect(stack.gateway.certbot).toBeUndefined()
    const uploads = stack.gateway.nginx.uploads as unknown as pulumi.Output<unknown>
    expect(await pulumi.isSecret(uploads)).toBe(true)
    const env = await valueOf(stack.api.envs)
    expect(env).toContain('GITHUB_CLIENT_SECRET=github-secret')
  })

  it('stops with the missing config named when a required secret is not set', async () => {
    const { GITHUB_CLIENT_SECRET: _, ...withoutSecret } = letsencrypt
    await expect(run(plain.root, withoutSecret, secretNames)).rejects.toThrow(/GITHUB_CLIENT_SECRET/)
  })

  it('follows stack.json: an app with a bucket on S3 gets SeaweedFS (and Weaviate, telemetry when they are on); one without does not', async () => {
    const without = await run(plain.root, letsencrypt, secretNames)
    expect(containers(without.resources).map((c) => c.name)).not.toContain('seaweedfs')
    const withAll = await run(full.root, allSecrets, secretNames)
    expect(containers(withAll.resources).map((c) => c.name).sort()).toEqual(['api', 'certbot', 'grafana', 'loki', 'nginx', 'otel-collector', 'seaweedfs', 'weaviate'])
    const seaweed = container(withAll.resources, 'seaweedfs')
    expect(seaweed.inputs.networksAdvanced).toEqual([{ name: 'koya-tasks-dev-net', aliases: ['seaweedfs'] }])
    expect(seaweed.inputs.volumes).toEqual([{ volumeName: 'koya-tasks-dev-seaweedfs', containerPath: '/data' }])
    expect(envOf(seaweed)).toEqual({ AWS_ACCESS_KEY_ID: 's3-access', AWS_SECRET_ACCESS_KEY: 's3-secret' })
    const api = envOf(container(withAll.resources, 'api'))
    expect(api).toMatchObject({ KOYA_S3_ENDPOINT: 'http://seaweedfs:8333', KOYA_S3_ACCESS_KEY: 's3-access', KOYA_S3_SECRET_KEY: 's3-secret', KOYA_WEAVIATE_URL: 'http://weaviate:8080', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318' })
    const grafana = container(withAll.resources, 'grafana')
    expect(envOf(grafana)).toMatchObject({ GF_SERVER_ROOT_URL: 'https://app.example.com/grafana/', GF_SECURITY_ADMIN_PASSWORD: 'grafana-password' })
    expect(grafana.inputs.volumes).toContainEqual({ hostPath: `${full.root}/generated/infra/grafana/koyalite-dashboard.json`, containerPath: '/etc/grafana/dashboards/koyalite.json', readOnly: true })
    expect(await valueOf(pulumi.output(withAll.stack.outputs.grafanaUrl!))).toBe('https://app.example.com/grafana/')
    expect(without.stack.outputs.grafanaUrl).toBeUndefined()
  })

  it('runs a prebuilt image instead of building when apiImage is set (a rollback)', async () => {
    const { resources } = await run(plain.root, { ...letsencrypt, apiImage: 'registry.example.com/koya-tasks@sha256:abc' }, secretNames)
    expect(resources.some((r) => r.type === 'docker:index/image:Image')).toBe(false)
    expect(resources.find((r) => r.name === 'api-image')!.inputs.name).toBe('registry.example.com/koya-tasks@sha256:abc')
    expect(container(resources, 'api').inputs.image).toBe('sha256:registry.example.com/koya-tasks@sha256:abc')
  })
})

describe('infra/package.json', () => {
  it('pins the Pulumi packages at the versions the tests run (the root devDependencies)', async () => {
    const { readFileSync } = await import('node:fs')
    const root = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { devDependencies: Record<string, string> }
    const infra = JSON.parse(readFileSync(new URL('../../infra/package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> }
    expect(Object.keys(infra.dependencies).sort()).toEqual(['@pulumi/docker', '@pulumi/pulumi'])
    for (const [name, version] of Object.entries(infra.dependencies)) {
      expect(version, name).toMatch(/^\d+\.\d+\.\d+$/)
      expect(root.devDependencies[name], name).toBe(version)
    }
  })
})
