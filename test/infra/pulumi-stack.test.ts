import * as pulumi from '@pulumi/pulumi'
import { afterAll, describe, expect, it } from 'vitest'
import { allSecrets, container, containers, envOf, isSecretInput, letsencrypt, PROJECT, run, secretNames, valueOf } from './pulumi-run.ts'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'
import { repoRoot } from '../helpers/paths.ts'
import { ALL_FEATURES, NO_FEATURES, stackProject } from './stack-fixtures.ts'

const resourcesNamed = (resources: { type: string; inputs: Record<string, any> }[], type: string) => resources.filter((r) => r.type === type).map((r) => String(r.inputs.name)).sort()

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
    // By digest: a rebuild under the same tag replaces the container.
    expect(container(resources, 'api').inputs.image).toBe('koya-tasks-api@sha256:feed')
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
    for (const c of containers(resources)) expect(c.inputs.networksAdvanced[0].name, c.name).toBe('koya-tasks-dev-net')
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
    // Without S3 the API keeps the embedded default: the local driver under the data volume.
    expect(Object.keys(envOf(container(without.resources, 'api'))).filter((name) => name.startsWith('KOYA_S3_') || name === 'KOYA_STORAGE_DRIVER')).toEqual([])
    const withAll = await run(full.root, allSecrets, secretNames)
    expect(containers(withAll.resources).map((c) => c.name).sort()).toEqual(['api', 'certbot', 'grafana', 'litestream', 'loki', 'nginx', 'otel-collector', 'seaweedfs', 'weaviate'])
    // Litestream (database.replicate) reads the API's own data volume and its generated config.
    const litestream = container(withAll.resources, 'litestream')
    expect(litestream.inputs.volumes).toContainEqual({ volumeName: 'koya-tasks-dev-data', containerPath: '/data' })
    expect(litestream.inputs.volumes).toContainEqual({ hostPath: `${full.root}/generated/infra/litestream.yml`, containerPath: '/etc/litestream.yml', readOnly: true })
    expect(envOf(litestream)).toEqual({ KOYA_REPLICA_ENDPOINT: 'http://seaweedfs:8333', KOYA_REPLICA_URL: 's3://koya-replica/koya.db', LITESTREAM_ACCESS_KEY_ID: 'replica-access', LITESTREAM_SECRET_ACCESS_KEY: 'replica-secret' })
    const config = parse(readFileSync(`${full.root}/generated/infra/litestream.yml`, 'utf8')) as { dbs: { path: string; replicas: { url: string; endpoint: string }[] }[] }
    expect(config.dbs).toEqual([{ path: '/data/koya.db', replicas: [expect.objectContaining({ url: '${KOYA_REPLICA_URL}', endpoint: '${KOYA_REPLICA_ENDPOINT}' })] }])
    const seaweed = container(withAll.resources, 'seaweedfs')
    expect(seaweed.inputs.networksAdvanced).toEqual([{ name: 'koya-tasks-dev-net', aliases: ['seaweedfs'] }])
    expect(seaweed.inputs.volumes).toEqual([{ volumeName: 'koya-tasks-dev-seaweedfs', containerPath: '/data' }])
    expect(envOf(seaweed)).toEqual({ AWS_ACCESS_KEY_ID: 's3-access', AWS_SECRET_ACCESS_KEY: 's3-secret' })
    const api = envOf(container(withAll.resources, 'api'))
    expect(api).toMatchObject({ KOYA_STORAGE_DRIVER: 's3', KOYA_S3_ENDPOINT: 'http://seaweedfs:8333', KOYA_S3_BUCKET: 'koyalite', KOYA_S3_FORCE_PATH_STYLE: 'true', KOYA_S3_REGION: 'us-east-1', KOYA_S3_ACCESS_KEY_ID: 's3-access', KOYA_S3_SECRET_ACCESS_KEY: 's3-secret', KOYA_WEAVIATE_URL: 'http://weaviate:8080', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318' })
    const grafana = container(withAll.resources, 'grafana')
    expect(envOf(grafana)).toMatchObject({ GF_SERVER_ROOT_URL: 'https://app.example.com/grafana/', GF_SECURITY_ADMIN_PASSWORD: 'grafana-password' })
    expect(grafana.inputs.volumes).toContainEqual({ hostPath: `${full.root}/generated/infra/grafana/koyalite-dashboard.json`, containerPath: '/etc/grafana/dashboards/koyalite.json', readOnly: true })
    expect(await valueOf(pulumi.output(withAll.stack.outputs.grafanaUrl!))).toBe('https://app.example.com/grafana/')
    expect(without.stack.outputs.grafanaUrl).toBeUndefined()
  })

  it('reads small hand-written stack files: with a bucket on S3 there is SeaweedFS, without it there is none', async () => {
    const fixtures = path.join(repoRoot, 'test', 'infra', 'fixtures')
    const config = { domain: 'tiny.example.com', tls: 'provided', tlsCertificate: 'CERT', tlsPrivateKey: 'KEY', stackFile: '', KOYA_S3_SECRET_ACCESS_KEY: 'tiny-secret' }
    const secrets = ['tlsCertificate', 'tlsPrivateKey', 'KOYA_S3_SECRET_ACCESS_KEY']
    const minimal = await run(fixtures, { ...config, stackFile: 'minimal.json' }, secrets)
    expect(containers(minimal.resources).map((c) => c.name).sort()).toEqual(['api', 'nginx'])
    expect(envOf(container(minimal.resources, 'api'))).toEqual({ KOYA_PUBLIC_URL: 'https://tiny.example.com', NODE_ENV: 'production' })
    const withS3 = await run(fixtures, { ...config, stackFile: 'with-s3.json' }, secrets)
    expect(containers(withS3.resources).map((c) => c.name).sort()).toEqual(['api', 'nginx', 'seaweedfs'])
    expect(envOf(container(withS3.resources, 'seaweedfs'))).toEqual({ AWS_SECRET_ACCESS_KEY: 'tiny-secret' })
    expect(isSecretInput(container(withS3.resources, 'seaweedfs').inputs.envs)).toBe(true)
    expect(resourcesNamed(withS3.resources, 'docker:index/volume:Volume')).toEqual(['tiny-dev-acme', 'tiny-dev-data', 'tiny-dev-letsencrypt', 'tiny-dev-seaweedfs', 'tiny-dev-tls'])
    await expect(run(fixtures, { ...config, stackFile: 'missing.json' }, secrets)).rejects.toThrow(/run `npx koyalite generate`/)
  })

  it('runs a prebuilt image instead of building when apiImage is set (a rollback)', async () => {
    const { resources } = await run(plain.root, { ...letsencrypt, apiImage: 'registry.example.com/koya-tasks@sha256:abc' }, secretNames)
    expect(resources.some((r) => r.type === 'docker:index/image:Image')).toBe(false)
    expect(resources.find((r) => r.name === 'api-image')!.inputs.name).toBe('registry.example.com/koya-tasks@sha256:abc')
    expect(container(resources, 'api').inputs.image).toBe('sha256:registry.example.com/koya-tasks@sha256:abc')
  })
})

describe('the infra/ project files', () => {
  it('pins the Pulumi packages at the versions the tests run (the root devDependencies)', () => {
    const root = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { devDependencies: Record<string, string> }
    const infra = JSON.parse(readFileSync(new URL('../../infra/package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> }
    expect(Object.keys(infra.dependencies).sort()).toEqual(['@pulumi/docker', '@pulumi/pulumi'])
    for (const [name, version] of Object.entries(infra.dependencies)) {
      expect(version, name).toMatch(/^\d+\.\d+\.\d+$/)
      expect(root.devDependencies[name], name).toBe(version)
    }
  })

  it('names the project as the program reads its config, and each example environment sets only known keys', () => {
    const read = (file: string) => parse(readFileSync(path.join(repoRoot, 'infra', file), 'utf8'))
    expect(read('Pulumi.yaml')).toMatchObject({ name: PROJECT, runtime: { name: 'nodejs' }, main: 'index.ts' })
    const reference = JSON.parse(readFileSync(path.join(repoRoot, 'generated', 'stack.json'), 'utf8')) as { api: { config: { name: string; secret: boolean; required: boolean }[] } }
    const settings = ['domain', 'tls', 'acmeEmail', 'tlsCertificate', 'tlsPrivateKey', 'apiImage', 'imageTag', 'apiMemoryMb', 'apiCpus', 'httpPort', 'httpsPort', 'stackFile']
    for (const [file, tls] of [['Pulumi.dev.yaml', 'provided'], ['Pulumi.prod.yaml', 'letsencrypt']] as const) {
      const config = read(file).config as Record<string, string>
      const keys = Object.keys(config).map((key) => {
        expect(key.startsWith(`${PROJECT}:`), key).toBe(true)
        return key.slice(PROJECT.length + 1)
      })
      for (const key of keys) expect([...settings, ...reference.api.config.map((e) => e.name)], `${file}: ${key}`).toContain(key)
      expect(config[`${PROJECT}:tls`]).toBe(tls)
      // Secrets are set with --secret, never written in the example; the plain required ones are there.
      for (const env of reference.api.config) expect(keys.includes(env.name), `${file}: ${env.name}`).toBe(!env.secret && env.required)
    }
  })
})

describe('the infra/ program as Pulumi runs it', () => {
  it('type-checks as CommonJS with infra/tsconfig.json', () => {
    const tsc = spawnSync(process.execPath, [path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(repoRoot, 'infra'), '--noEmit'], { encoding: 'utf8', timeout: 120_000 })
    expect(`${tsc.stdout}${tsc.stderr}`).toBe('')
    expect(tsc.status).toBe(0)
  }, 130_000)
})
