import type { WebhookIR } from '../../ir/project-ir.ts'
import { parseDurationMs } from '../../shared/durations.ts'
import { KoyaError } from '../../shared/errors.ts'
import { upperSnake } from '../../shared/naming.ts'
import type { Env } from '../auth/auth-settings.ts'
import type { Handlers } from '../handlers/load-handlers.ts'
import { defineModule } from '../modules/feature-module.ts'
import { createWebhookPoster, WEBHOOK_TIMEOUT_MS } from './deliver-http.ts'
import { createDeliveryLog } from './delivery-log.ts'
import { createEndpoints, type Endpoints } from './endpoints.ts'
import { secretKey } from './signing.ts'
import { allowedHostsOf, createSsrfGuard } from './ssrf-guard.ts'
import { webhookDeliveryKind, type ResolvedWebhook } from './webhook-delivery.ts'
import { subscribeWebhookEvents } from './webhook-events.ts'
import { registerWebhooksAdmin } from './webhooks-admin.ts'
import { WEBHOOK_MIGRATIONS } from './webhooks-schema.ts'

export interface WebhooksModuleOptions {
  /** The webhooks' `filter`/`transform` (`loadHandlers`). Required when a webhook declares one. */
  readonly handlers?: Handlers
  /** Hosts that may resolve to private addresses; over `KOYA_WEBHOOK_ALLOW_HOSTS`. */
  readonly allowHosts?: readonly string[]
  /** Disable an endpoint whose every attempt failed for this long. `KOYA_WEBHOOK_DISABLE_AFTER`, default 5 days. */
  readonly disableAfterMs?: number
  /** How long the previous secret still signs after a rotation. `KOYA_WEBHOOK_ROTATION_OVERLAP`, default 24 h. */
  readonly rotationOverlapMs?: number
  /** Deliveries per second per endpoint. `KOYA_WEBHOOK_RATE_LIMIT` (`KOYA_WEBHOOK_<NAME>_RATE_LIMIT` for one); default none. */
  readonly rateLimit?: number
  /** Deliveries of one webhook at once in this process. `KOYA_WEBHOOK_CONCURRENCY`, default 8. */
  readonly concurrency?: number
  /** How long a receiver has to answer. Default 15 s. */
  readonly timeoutMs?: number
}

const DAY = 86_400_000
const LOG_RETENTION_MS = 30 * DAY

/**
 * Webhooks (`defineConfig({ webhooks })`): each a queue kind `webhook:<name>` whose rows are
 * enqueued by a transaction-phase write subscriber, in the change's own transaction, and POSTed
 * signed per Standard Webhooks through the SSRF guard. The delivery log and replay are in /admin.
 */
export const webhooksModule = defineModule<WebhooksModuleOptions | undefined>({
  name: 'webhooks',
  systemMigrations: WEBHOOK_MIGRATIONS,
  async register(app, runtime, options = {}) {
    const webhooks = runtime.model.webhooks ?? []
    if (webhooks.length === 0) return
    const settings = { ...settingsFrom(runtime.env), ...options }
    const handlers = options.handlers?.webhooks
    // Without its code a filtered or transformed webhook cannot decide what to send: this process
    // records none of its events rather than send unfiltered ones (decision 65).
    const missing = webhooks.filter((w) => (w.hasFilter || w.hasTransform) && handlers?.[w.name] === undefined)
    if (missing.length > 0) app.log.warn({ webhooks: missing.map((w) => w.name) }, 'the server was given no handlers for webhooks with a filter or transform: their events are not recorded by this process (koyalite start loads generated/handlers)')
    const served = webhooks.filter((w) => !missing.includes(w))
    const queue = runtime.queue()
    let audit
    try {
      audit = runtime.adminDeps().audit
    } catch {
      audit = undefined
    }
    const endpoints = createEndpoints(runtime.db, audit, webhooks.map((w) => w.name))
    const log = createDeliveryLog(runtime.db)
    const allowed = allowedHostsOf([runtime.env.KOYA_WEBHOOK_ALLOW_HOSTS ?? '', ...(settings.allowHosts ?? [])].join(','))
    const poster = createWebhookPoster(createSsrfGuard(allowed), settings.timeoutMs ?? WEBHOOK_TIMEOUT_MS)
    const now = runtime.clock().getTime()
    const deps = { poster, log, endpoints, clock: runtime.clock, disableAfterMs: settings.disableAfterMs ?? 5 * DAY, concurrency: settings.concurrency ?? 8 }
    for (const webhook of webhooks) {
      const resolved = liveWebhook(webhook, runtime.env, endpoints, runtime.clock, settings, (error) => app.log.warn({ webhook: webhook.name, code: error instanceof KoyaError ? error.code : undefined }, 'a refreshed webhook setting was not applied: the one in force is kept'), now)
      if (resolved.url === undefined || resolved.key === undefined) app.log.warn({ webhook: webhook.name }, 'a webhook has no URL or secret set: its deliveries fail until it has')
      queue.define(webhookDeliveryKind(resolved, deps))
    }
    const stops = subscribeWebhookEvents(served, { data: runtime.data, queue, clock: runtime.clock, handlers: handlers ?? {}, log: app.log })
    // A timer's throw would end the process: a purge that fails (the database busy past its
    // timeout) is logged and tried again the next hour.
    const purge = setInterval(() => {
      try {
        log.purge(runtime.clock().getTime() - LOG_RETENTION_MS)
      } catch (error) {
        app.log.error({ err: error }, 'purging the webhook delivery log failed')
      }
    }, 3_600_000)
    purge.unref()
    app.addHook('onClose', async () => {
      clearInterval(purge)
      for (const stop of stops) stop()
      poster.close()
    })
    registerWebhooksAdmin(app, { model: runtime.model, queue, log, endpoints, admin: runtime.adminDeps() })
  },
})

/**
 * The webhook as its deliveries see it, resolved again when its URL or secret variables change in
 * the environment the server holds (a secrets refresh updates it in place, docs/environments.md):
 * the next delivery is sent to the new URL and signed with the new secret, no restart needed. A
 * new value that does not resolve (not a URL) is reported and the one in force kept. The rate
 * limit stays as it was at start (its limiter is made once).
 */
function liveWebhook(webhook: WebhookIR, env: Env, endpoints: Endpoints, clock: () => Date, settings: WebhooksModuleOptions, warn: (error: unknown) => void, now: number): ResolvedWebhook {
  const names = ['env' in webhook.url ? webhook.url.env : '', webhook.secret.env, `${webhook.secret.env}_PREVIOUS`]
  const signature = () => names.map((name) => (name === '' ? '' : (env[name] ?? '\u0000unset'))).join('\u0000')
  let seen = signature()
  let current = resolveWebhook(webhook, env, endpoints, now, settings)
  const fresh = (): ResolvedWebhook => {
    const next = signature()
    if (next === seen) return current
    seen = next
    try {
      current = resolveWebhook(webhook, env, endpoints, clock().getTime(), settings)
    } catch (error) {
      warn(error)
    }
    return current
  }
  return {
    ir: webhook,
    get url() {
      return fresh().url
    },
    get key() {
      return fresh().key
    },
    get previous() {
      return fresh().previous
    },
    ratePerSecond: current.ratePerSecond,
  }
}

function resolveWebhook(webhook: WebhookIR, env: Env, endpoints: Endpoints, now: number, settings: WebhooksModuleOptions): ResolvedWebhook {
  const urlText = 'value' in webhook.url ? webhook.url.value : env[webhook.url.env]
  let url: URL | undefined
  if (urlText !== undefined && urlText !== '') {
    try {
      url = new URL(urlText)
    } catch {
      url = undefined
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new KoyaError('KL_JOB_WEBHOOK_CONFIG', `The URL of webhook "${webhook.name}" is not an absolute http(s) URL.`, { hint: `Set ${'env' in webhook.url ? webhook.url.env : `webhooks.${webhook.name}.url`} to https://…` })
    }
  }
  const secret = env[webhook.secret.env]
  const key = secret === undefined || secret === '' ? undefined : secretKey(secret, webhook.secret.env)
  const previousName = `${webhook.secret.env}_PREVIOUS`
  const previousSecret = env[previousName]
  const rotatedAt = secret === undefined || secret === '' ? null : endpoints.rotationStartedAt(webhook.name, secret, previousSecret, now)
  const previous = rotatedAt === null || previousSecret === undefined ? undefined : { key: secretKey(previousSecret, previousName), until: rotatedAt + (settings.rotationOverlapMs ?? DAY) }
  const own = env[`KOYA_WEBHOOK_${upperSnake(webhook.name)}_RATE_LIMIT`]
  const rate = own !== undefined && own !== '' ? Number(own) : settings.rateLimit
  return { ir: webhook, url, key, previous, ratePerSecond: rate !== undefined && rate > 0 ? rate : null }
}

function settingsFrom(env: Env): WebhooksModuleOptions {
  const duration = (name: string): number | undefined => {
    const text = env[name]
    if (text === undefined || text === '') return undefined
    try {
      return parseDurationMs(text)
    } catch {
      throw new KoyaError('KL_JOB_WEBHOOK_CONFIG', `${name}="${text}" is not a duration.`, { hint: "Write a duration such as '5d', '24h' or '30m'." })
    }
  }
  const number = (name: string): number | undefined => {
    const text = env[name]
    if (text === undefined || text === '') return undefined
    const value = Number(text)
    if (!(value > 0)) throw new KoyaError('KL_JOB_WEBHOOK_CONFIG', `${name}="${text}" is not a positive number.`)
    return value
  }
  const defined = Object.entries({
    disableAfterMs: duration('KOYA_WEBHOOK_DISABLE_AFTER'),
    rotationOverlapMs: duration('KOYA_WEBHOOK_ROTATION_OVERLAP'),
    rateLimit: number('KOYA_WEBHOOK_RATE_LIMIT'),
    concurrency: number('KOYA_WEBHOOK_CONCURRENCY'),
  }).filter(([, value]) => value !== undefined)
  return Object.fromEntries(defined) as WebhooksModuleOptions
}
