import type { ProjectIR, SettingIR } from '../../ir/project-ir.ts'
import type { StackFeatures } from './stack-features.ts'
import type { GatewayRouteIR, StackEnvIR, StackIR, StackServiceIR } from './stack-model.ts'
import { STACK_FILE_VERSION } from './stack-model.ts'
import { STACK_SERVICES, type StackServiceDef } from './stack-services.ts'
import { ACME_WEBROOT, TLS_DIR } from './print-nginx.ts'

export const API_PORT = 3000
export const GATEWAY_IMAGE = 'nginx:1.27.4-alpine'
export const CERTBOT_IMAGE = 'certbot/certbot:v3.3.0'

/**
 * NGINX starts once a certificate is in place (certbot puts a provisional one there at once) and
 * reloads within a minute of certbot renewing it.
 */
const GATEWAY_COMMAND = [
  `cert=${TLS_DIR}/fullchain.pem`,
  'until [ -s "$cert" ]; do echo "waiting for a certificate at $cert"; sleep 5; done',
  '(last=$(stat -c %Y "$cert"); while sleep 60; do now=$(stat -c %Y "$cert"); if [ "$now" != "$last" ]; then last=$now; nginx -s reload; fi; done) &',
  "exec nginx -g 'daemon off;'",
].join('\n')

/**
 * A provisional self-signed certificate first (NGINX needs one to start and answer the challenge),
 * then `certbot certonly --webroot` every 12 hours (every 5 minutes until the first succeeds): it
 * renews 30 days before expiry, and its deploy hook copies the certificate where NGINX reads it.
 */
const CERTBOT_COMMAND = [
  `tls=${TLS_DIR}`,
  'if [ ! -s "$tls/fullchain.pem" ]; then',
  '  openssl req -x509 -nodes -newkey rsa:2048 -days 2 -subj "/CN=$KOYA_DOMAIN" -keyout "$tls/privkey.pem" -out "$tls/fullchain.pem"',
  'fi',
  "trap 'exit 0' TERM",
  'sleep 15 & wait $!',
  'while :; do',
  `  if certbot certonly --webroot -w ${ACME_WEBROOT} -d "$KOYA_DOMAIN" --email "$KOYA_ACME_EMAIL" --agree-tos --non-interactive --keep-until-expiring --deploy-hook 'cp -L "$RENEWED_LINEAGE/fullchain.pem" "$RENEWED_LINEAGE/privkey.pem" ${TLS_DIR}/'; then pause=12h; else pause=5m; fi`,
  '  sleep $pause & wait $!',
  'done',
].join('\n')

/** NGINX's body limit for uploads when no bucket says how large its objects may be. */
const DEFAULT_UPLOAD_LIMIT_MB = 50

/** The services the app needs, by name, with their definitions. */
export function neededServices(features: StackFeatures): [string, StackServiceDef][] {
  return Object.entries(STACK_SERVICES)
    .filter(([, def]) => def.needed(features))
    .sort(([a], [b]) => a.localeCompare(b))
}

/** generated/stack.json's content: a pure function of the IR (through its stack features). */
export function buildStack(ir: ProjectIR, features: StackFeatures): StackIR {
  const services = neededServices(features)
  const apiEnv: Record<string, string> = {
    HOST: '0.0.0.0',
    KOYA_DB: '/data/koya.db',
    // NGINX is the one hop in front; it sets X-Forwarded-For to the client's address.
    KOYA_TRUST_PROXY: '1',
    LOG_LEVEL: 'info',
    NODE_ENV: 'production',
    PORT: String(API_PORT),
  }
  for (const [, def] of services) Object.assign(apiEnv, def.apiEnv)
  const secrets = mergeEnv(services.flatMap(([, def]) => def.secrets))
  const uploadMb = features.maxUploadBytes === null ? DEFAULT_UPLOAD_LIMIT_MB : Math.ceil(features.maxUploadBytes / (1024 * 1024)) + 1
  const api = (path: string, bodyLimit: string, rest: Partial<GatewayRouteIR> = {}): GatewayRouteIR => ({
    path,
    service: 'api',
    port: API_PORT,
    bodyLimit,
    rateLimit: { zone: 'api', burst: 40 },
    websocket: false,
    streamBody: false,
    ...rest,
  })
  const routes: GatewayRouteIR[] = [
    api('/', '1m'),
    api('/api/', '1m'),
    api('/auth/', '64k', { rateLimit: { zone: 'auth', burst: 10 } }),
    api('/functions/', '6m'),
    api('/graphql', '1m'),
    api('/realtime', '64k', { websocket: true, rateLimit: { zone: 'api', burst: 20 } }),
    api('/storage/', `${uploadMb}m`, { streamBody: true }),
    ...services.flatMap(([name, def]) => (def.route ? [{ ...def.route, service: name, port: def.service.port }] : [])),
  ]
  return {
    version: STACK_FILE_VERSION,
    app: ir.name,
    api: {
      port: API_PORT,
      healthPath: '/healthz',
      dataVolume: 'data',
      dataPath: '/data',
      env: sortRecord(apiEnv),
      config: mergeEnv([...appEnv(ir), ...secrets]),
      memoryMb: 1024,
    },
    gateway: {
      image: GATEWAY_IMAGE,
      config: { source: 'generated/infra/nginx.conf', path: '/etc/nginx/nginx.conf' },
      routes: routes.sort((a, b) => a.path.localeCompare(b.path)),
      rateLimits: [
        { name: 'api', perSecond: 20 },
        { name: 'auth', perSecond: 5 },
      ],
      blocked: ['/metrics'],
      command: GATEWAY_COMMAND,
      certbot: { image: CERTBOT_IMAGE, command: CERTBOT_COMMAND },
    },
    services: services.map(([name, def]): StackServiceIR => ({ name, ...def.service, env: sortRecord(def.service.env), secretEnv: sortRecord(def.service.secretEnv) })),
    secrets,
    // A service may mount the API's own volume (Litestream reads `data`): each volume once.
    volumes: [...new Set(['acme', 'data', 'letsencrypt', 'tls', ...services.flatMap(([, def]) => def.service.volumes.map((v) => v.volume))])].sort(),
  }
}

/** The environment variables koyalite.ts reads through `env(…)`, each marked secret or not by where it is used. */
function appEnv(ir: ProjectIR): StackEnvIR[] {
  const env: StackEnvIR[] = [
    { name: 'KOYA_SERVICE_KEY', secret: true, required: false, usedBy: 'the service key (system role)' },
    { name: 'KOYA_TRUSTED_ORIGINS', secret: false, required: false, usedBy: 'auth: origins of front ends on other domains (comma-separated)' },
  ]
  const add = (setting: SettingIR | null, secret: boolean, usedBy: string) => {
    if (setting && 'env' in setting) env.push({ name: setting.env, secret, required: true, usedBy })
  }
  for (const provider of ['github', 'google'] as const) {
    const oauth = ir.auth.oauth[provider]
    if (!oauth) continue
    add(oauth.clientId, false, `auth.oauth.${provider}.clientId`)
    add(oauth.clientSecret, true, `auth.oauth.${provider}.clientSecret`)
  }
  add(ir.auth.publicUrl, false, 'auth.publicUrl')
  for (const webhook of ir.webhooks ?? []) {
    add(webhook.url, false, `webhooks.${webhook.name}.url`)
    add(webhook.secret, true, `webhooks.${webhook.name}.secret`)
  }
  // A function's environment may hold anything (API keys): treated as secret.
  for (const fn of ir.functions ?? []) for (const name of fn.env) add({ env: name }, true, `functions.${fn.name}.env`)
  return env
}

/** One entry per name, sorted: secret and required if any use says so. */
function mergeEnv(entries: readonly StackEnvIR[]): StackEnvIR[] {
  const byName = new Map<string, StackEnvIR>()
  for (const entry of entries) {
    const seen = byName.get(entry.name)
    byName.set(
      entry.name,
      seen
        ? { name: entry.name, secret: seen.secret || entry.secret, required: seen.required || entry.required, usedBy: seen.usedBy.split(', ').includes(entry.usedBy) ? seen.usedBy : `${seen.usedBy}, ${entry.usedBy}` }
        : entry,
    )
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name))
}

function sortRecord(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)))
}
