import * as docker from '@pulumi/docker'
import * as path from 'path'
import { logging, volumeOf, type Foundation } from './foundation'
import { envList, type Settings } from './settings'
import type { StackFile } from './stack-file'

const TLS_DIR = '/etc/nginx/tls'
const ACME_WEBROOT = '/var/www/certbot'

export interface Gateway {
  readonly nginx: docker.Container
  /** Present when TLS comes from Let's Encrypt. */
  readonly certbot: docker.Container | undefined
}

/**
 * NGINX, the only container with published ports, running generated/infra/nginx.conf; and certbot
 * when the certificate comes from Let's Encrypt (otherwise the configured certificate is uploaded).
 */
export function createGateway(stack: StackFile, settings: Settings, foundation: Foundation, projectRoot: string, dependsOn: docker.Container[]): Gateway {
  const tls = volumeOf(foundation, 'tls')
  const acme = volumeOf(foundation, 'acme')
  const image = new docker.RemoteImage('nginx-image', { name: stack.gateway.image, keepLocally: true })
  const provided = settings.tls.mode === 'provided' ? settings.tls : undefined
  const nginx = new docker.Container(
    'nginx',
    {
      name: `${foundation.prefix}-nginx`,
      image: image.imageId,
      entrypoints: ['/bin/sh', '-c'],
      command: [stack.gateway.command],
      ports: [
        { internal: 80, external: settings.httpPort },
        { internal: 443, external: settings.httpsPort },
      ],
      networksAdvanced: [{ name: foundation.network.name, aliases: ['nginx'] }],
      volumes: [
        { hostPath: path.join(projectRoot, stack.gateway.config.source), containerPath: stack.gateway.config.path, readOnly: true },
        { volumeName: acme.name, containerPath: ACME_WEBROOT, readOnly: true },
        ...(provided ? [] : [{ volumeName: tls.name, containerPath: TLS_DIR }]),
      ],
      uploads: provided
        ? [
            { file: `${TLS_DIR}/fullchain.pem`, content: provided.certificate },
            { file: `${TLS_DIR}/privkey.pem`, content: provided.privateKey, permissions: '0600' },
          ]
        : [],
      restart: 'unless-stopped',
      memory: 256,
      ...logging,
    },
    { dependsOn },
  )
  if (settings.tls.mode !== 'letsencrypt') return { nginx, certbot: undefined }
  const certbotImage = new docker.RemoteImage('certbot-image', { name: stack.gateway.certbot.image, keepLocally: true })
  const certbot = new docker.Container('certbot', {
    name: `${foundation.prefix}-certbot`,
    image: certbotImage.imageId,
    entrypoints: ['/bin/sh', '-c'],
    command: [stack.gateway.certbot.command],
    envs: envList({ KOYA_ACME_EMAIL: settings.tls.email, KOYA_DOMAIN: settings.domain }),
    networksAdvanced: [{ name: foundation.network.name }],
    volumes: [
      { volumeName: volumeOf(foundation, 'letsencrypt').name, containerPath: '/etc/letsencrypt' },
      { volumeName: tls.name, containerPath: TLS_DIR },
      { volumeName: acme.name, containerPath: ACME_WEBROOT },
    ],
    restart: 'unless-stopped',
    memory: 128,
    ...logging,
  })
  return { nginx, certbot }
}
