import * as pulumi from '@pulumi/pulumi'
import { defineStack, type KoyaStack } from '../../infra/stack.ts'

/** A resource the program registered, with the inputs Pulumi's engine would have received. */
export interface Registered {
  readonly type: string
  readonly name: string
  readonly inputs: Record<string, any>
}

export const PROJECT = 'koyalite-stack'

/**
 * Run the Pulumi program under Pulumi's own mocks (no engine, no Docker): every resource it
 * registers is recorded with its resolved inputs.
 */
export async function run(root: string, config: Record<string, string>, secretKeys: string[] = []): Promise<{ stack: KoyaStack; resources: Registered[] }> {
  const resources: Registered[] = []
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs })
        const state: Record<string, unknown> = { ...args.inputs }
        if (args.type === 'docker:index/remoteImage:RemoteImage') state.imageId = `sha256:${args.inputs.name}`
        if (args.type === 'docker:index/image:Image') state.repoDigest = `${String(args.inputs.imageName).split(':')[0]}@sha256:feed`
        return { id: `${args.name}-id`, state }
      },
      call: (args) => args.inputs,
    },
    PROJECT,
    'dev',
  )
  pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [`${PROJECT}:${k}`, v])), secretKeys.map((k) => `${PROJECT}:${k}`))
  const stack = defineStack(root)
  const created = [stack.api.container, stack.gateway.nginx, ...(stack.gateway.certbot ? [stack.gateway.certbot] : []), ...stack.services.values()]
  await Promise.all(created.map((c) => valueOf(c.id)))
  await valueOf(stack.api.envs)
  return { stack, resources }
}

export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)))
}

export const containers = (resources: Registered[]) => resources.filter((r) => r.type === 'docker:index/container:Container')
export const container = (resources: Registered[], name: string) => {
  const found = containers(resources).find((r) => r.name === name)
  if (!found) throw new Error(`no container ${name}; have ${containers(resources).map((r) => r.name).join(', ')}`)
  return found
}
/** Pulumi's wire form of a secret value, as the engine receives it. */
export const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270'
export const isSecretInput = (value: any): boolean => value?.['4dabf18193072939515e22adb298388d'] === SECRET_SIG
export const reveal = (value: any) => (isSecretInput(value) ? value.value : value)
export const envOf = (c: Registered) => Object.fromEntries((reveal(c.inputs.envs) as string[]).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]))

export const letsencrypt = { domain: 'app.example.com', acmeEmail: 'ops@example.com', GITHUB_CLIENT_ID: 'client-id', GITHUB_CLIENT_SECRET: 'github-secret', KOYA_SERVICE_KEY: 'service-key' }
export const allSecrets = { ...letsencrypt, KOYA_TRUSTED_ORIGINS: 'https://web.example.com', KOYA_S3_ACCESS_KEY_ID: 's3-access', KOYA_S3_SECRET_ACCESS_KEY: 's3-secret', KOYA_WEAVIATE_API_KEY: 'weaviate-key', GRAFANA_ADMIN_PASSWORD: 'grafana-password', KOYA_REPLICA_URL: 's3://koya-replica/koya.db', KOYA_REPLICA_ENDPOINT: 'http://seaweedfs:8333', KOYA_REPLICA_ACCESS_KEY_ID: 'replica-access', KOYA_REPLICA_SECRET_ACCESS_KEY: 'replica-secret' }
export const secretNames = ['GITHUB_CLIENT_SECRET', 'KOYA_SERVICE_KEY', 'KOYA_S3_ACCESS_KEY_ID', 'KOYA_S3_SECRET_ACCESS_KEY', 'KOYA_WEAVIATE_API_KEY', 'GRAFANA_ADMIN_PASSWORD', 'KOYA_REPLICA_ACCESS_KEY_ID', 'KOYA_REPLICA_SECRET_ACCESS_KEY']
