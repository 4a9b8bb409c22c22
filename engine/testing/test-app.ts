import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { bootApp } from '../cli/boot-app.ts'
import type { ColumnIR, ProjectIR } from '../ir/project-ir.ts'
import { applyMigrations, readMigrations } from '../migrate/index.ts'
import { applySystemSchema, loadModel, systemMigrations } from '../runtime/index.ts'
import { runSeeds, type Seed } from '../runtime/seed/run-seed.ts'
import { KoyaError } from '../shared/errors.ts'
import { openDatabase, type SqliteDatabase } from '../shared/sqlite.ts'
import { createHttpClient, type HttpClient } from './http-client.ts'

/** What a persona's client is made with: the server's URL and the persona's bearer token. */
export interface ClientOptions {
  readonly url: string
  readonly token?: string
}

export interface TestAppOptions<C> {
  /** The project (its generated/ is what is served). Default: the working directory. */
  readonly root?: string
  /**
   * The app's generated SDK (`import { createClient } from '../generated/sdk'`): each persona
   * then gets a typed client. Without it, a small HTTP client (HttpClient).
   */
  readonly createClient?: (options: ClientOptions) => C
  /**
   * Rows every test of the file starts from: a seed made by `defineSeed` (run on the migrated
   * database before the server starts, as `koyalite seed` runs it), or a function run once the
   * server listens.
   */
  readonly seed?: ((app: TestApp<C>) => Promise<void> | void) | Seed
  /** Where the clock starts. Default: the real time when the app is created. */
  readonly now?: Date | string
  /** Settings as `env('…')` reads them (secrets, KOYA_PUBLIC_URL…). Default: none. */
  readonly env?: Readonly<Record<string, string>>
}

export interface TestClock {
  now(): Date
  set(at: Date | string): void
  /** Move forward by milliseconds. */
  advance(ms: number): void
}

export interface UserOptions {
  /** Default: a random password of the allowed length. */
  readonly password?: string
  /** Roles granted (through the admin API) before the client is handed over. */
  readonly roles?: readonly string[]
  /** Columns of the users row; required ones left out get a value of their type. */
  readonly fields?: Readonly<Record<string, unknown>>
}

export interface TestUser<C> {
  readonly id: string
  readonly email: string
  readonly password: string
  readonly token: string
  readonly client: C
}

export interface TestApp<C = HttpClient> {
  readonly url: string
  readonly model: ProjectIR
  /** The in-memory database, for assertions the API cannot make. */
  readonly db: SqliteDatabase
  readonly clock: TestClock
  readonly serviceKey: string
  /** A client with the service key: the system role, past every policy. */
  asService(): C
  /** A client with no credentials. */
  asAnonymous(): C
  /**
   * A client signed in as `email`: signed up through /auth (the first call), logged in, with
   * `roles` granted. Later calls for the same address log in again.
   */
  asUser(email: string, options?: UserOptions): Promise<C>
  /** The same, with the user's id, password and token beside the client. */
  user(email: string, options?: UserOptions): Promise<TestUser<C>>
  /** The raw Fastify instance (inject, routes). */
  readonly server: FastifyInstance
  close(): Promise<void>
}

/** Sign-up and login limits a test suite never meets (the defaults protect real addresses). */
const GENEROUS_LIMITS = { max: 1_000_000, windowSeconds: 1 }
const RATE_LIMIT_NAMES = ['signupPerIp', 'signupPerAccount', 'loginPerIp', 'loginFailuresPerAccount', 'loginAttemptsPerAccount', 'resetPerIp', 'resetPerAccount'] as const

/**
 * The project served as `koyalite start` serves it, on in-memory SQLite with its migrations
 * applied, listening on a free port of 127.0.0.1, with a clock the test moves and clients per
 * persona: like convex-test, but over the real HTTP stack (auth, policies, validation). Needs
 * `koyalite generate` to have run (generated/ is what is served).
 *
 * @example
 * import { createClient } from '../generated/sdk'
 * const app = await createTestApp({ createClient })
 * const ada = await app.asUser('ada@example.com')
 * await ada.notes.create({ title: 'Hello', ownerId: (await app.user('ada@example.com')).id })
 * await app.close()
 */
export async function createTestApp<C = HttpClient>(options: TestAppOptions<C> = {}): Promise<TestApp<C>> {
  const root = options.root ?? process.cwd()
  const model = loadModel(root)
  const db = openDatabase(':memory:')
  let time = options.now === undefined ? Date.now() : new Date(options.now).getTime()
  const clock: TestClock = {
    now: () => new Date(time),
    set(at) {
      time = new Date(at).getTime()
    },
    advance(ms) {
      time += ms
    },
  }
  const serviceKey = randomBytes(24).toString('base64url')
  let server: FastifyInstance
  try {
    applyMigrations(db, readMigrations(root).migrations, { now: clock.now })
    applySystemSchema(db, systemMigrations(), clock.now)
    if (isSeed(options.seed)) await runSeeds([options.seed], { model, db, environment: 'test', clock: clock.now })
    const rateLimits = Object.fromEntries(RATE_LIMIT_NAMES.map((name) => [name, GENEROUS_LIMITS]))
    server = await bootApp({ out: () => {}, err: () => {}, color: false, cwd: root, env: { ...options.env } }, db, undefined, {
      logger: false,
      clock: clock.now,
      auth: { serviceKey, rateLimits },
    })
    await server.listen({ port: 0, host: '127.0.0.1' })
  } catch (error) {
    db.close()
    throw error
  }
  const url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`
  const clientOf = (token: string | undefined): C =>
    options.createClient ? options.createClient({ url, ...(token !== undefined ? { token } : {}) }) : (createHttpClient({ url, ...(token !== undefined ? { token } : {}) }) as C)
  const service = createHttpClient({ url, token: serviceKey })
  const users = new Map<string, { id: string; password: string }>()

  const user = async (email: string, userOptions: UserOptions = {}): Promise<TestUser<C>> => {
    let known = users.get(email)
    if (known === undefined) {
      const password = userOptions.password ?? `test-${randomBytes(12).toString('base64url')}`
      const signup = await service.post('/auth/signup', { ...requiredUserFields(model, email), ...userOptions.fields, email, password })
      if (signup.status !== 201 && signup.status !== 202) throw setupError(`sign-up of ${email}`, signup)
      known = { id: '', password }
    }
    const login = await service.post('/auth/login', { email, password: userOptions.password ?? known.password })
    if (login.status !== 200) throw setupError(`login of ${email}`, login)
    const answer = login.body as { user: { id: string }; session: { token: string } }
    known = { id: answer.user.id, password: userOptions.password ?? known.password }
    users.set(email, known)
    for (const role of userOptions.roles ?? []) {
      const granted = await service.post(`/admin/users/${encodeURIComponent(known.id)}/roles`, { role })
      if (granted.status >= 300) throw setupError(`granting ${role} to ${email}`, granted)
    }
    return { id: known.id, email, password: known.password, token: answer.session.token, client: clientOf(answer.session.token) }
  }

  const app: TestApp<C> = {
    url,
    model,
    db,
    clock,
    serviceKey,
    server,
    asService: () => clientOf(serviceKey),
    asAnonymous: () => clientOf(undefined),
    asUser: async (email, userOptions) => (await user(email, userOptions)).client,
    user,
    async close() {
      await server.close()
      db.close()
    },
  }
  if (typeof options.seed === 'function') {
    try {
      await options.seed(app)
    } catch (error) {
      await app.close()
      throw error
    }
  }
  return app
}

function setupError(what: string, answer: { status: number; body: unknown }): KoyaError {
  return new KoyaError('KL_API_VALIDATION', `createTestApp: ${what} answered ${answer.status}: ${JSON.stringify(answer.body)}.`, {
    hint: 'Pass the users row\'s required columns in `fields`, or check the auth settings of koyalite.ts.',
  })
}

/** A value for each required column of the users table that sign-up takes (left to the caller's `fields`). */
function requiredUserFields(model: ProjectIR, email: string): Record<string, unknown> {
  const users = model.tables.find((t) => t.isUsers)
  if (users === undefined) throw new KoyaError('KL_API_VALIDATION', 'createTestApp: asUser needs a users table (table.users in the schema).', { hint: 'Add `table.users({ … })` to the schema, or test with asService() and asAnonymous().' })
  const fields: Record<string, unknown> = {}
  for (const column of users.columns) {
    if (column.nullable || column.default !== null || column.readOnly || column.name === 'id' || column.name === 'email' || column.name === 'emailVerified') continue
    fields[column.name] = sampleValue(column, email)
  }
  return fields
}

function sampleValue(column: ColumnIR, email: string): unknown {
  const min = column.min ?? undefined
  switch (column.type) {
    case 'text': {
      const base = email.split('@')[0] || 'user'
      const padded = base.padEnd(min ?? 1, 'x')
      return column.max != null ? padded.slice(0, column.max) : padded
    }
    case 'int':
    case 'real':
      return min ?? 0
    case 'bool':
      return false
    case 'enum':
      return column.values?.[0]
    case 'timestamp':
    case 'date':
      return new Date(0).toISOString().slice(0, column.type === 'date' ? 10 : 24)
    case 'json':
      return {}
    default:
      return null
  }
}

function isSeed(value: unknown): value is Seed {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'seed'
}
