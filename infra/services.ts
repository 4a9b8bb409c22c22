import * as docker from '@pulumi/docker'
import * as pulumi from '@pulumi/pulumi'
import * as path from 'path'
import { logging, volumeOf, type Foundation } from './foundation'
import { envList, withDomain } from './settings'
import type { StackFile, StackService } from './stack-file'

/** The containers the app's features need (SeaweedFS, Weaviate, telemetry), as stack.json lists them. */
export function createServices(stack: StackFile, domain: string, secrets: ReadonlyMap<string, pulumi.Output<string>>, foundation: Foundation, projectRoot: string): Map<string, docker.Container> {
  return new Map(stack.services.map((service) => [service.name, createService(service, domain, secrets, foundation, projectRoot)]))
}

function createService(service: StackService, domain: string, secrets: ReadonlyMap<string, pulumi.Output<string>>, foundation: Foundation, projectRoot: string): docker.Container {
  const values: Record<string, pulumi.Input<string>> = {}
  for (const [name, value] of Object.entries(service.env)) values[name] = withDomain(value, domain)
  for (const [name, secret] of Object.entries(service.secretEnv)) {
    const value = secrets.get(secret)
    if (!value) throw new Error(`The service ${service.name} needs the secret ${secret}: pulumi config set --secret ${secret} <value>.`)
    values[name] = value
  }
  const image = new docker.RemoteImage(`${service.name}-image`, { name: service.image, keepLocally: true })
  return new docker.Container(service.name, {
    name: `${foundation.prefix}-${service.name}`,
    image: image.imageId,
    ...(service.command.length > 0 ? { command: [...service.command] } : {}),
    envs: envList(values),
    networksAdvanced: [{ name: foundation.network.name, aliases: [service.name] }],
    volumes: [
      ...service.volumes.map((v) => ({ volumeName: volumeOf(foundation, v.volume).name, containerPath: v.path })),
      ...service.files.map((f) => ({ hostPath: path.join(projectRoot, f.source), containerPath: f.path, readOnly: true })),
    ],
    restart: 'unless-stopped',
    memory: service.memoryMb,
    ...(service.healthcheck ? { healthcheck: { tests: ['CMD', ...service.healthcheck], interval: '30s', timeout: '5s', retries: 5 } } : {}),
    ...logging,
  })
}
