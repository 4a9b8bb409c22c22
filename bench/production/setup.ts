// What run.ts and profile.ts share: `koyalite start` in the app's folder as a user runs it, and
// a database that has been migrated, signed into and seeded.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ServerProcess } from '../rest/servers.ts'
import { freePort, startLogged } from './process.ts'
import { seedPosts, type SeedFiles } from './seed.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
export const repo = path.resolve(here, '../..')
export const appDir = path.join(here, 'app')
const cli = path.join(repo, 'bin', 'koyalite.js')
export const SERVICE_KEY = 'bench-service-key-0123456789abcdef'
const OWNER = { email: 'owner@bench.test', password: 'correct horse battery staple' }

export interface KoyaliteStart {
  readonly db: string
  /** Where its stdout and stderr go. */
  readonly log: string
  readonly core: number
  /** Node flags before the CLI script (e.g. `--cpu-prof`). */
  readonly nodeFlags?: readonly string[]
  /** More environment (e.g. LOG_LEVEL) beside the service key. */
  readonly env?: Readonly<Record<string, string>>
}

/** `koyalite start` in the app's folder, as a user runs it: info-level logs to a file. */
export async function startKoyalite(options: KoyaliteStart): Promise<ServerProcess> {
  const port = await freePort()
  return startLogged({
    name: 'koyalite',
    args: [...(options.nodeFlags ?? []), cli, 'start', '--db', options.db, '--port', String(port), '--host', '127.0.0.1'],
    env: { KOYA_SERVICE_KEY: SERVICE_KEY, NO_COLOR: '1', ...options.env },
    cwd: appDir,
    core: options.core,
    port,
    log: options.log,
    ready: /serving \S*http:\/\/127\.0\.0\.1:\d+/,
  })
}

/** The hand-written baseline server (baseline-server.ts) on the same database file. */
export async function startBaseline(options: { readonly db: string; readonly log: string; readonly core: number }): Promise<ServerProcess> {
  const port = await freePort()
  return startLogged({
    name: 'baseline',
    args: [path.join(here, 'baseline-server.ts'), options.db, String(port)],
    env: { BENCH_SERVICE_KEY: SERVICE_KEY },
    core: options.core,
    port,
    log: options.log,
    ready: /^listening \d+$/m,
  })
}

async function postJson(url: string, body: unknown): Promise<{ user: { id: string }; session: { token: string } }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${await response.text()}`)
  return (await response.json()) as { user: { id: string }; session: { token: string } }
}

export interface PreparedDatabase {
  readonly token: string
  readonly ownerId: string
  readonly seed: SeedFiles
}

/**
 * The first `koyalite start` applies the app's migrations (and its system tables); the owner
 * signs up and then logs in through /auth, as a user would; then 100k posts are seeded. The
 * session's token lives in the database, so it stays valid for the measured process, started
 * fresh after the seeding.
 */
export async function prepareDatabase(db: string, work: string, core: number): Promise<PreparedDatabase> {
  const setup = await startKoyalite({ db, log: path.join(work, 'setup.log'), core })
  let ownerId: string
  let token: string
  try {
    ownerId = (await postJson(`${setup.url}/auth/signup`, OWNER)).user.id
    token = (await postJson(`${setup.url}/auth/login`, OWNER)).session.token
  } finally {
    await setup.stop()
  }
  return { token, ownerId, seed: seedPosts(db, work, ownerId) }
}
