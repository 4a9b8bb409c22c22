import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { ProjectIR } from '../../ir/project-ir.ts'
import { KoyaError } from '../../shared/errors.ts'
import type { SqliteDatabase } from '../../shared/sqlite.ts'
import { hashPassword } from '../auth/passwords.ts'
import { createRoleGrants } from '../auth/role-grants.ts'
import { createUserDirectory, normalizeEmail } from '../auth/user-directory.ts'
import { createDataLayer, type Actor, type DataLayer } from '../data/data-layer.ts'
import type { Where } from '../data/query.ts'

/** A seed as the runtime runs it (dsl SeedDef, without importing the dsl). */
export interface Seed {
  readonly kind: 'seed'
  run(ctx: never): Promise<void>
}

export interface SeedOptions {
  readonly model: ProjectIR
  readonly db: SqliteDatabase
  readonly environment: string
  readonly clock?: () => Date
  /** The project's folder: `faker` is the project's own @faker-js/faker when it has one. */
  readonly root?: string
}

/** The seed every run gives Faker: the same values each run, so upserts stay idempotent. */
export const FAKER_SEED = 20_261_202

/**
 * The project's @faker-js/faker (an optional peer dependency), seeded; undefined without one.
 * Resolved from the project's folder, not KoyaLite's, and loaded only when seeding.
 */
async function fakerOf(root: string | undefined): Promise<unknown> {
  if (root === undefined) return undefined
  let resolved: string
  try {
    resolved = createRequire(path.join(root, 'package.json')).resolve('@faker-js/faker')
  } catch {
    return undefined
  }
  let faker: { seed(value: number): unknown } | undefined
  try {
    ;({ faker } = (await import(pathToFileURL(resolved).href)) as { faker?: { seed(value: number): unknown } })
  } catch (cause) {
    throw new KoyaError('KL_SEED_FAILED', `The project's @faker-js/faker (${resolved}) could not be loaded.`, { hint: 'Reinstall it (npm i -D @faker-js/faker), or remove it to seed without faker.', cause })
  }
  if (typeof faker?.seed !== 'function') {
    throw new KoyaError('KL_SEED_FAILED', "The project's @faker-js/faker exports no `faker` with seed().", { hint: 'Install @faker-js/faker 9 or later.' })
  }
  faker.seed(FAKER_SEED)
  return faker
}

type Row = Record<string, unknown>

/**
 * Run seeds, in order, on a migrated database, through the data layer (the same validation,
 * policies and write events as the API). Users are created the way sign-up creates them
 * (verified, with a password hash), so a seeded user can sign in.
 *
 * @example
 * await runSeeds([demoSeed], { model, db, environment: 'development' })
 */
export async function runSeeds(seeds: readonly Seed[], options: SeedOptions): Promise<void> {
  const { model, db } = options
  const clock = options.clock ?? (() => new Date())
  const data = createDataLayer(model, db, { clock })
  const hasUsers = model.tables.some((t) => t.isUsers)
  const users = hasUsers ? createUserDirectory(db, data) : undefined
  const grants = createRoleGrants(db, model.roles)
  const needUsers = () => {
    if (users === undefined) throw new KoyaError('KL_SEED_FAILED', 'The seed asked for a user, but the app has no users table.', { hint: 'Add table.users({ … }) to the schema, or seed without users.' })
    return users
  }
  const ctx = {
    environment: options.environment,
    faker: await fakerOf(options.root),
    db: tablesAs(data, { kind: 'system' }),
    async as(email: string) {
      const found = needUsers().findByEmail(normalizeEmail(email))
      if (found === undefined) throw new KoyaError('KL_SEED_FAILED', `The seed acts as ${email}, who does not exist.`, { hint: 'Create the user first: await user(email, { password }).' })
      return tablesAs(data, { kind: 'user', userId: found.id, roles: grants.rolesOf(found.id) })
    },
    async user(email: string, userOptions: { password?: string; roles?: readonly string[]; fields?: Row } = {}) {
      const directory = needUsers()
      const address = normalizeEmail(email)
      const id = directory.findByEmail(address)?.id ?? directory.insertUser({ ...userOptions.fields, email: address })
      directory.markVerified(id)
      if (userOptions.password !== undefined) directory.setPasswordHash(id, await hashPassword(userOptions.password), clock())
      for (const role of userOptions.roles ?? []) if (!grants.rolesOf(id).includes(role)) grants.grant(id, role, null, clock())
      return { id, email: address }
    },
  }
  for (const seed of seeds) await seed.run(ctx as never)
}

function tablesAs(data: DataLayer, actor: Actor) {
  return {
    async upsert(table: string, rows: readonly Row[], options: { on: readonly string[] }): Promise<Row[]> {
      // Found by its natural key (any columns, a unique index or not), then updated; else inserted.
      const result: Row[] = []
      for (const row of rows) {
        const key = options.on.map((column) => equals(column, row[column]))
        const found = data.findOne(actor, { table, where: { kind: 'and', where: key }, select: [{ kind: 'column', column: 'id' }] }, { as: 'objects' }) as { id: string } | undefined
        const patch = Object.fromEntries(Object.entries(row).filter(([column]) => !options.on.includes(column)))
        if (found !== undefined && Object.keys(patch).length === 0) {
          result.push(data.findOne(actor, { table, where: equals('id', found.id) }, { as: 'objects' }) as Row)
          continue
        }
        const written =
          found === undefined
            ? data.insert(actor, { table, rows: [row], returning: [{ kind: 'all' }] }, { as: 'objects' })
            : data.update(actor, { table, target: { id: found.id }, patch, returning: [{ kind: 'all' }] }, { as: 'objects', single: true })
        result.push(...((written.rows ?? []) as Row[]))
      }
      return result
    },
    async list(table: string, where: Row = {}): Promise<Row[]> {
      const clauses = Object.entries(where).map(([column, value]) => equals(column, value))
      const query = { table, ...(clauses.length > 0 ? { where: { kind: 'and', where: clauses } as Where } : {}) }
      return [...data.list(actor, query, { as: 'objects' }).rows] as Row[]
    },
  }
}

function equals(column: string, value: unknown): Where {
  return value === null || value === undefined ? ({ kind: 'is', column, value: null } as Where) : ({ kind: 'compare', column, operator: 'eq', value } as Where)
}
