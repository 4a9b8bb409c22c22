import type { FastifyInstance, FastifyServerFactory } from 'fastify'
import { createServer, loadGeneratedDocs, loadHandlers, loadModel, loadTableApis, needsStudioSetup, newSetupToken, setupPath, type CreateServerOptions } from '../runtime/index.ts'
import type { StudioDevEdits } from '../ir/routes/studio-dev-routes.ts'
import type { SqliteDatabase } from '../shared/sqlite.ts'
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
    ...overrides,
  })
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
