import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { faker as reference } from '@faker-js/faker'
import { afterAll, describe, expect, it } from 'vitest'
import { compileDefinition } from '../../engine/compiler/index.ts'
import { defineConfig, defineSeed, t, table } from '../../engine/dsl/index.ts'
import { planMigration, printSteps } from '../../engine/migrate/index.ts'
import { FAKER_SEED, runSeeds } from '../../engine/runtime/seed/run-seed.ts'
import { openDatabase } from '../../engine/shared/sqlite.ts'
import { repoRoot } from '../helpers/paths.ts'

// `faker` in a seed's context: the project's own @faker-js/faker (an optional peer dependency;
// this repository has it as a devDependency), seeded the same on every run.
const notes = table('notes', { title: t.text().unique(), body: t.text() })
const model = compileDefinition(defineConfig({ name: 'faker-seed', tables: { notes } }))
const dir = mkdtempSync(path.join(os.tmpdir(), 'koya-seed-faker-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const seed = defineSeed({ notes }, async ({ db, faker }) => {
  if (faker === undefined) throw new Error('no faker')
  await db.upsert('notes', Array.from({ length: 3 }, (_, i) => ({ title: `note ${i}`, body: faker.lorem.sentence() })), { on: ['title'] })
})

function database(name: string) {
  const db = openDatabase(path.join(dir, `${name}.db`))
  db.exec(printSteps(planMigration({ migrations: [], latestSnapshot: undefined }, model, { allowDataLoss: false, source: 'test' })!.steps).join('\n'))
  return db
}

describe('faker in seeds', () => {
  it('is the project\'s Faker, seeded, so a second run writes the same values (nothing new)', async () => {
    const db = database('a')
    await runSeeds([seed as never], { model, db, environment: 'development', root: repoRoot })
    const first = db.prepare('SELECT "title", "body" FROM "notes" ORDER BY "title"').all() as { title: string; body: string }[]
    reference.seed(FAKER_SEED)
    expect(first.map((row) => row.body)).toEqual([reference.lorem.sentence(), reference.lorem.sentence(), reference.lorem.sentence()])
    await runSeeds([seed as never], { model, db, environment: 'development', root: repoRoot })
    expect(db.prepare('SELECT "title", "body" FROM "notes" ORDER BY "title"').all()).toEqual(first)
    db.close()
  })

  it('is undefined for a project without @faker-js/faker', async () => {
    const db = database('b')
    let given: unknown = 'unset'
    await runSeeds([defineSeed({ notes }, async ({ faker }) => void (given = faker)) as never], { model, db, environment: 'development', root: dir })
    expect(given).toBeUndefined()
    db.close()
  })
})
