import { existsSync, readdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import { importProjectModule } from '../../compiler/import-module.ts'
import { applyMigrations, readMigrations } from '../../migrate/index.ts'
import { environmentOf } from '../../runtime/meta/project-record.ts'
import { applySystemSchema, loadModel, systemMigrations } from '../../runtime/index.ts'
import { runSeeds, type Seed } from '../../runtime/seed/run-seed.ts'
import { KoyaError } from '../../shared/errors.ts'
import { parseCommandArgs } from '../args.ts'
import type { Command } from '../command.ts'
import { databaseOptionsOf, databasePath, openCliDatabase } from '../database-path.ts'
import { withProjectEnv } from '../secrets-env.ts'
import { DB_CIPHER_ACTIONS, DB_CIPHER_USAGE, runDbCipher, type DbCipherAction } from './db-cipher.ts'
import { colors, type CliIO } from '../io.ts'

/** seed/*.ts (and .js), in name order: what `koyalite seed` runs. */
export async function loadSeeds(root: string): Promise<{ readonly file: string; readonly seed: Seed }[]> {
  const dir = path.join(root, 'seed')
  if (!existsSync(dir)) return []
  const files = readdirSync(dir).filter((name) => /\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')).sort()
  const seeds = []
  for (const name of files) {
    const module = await importProjectModule(path.join(dir, name))
    const seed = module.default as Seed | undefined
    if (seed?.kind !== 'seed') throw new KoyaError('KL_SEED_FAILED', `seed/${name} has no default export made by defineSeed().`, { hint: "Write `export default defineSeed(async ({ db }) => { … })` with defineSeed from 'koyalite'." })
    seeds.push({ file: `seed/${name}`, seed })
  }
  return seeds
}

async function seedDatabase(io: CliIO, file: string, environment: string): Promise<void> {
  const c = colors(io)
  const seeds = await loadSeeds(io.cwd)
  if (seeds.length === 0) {
    io.out(`${c.dim('no seed/*.ts files: nothing to seed')}`)
    return
  }
  const model = loadModel(io.cwd)
  const db = openCliDatabase(file, databaseOptionsOf(io))
  try {
    applySystemSchema(db, systemMigrations())
    await runSeeds(seeds.map((s) => s.seed), { model, db, environment, root: io.cwd })
  } finally {
    db.close()
  }
  for (const s of seeds) io.out(`  ${c.green('✓')} ${s.file}`)
}

export const seedCommand: Command = {
  usage: `koyalite seed [--env name] [--db file] [--force]

  Runs seed/*.ts (in name order) on the database: rows written through the data layer, with
  upserts on natural keys, so running it again changes nothing new. Refused in production
  (KOYA_ENV or --env) unless --force.

  --env <name>  development, test, staging or production (default: $KOYA_ENV, else $NODE_ENV, else development)
  --db <file>   the SQLite database (default: $KOYA_DB, else ./data/koya.db)
  --force       seed a production database`,
  async run(args, processIo) {
    const { values } = parseCommandArgs('seed', args, { env: { type: 'string' }, db: { type: 'string' }, force: { type: 'boolean' } })
    const io = await withProjectEnv({ ...processIo, env: { ...processIo.env, ...(values.env !== undefined ? { KOYA_ENV: values.env } : {}) } }, { dev: true })
    const environment = environmentOf(io.env, true)
    if (environment === 'production' && !values.force) {
      throw new KoyaError('KL_SEED_REFUSED', 'Seeding is refused in production.', { hint: 'Run `koyalite seed --force` to seed a production database on purpose.' })
    }
    await seedDatabase(io, databasePath(io, values.db), environment)
    return 0
  },
}

export const dbCommand: Command = {
  usage: `koyalite db reset [--db file]

  Development only: deletes the database file, applies every migration and runs seed/*.ts.
  Refused unless the environment is development (KOYA_ENV, else NODE_ENV, else development).

${DB_CIPHER_USAGE}`,
  async run(args, processIo) {
    const [action, ...rest] = args
    if ((DB_CIPHER_ACTIONS as readonly string[]).includes(action ?? '')) return runDbCipher(action as DbCipherAction, rest, processIo)
    if (action !== 'reset') throw new KoyaError('KL_CLI_USAGE', action === undefined ? 'db needs an action.' : `db has no action "${action}".`, { hint: 'Use `koyalite db reset | encrypt | decrypt | rekey`.' })
    const { values } = parseCommandArgs('db reset', rest, { db: { type: 'string' } })
    const io = await withProjectEnv(processIo, { dev: true })
    const environment = environmentOf(io.env, true)
    if (environment !== 'development') {
      throw new KoyaError('KL_SEED_REFUSED', `\`koyalite db reset\` drops the database; refused in ${environment}.`, { hint: 'Reset only a development database (KOYA_ENV=development).' })
    }
    const file = databasePath(io, values.db)
    if (file !== ':memory:') for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true })
    const db = openCliDatabase(file, databaseOptionsOf(io))
    try {
      for (const name of applyMigrations(db, readMigrations(io.cwd).migrations)) io.out(`  ${colors(io).green('↑')} ${name}`)
    } finally {
      db.close()
    }
    await seedDatabase(io, file, environment)
    return 0
  },
}
