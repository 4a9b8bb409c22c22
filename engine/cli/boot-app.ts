import type { FastifyInstance, FastifyServerFactory } from 'fastify'
import { createServer, loadGeneratedDocs, loadHandlers, loadModel, loadTableApis, needsStudioSetup, newSetupToken, setupPath, type CreateServerOptions } from '../runtime/index.ts'
import type { StudioDevEdits } from '../ir/routes/studio-dev-routes.ts'
import type { SqliteDatabase } from '../shared/sqlite.ts'
import { KoyaError } from '../shared/errors.ts'
import { colors, type CliIO } from './io.ts'

/** Studio's one-time setup token: one per process, so every dev reload honours the printed link. */
const STUDIO_SETUP_TOKEN = newSetupToken()

/**
 * Print Studio's URL and, while no admin exists, the one-time link that creates the first one
 * (as PocketBase does).
 */
export function announceStudio(io: CliIO, url: string, db: SqliteDatabase): void {
  const c = colors(io)
  io.out(`  Studio: ${c.bold(`${url}/_/`)}`)
  if (needsStudioSetup(loadModel(io.cwd), db)) io.out(`  ${c.yellow('!')} no admin yet: create the first one at ${c.bold(url + setupPath(STUDIO_SETUP_TOKEN))}`)
}

/**
 * The app described by generated/ under the working directory, on an open database. `koyalite dev`
 * passes a server factory (one listening server for every reload) and a version (fresh imports);
 * `koyalite/testing` passes overrides (its clock, no logs, its service key), applied last.
 */
export async function bootApp(
  io: CliIO,
  db: SqliteDatabase,
  dev?: { readonly serverFactory: FastifyServerFactory; readonly version: string; readonly studioEdits?: StudioDevEdits },
  overrides: Partial<CreateServerOptions> = {},
): Promise<FastifyInstance> {
  const serverFactory = dev?.serverFactory
  const version = dev?.version
  const serviceKey = io.env.KOYA_SERVICE_KEY
  const model = loadModel(io.cwd)
  const handlers = await loadHandlers(io.cwd, { model, ...(version !== undefined ? { version } : {}) })
  return createServer({
    model,
    db,
    tables: await loadTableApis(io.cwd, model, version),
    docs: loadGeneratedDocs(io.cwd),
    jobs: { handlers },
    email: { root: io.cwd, ...(version !== undefined ? { version } : {}) },
    studio: { setupToken: STUDIO_SETUP_TOKEN, ...(dev?.studioEdits ? { devEdits: dev.studioEdits } : {}) },
    webhooks: { handlers },
    // Functions run from generated/functions (under dev) or from their deployed versions.
    functions: { root: io.cwd },
    ...(serviceKey ? { auth: { serviceKey } } : {}),
    ...(serverFactory ? { serverFactory } : {}),
    logger: { level: io.env.LOG_LEVEL ?? 'info' },
    // Development answers (a refused write names its policy's file:line:col) only under `koyalite dev`.
    dev: dev !== undefined,
    env: io.env,
    // Behind NGINX (the Docker stack) the client address, which rate limits key on, is in X-Forwarded-For.
    ...trustProxyOf(io.env.KOYA_TRUST_PROXY),
    ...realtimeOf(io.env),
    ...overrides,
  })
}

/**
 * KOYA_REALTIME_PRESENCE_TTL_MS as the realtime module's `channels.presenceTtlMs`: how long the
 * members of a process that died without parting (kill -9) stay listed. A deployment that runs
 * several processes on one database tunes it without code.
 */
export function realtimeOf(env: Readonly<Record<string, string | undefined>>): Pick<CreateServerOptions, 'realtime'> {
  const text = env.KOYA_REALTIME_PRESENCE_TTL_MS?.trim() ?? ''
  if (text === '') return {}
  const ms = Number(text)
  if (!/^\d+$/.test(text) || ms < 1000 || ms > 3_600_000) {
    throw new KoyaError('KL_ENV_INVALID', 'Environment variable KOYA_REALTIME_PRESENCE_TTL_MS is not a whole number of milliseconds between 1000 and 3600000 (used by realtime presence).', {
      hint: 'Set it to how long a dead process\'s channel members may stay listed, e.g. 30000, or unset it for the default (30 s).',
    })
  }
  return { realtime: { channels: { presenceTtlMs: ms } } }
}

/**
 * KOYA_TRUST_PROXY as Fastify's trustProxy: `true`/`false`, a hop count (`1`), or addresses and
 * CIDR ranges separated by commas (`10.0.0.0/8,127.0.0.1`).
 */
export function trustProxyOf(value: string | undefined): { trustProxy?: boolean | string[] | ((address: string, hop: number) => boolean) } {
  const text = value?.trim() ?? ''
  if (text === '' || text === 'false') return {}
  if (text === 'true') return { trustProxy: true }
  if (/^\d+$/.test(text)) {
    const hops = Number(text)
    return { trustProxy: (_address, hop) => hop < hops }
  }
  return { trustProxy: text.split(',').map((part) => part.trim()).filter((part) => part !== '') }
}
