import * as docker from '@pulumi/docker'
import * as pulumi from '@pulumi/pulumi'
import * as path from 'path'
import { logging, volumeOf, type Foundation } from './foundation'
import { envList, envValue, type Settings } from './settings'
import type { StackFile } from './stack-file'

export interface Api {
  readonly image: pulumi.Output<string>
  readonly container: docker.Container
  /** The container's environment: secret, since it holds the app's secrets. */
  readonly envs: pulumi.Output<string[]>
}

/**
 * The API: its image (built from the Dockerfile, or a prebuilt one), and its container on the
 * network only, started after the services it talks to.
 */
export function createApi(stack: StackFile, settings: Settings, config: pulumi.Config, foundation: Foundation, projectRoot: string, dependsOn: docker.Container[]): Api {
  const image = settings.apiImage ? new docker.RemoteImage('api-image', { name: settings.apiImage, keepLocally: true }).imageId : buildImage(stack, settings, projectRoot)
  const values: Record<string, pulumi.Input<string>> = { ...stack.api.env, KOYA_PUBLIC_URL: `https://${settings.domain}` }
  for (const env of stack.api.config) {
    const value = envValue(config, env)
    if (value) values[env.name] = value
  }
  const envs = envList(values)
  const container = new docker.Container('api', {
    name: `${foundation.prefix}-api`,
    image,
    envs,
    networksAdvanced: [{ name: foundation.network.name, aliases: ['api'] }],
    volumes: [{ volumeName: volumeOf(foundation, stack.api.dataVolume).name, containerPath: stack.api.dataPath }],
    restart: 'unless-stopped',
    init: true,
    // The image writes only to /data and /tmp.
    readOnly: true,
    tmpfs: { '/tmp': 'rw,nosuid,size=64m' },
    healthcheck: {
      tests: ['CMD', 'node', '-e', `fetch('http://127.0.0.1:${stack.api.port}${stack.api.healthPath}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
      interval: '30s',
      timeout: '5s',
      retries: 3,
      startPeriod: '30s',
    },
    memory: settings.apiMemoryMb || stack.api.memoryMb,
    cpus: settings.apiCpus,
    // SIGTERM, then up to 30 s for in-flight requests before SIGKILL.
    stopSignal: 'SIGTERM',
    stopTimeout: 30,
    wait: true,
    waitTimeout: 180,
    ...logging,
  }, { dependsOn })
  return { image, container, envs }
}

/**
 * The image built from the Dockerfile, referred to by its digest when Docker reports one: a
 * rebuild under the same tag then replaces the container, which the tag alone would not.
 */
function buildImage(stack: StackFile, settings: Settings, projectRoot: string): pulumi.Output<string> {
  const image = new docker.Image('api-image', {
    build: { context: projectRoot, dockerfile: path.join(projectRoot, 'Dockerfile'), ...(settings.platform ? { platform: settings.platform } : {}) },
    imageName: `${stack.app}-api:${settings.imageTag}`,
    skipPush: true,
  })
  return pulumi.all([image.imageName, image.repoDigest]).apply(([name, digest]) => digest || name)
}
