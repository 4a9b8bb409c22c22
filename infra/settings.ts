import * as pulumi from '@pulumi/pulumi'
import type { StackEnv, StackFile } from './stack-file'

/** How NGINX gets its certificate. */
export type TlsSettings =
  /** certbot obtains and renews a Let's Encrypt certificate for `domain`. */
  | { readonly mode: 'letsencrypt'; readonly email: string }
  /** The operator's own certificate and key (PEM), stored as secrets. */
  | { readonly mode: 'provided'; readonly certificate: pulumi.Output<string>; readonly privateKey: pulumi.Output<string> }

/** The Pulumi config of one environment (Pulumi.<stack>.yaml): what stack.json leaves to the operator. */
export interface Settings {
  readonly domain: string
  readonly tls: TlsSettings
  /** A prebuilt image to run (`registry.example.com/app:1.4.2` or a digest); absent: build the Dockerfile. */
  readonly apiImage: string | undefined
  /** The tag of the image built from the Dockerfile. */
  readonly imageTag: string
  /** The platform the image is built for (`linux/arm64`); absent: the Docker host's. */
  readonly platform: string | undefined
  readonly apiMemoryMb: number
  readonly apiCpus: string
  readonly httpPort: number
  readonly httpsPort: number
  /** The stack file, relative to the project root. */
  readonly stackFile: string
}

export function readSettings(config: pulumi.Config): Settings {
  const tlsMode = config.get('tls') ?? 'letsencrypt'
  if (tlsMode !== 'letsencrypt' && tlsMode !== 'provided') throw new Error(`Config "tls" is "${tlsMode}": use letsencrypt or provided.`)
  return {
    domain: config.require('domain'),
    tls:
      tlsMode === 'letsencrypt'
        ? { mode: 'letsencrypt', email: config.require('acmeEmail') }
        : { mode: 'provided', certificate: config.requireSecret('tlsCertificate'), privateKey: config.requireSecret('tlsPrivateKey') },
    apiImage: config.get('apiImage'),
    imageTag: config.get('imageTag') ?? 'latest',
    platform: config.get('platform'),
    apiMemoryMb: config.getNumber('apiMemoryMb') ?? 0,
    apiCpus: config.get('apiCpus') ?? '1',
    httpPort: config.getNumber('httpPort') ?? 80,
    httpsPort: config.getNumber('httpsPort') ?? 443,
    stackFile: config.get('stackFile') ?? 'generated/stack.json',
  }
}

/**
 * The value of an environment variable stack.json names, from config under the same name: a
 * secret one through `requireSecret`/`getSecret` (set with `pulumi config set --secret NAME`).
 * Undefined when optional and unset.
 */
export function envValue(config: pulumi.Config, env: StackEnv): pulumi.Output<string> | undefined {
  if (env.secret) return env.required ? config.requireSecret(env.name) : config.getSecret(env.name)
  const value = env.required ? config.require(env.name) : config.get(env.name)
  return value === undefined ? undefined : pulumi.output(value)
}

/** The stack's shared secrets, by name, for the services that read them. */
export function stackSecrets(config: pulumi.Config, stack: StackFile): Map<string, pulumi.Output<string>> {
  const secrets = new Map<string, pulumi.Output<string>>()
  for (const env of stack.secrets) {
    const value = envValue(config, env)
    if (value) secrets.set(env.name, value)
  }
  return secrets
}

/** `NAME=value` lines for a container; the list is secret when any value is. */
export function envList(values: Record<string, pulumi.Input<string>>): pulumi.Output<string[]> {
  const names = Object.keys(values).sort()
  return pulumi.all(names.map((name) => values[name]!)).apply((resolved) => resolved.map((value, i) => `${names[i]}=${value}`))
}

/** The one placeholder stack.json values may hold. */
export const withDomain = (value: string, domain: string) => value.split('${KOYA_DOMAIN}').join(domain)
