import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { allSecrets, containers, envOf, run, secretNames, type Registered } from './pulumi-run.ts'
import { ALL_FEATURES, NO_FEATURES, stackProject } from './stack-fixtures.ts'
import type { StackFeatures } from '../../engine/codegen/stack/stack-features.ts'

interface ComposeService {
  image?: string
  build?: { context: string; dockerfile: string }
  environment?: Record<string, string>
  volumes?: string[]
  ports?: string[]
  profiles?: string[]
}
interface ComposeFile {
  name: string
  services: Record<string, ComposeService>
  volumes: Record<string, unknown>
  networks: Record<string, unknown>
}

/** The same stack as the Pulumi program sees it and as the compose file describes it. */
async function bothSides(features: StackFeatures) {
  const project = stackProject(features)
  const compose = parse(readFileSync(path.join(project.root, 'generated/infra/docker-compose.yml'), 'utf8')) as ComposeFile
  const { resources } = await run(project.root, allSecrets, secretNames)
  return { project, compose, resources }
}

const PREFIX = 'koya-tasks-dev-'
const imageOf = (resources: Registered[], container: Registered) => resources.find((r) => r.name === `${container.name}-image`)?.inputs.name

describe('generated/infra/docker-compose.yml describes the stack the Pulumi program provisions', () => {
  const projects: { remove(): void }[] = []
  afterAll(() => projects.forEach((p) => p.remove()))

  for (const [label, features] of [
    ['an app without services', NO_FEATURES],
    ['an app with S3 storage, Weaviate and telemetry', ALL_FEATURES],
  ] as const) {
    it(`has the same services, images, volumes, mounts, env names and ports: ${label}`, async () => {
      const { project, compose, resources } = await bothSides(features)
      projects.push(project)
      const pulumiContainers = containers(resources)
      expect(Object.keys(compose.services).sort()).toEqual(pulumiContainers.map((c) => c.name).sort())
      expect(Object.keys(compose.volumes).sort()).toEqual(resources.filter((r) => r.type === 'docker:index/volume:Volume').map((r) => String(r.inputs.name).slice(PREFIX.length)).sort())
      expect(compose.name).toBe('koya-tasks')
      for (const container of pulumiContainers) {
        const service = compose.services[container.name]!
        if (container.name === 'api') {
          const image = resources.find((r) => r.type === 'docker:index/image:Image')!
          expect(path.resolve(project.root, 'generated/infra', service.build!.context)).toBe(image.inputs.build.context)
          expect(path.join(path.resolve(project.root, 'generated/infra', service.build!.context), service.build!.dockerfile)).toBe(image.inputs.build.dockerfile)
        } else {
          expect(service.image, container.name).toBe(imageOf(resources, container))
        }
        expect(Object.keys(service.environment ?? {}).sort(), `${container.name} env`).toEqual(Object.keys(container.inputs.envs ? envOf(container) : {}).sort())
        const pulumiMounts = (container.inputs.volumes ?? []).map((v: { volumeName?: string; hostPath?: string; containerPath: string; readOnly?: boolean }) =>
          v.volumeName ? `${v.volumeName.slice(PREFIX.length)}:${v.containerPath}${v.readOnly ? ':ro' : ''}` : `${path.relative(project.root, v.hostPath!)}:${v.containerPath}:ro`,
        )
        const composeMounts = (service.volumes ?? []).map((m) => (m.startsWith('./') ? `generated/infra/${m.slice(2)}` : m))
        expect(composeMounts.sort(), `${container.name} mounts`).toEqual(pulumiMounts.sort())
        expect((service.ports ?? []).length > 0, `${container.name} ports`).toBe((container.inputs.ports ?? []).length > 0)
      }
      expect(compose.services.nginx!.ports).toEqual(['80:80', '443:443'])
      expect(compose.services.certbot!.profiles).toEqual(['letsencrypt'])
    })
  }

  it('keeps shell variables literal ($$) and fills in only the env file values', async () => {
    const project = stackProject(NO_FEATURES)
    projects.push(project)
    const text = readFileSync(path.join(project.root, 'generated/infra/docker-compose.yml'), 'utf8')
    const compose = parse(text) as ComposeFile
    expect(compose.services.nginx!).toMatchObject({ entrypoint: ['/bin/sh', '-c'] })
    const command = (compose.services.nginx as { command: string[] }).command[0]!
    expect(command).toContain('until [ -s "$$cert" ]')
    expect(command.replace(/\$\$/g, '')).not.toMatch(/\$/)
    expect(compose.services.api!.environment!.GITHUB_CLIENT_SECRET).toBe('${GITHUB_CLIENT_SECRET:?GITHUB_CLIENT_SECRET is required (docs/deploy.md)}')
  })
})
