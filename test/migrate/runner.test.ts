/**
 * What happens around the matrix: migrations that fail on the data they meet (rolled back whole),
 * a history that changed after it was applied, no change at all, determinism, the files on
 * disk, and a history undone back to an empty database.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { table, t, type AnyTable } from '../../engine/dsl/index.ts'
import { checksumOf, readMigrations } from '../../engine/migrate/files.ts'
import { migrationStatus, readApplied } from '../../engine/migrate/runner.ts'
import type { KoyaErrorCode } from '../../engine/shared/errors.ts'
import { base, omit, people, projects, seedBase, seedPeople, taskColumns } from './fixtures.ts'
import { dataOf, expectHealthy, expectRefused, MigrationHarness, shapeOf, toGenerated, userTables } from './helpers.ts'

interface FailureCase {
  readonly name: string
  readonly before: readonly AnyTable[]
  readonly seed: (h: MigrationHarness) => void
  readonly after: readonly AnyTable[]
  readonly allowDataLoss: boolean
  readonly code: KoyaErrorCode
  readonly message: RegExp
}

const failures: FailureCase[] = [
  {
    name: 'a required ref whose default points nowhere leaves orphans: KL_MIG_FOREIGN_KEY, rolled back',
    before: [...base, people],
    seed: (h) => {
      seedBase(h)
      seedPeople(h)
    },
    after: [...base.slice(0, 1), people, table('tasks', { ...taskColumns, ownerId: t.ref('people').default('u9') })],
    allowDataLoss: false,
    code: 'KL_MIG_FOREIGN_KEY',
    message: /Migration 0002_rebuild_table_tasks leaves 3 row\(s\) pointing at missing parents \(tasks row \d+ → people; .*\); it was rolled back\./,
  },
  {
    name: 'turning text into a ref whose values point nowhere, with --allow-data-loss: KL_MIG_FOREIGN_KEY, rolled back',
    before: [...base, people, table('notes', { author: t.text() })],
    seed: (h) => {
      seedBase(h)
      seedPeople(h)
      h.insert('notes', [
        { id: 'n1', author: 'u1' },
        { id: 'n2', author: 'grace' },
      ])
    },
    after: [...base, people, table('notes', { author: t.ref('people') })],
    allowDataLoss: true,
    code: 'KL_MIG_FOREIGN_KEY',
    message: /leaves 1 row\(s\) pointing at missing parents \(notes row \d+ → people\)/,
  },
  {
    name: 'a ref pointed at another table, with --allow-data-loss, whose values are not ids there: KL_MIG_FOREIGN_KEY, rolled back',
    before: [...base, people],
    seed: (h) => {
      seedBase(h)
      seedPeople(h)
    },
    after: [projects, people, table('tasks', { ...taskColumns, projectId: t.ref('people', { onDelete: 'cascade' }) })],
    allowDataLoss: true,
    code: 'KL_MIG_FOREIGN_KEY',
    message: /leaves 3 row\(s\) pointing at missing parents \(tasks row \d+ → people; /,
  },
  {
    name: 'text that is not a number cannot become int: KL_MIG_FAILED, rolled back',
    before: [projects, table('tasks', { ...taskColumns, code: t.text().default('0') })],
    seed: (h) => {
      seedBase(h)
      h.db.exec(`UPDATE "tasks" SET "code" = 'T-1' WHERE "id" = 't1'`)
    },
    after: [projects, table('tasks', { ...taskColumns, code: t.int().default(0) })],
    allowDataLoss: true,
    code: 'KL_MIG_FAILED',
    message: /Migration 0002_rebuild_table_tasks failed and was rolled back: cannot store TEXT value in INTEGER column __koya_new_tasks\.code\./,
  },
  {
    name: 'a unique index over duplicate values: KL_MIG_FAILED, rolled back',
    before: base,
    seed: (h) => {
      seedBase(h)
      h.db.exec(`UPDATE "tasks" SET "title" = 'Same'`)
    },
    after: [projects, table('tasks', { ...taskColumns, title: t.text().unique() })],
    allowDataLoss: false,
    code: 'KL_MIG_FAILED',
    message: /UNIQUE constraint failed: tasks\.title/,
  },
  {
    name: 'a column made required without a default, over NULLs, with --allow-data-loss: KL_MIG_FAILED, rolled back',
    before: base,
    seed: seedBase,
    after: [projects, table('tasks', { ...taskColumns, notes: t.text() })],
    allowDataLoss: true,
    code: 'KL_MIG_FAILED',
    message: /NOT NULL constraint failed: __koya_new_tasks\.notes/,
  },
  {
    name: 'a tightened maximum over longer rows, with --allow-data-loss: KL_MIG_FAILED, rolled back',
    before: base,
    seed: seedBase,
    after: [projects, table('tasks', { ...taskColumns, title: t.text().max(5) })],
    allowDataLoss: true,
    code: 'KL_MIG_FAILED',
    message: /CHECK constraint failed/,
  },
]

describe('migrations that fail on the data they meet', () => {
  let h: MigrationHarness
  afterEach(() => h?.dispose())

  for (const c of failures) {
    it(c.name, () => {
      h = new MigrationHarness()
      h.migrate(c.before, { allowDataLoss: true })
      c.seed(h)
      const shape = shapeOf(h.db)
      const data = dataOf(h.db)

      const migration = h.generate(c.after, { allowDataLoss: c.allowDataLoss })
      const error = expectRefused(() => h.apply(), c.code)
      expect(error.message).toMatch(c.message)

      expect(shapeOf(h.db)).toEqual(shape)
      expect(dataOf(h.db)).toEqual(data)
      expect(migrationStatus(h.db, h.migrations).map((s) => `${s.name} ${s.state}`)).toEqual(['0001_init applied', `${migration.file.name} pending`])
      expectHealthy(h.db)
    })
  }
})

describe('the migration history', () => {
  let h: MigrationHarness
  afterEach(() => h?.dispose())

  it('no change plans no migration', () => {
    h = new MigrationHarness()
    h.migrate(base)
    expect(h.plan(base)).toBeUndefined()
    expect(h.plan(base, { allowDataLoss: true })).toBeUndefined()
    // Declaration objects rebuilt from scratch, in another order, are the same schema.
    expect(h.plan([table('tasks', { ...taskColumns }), table('projects', { name: t.text() })])).toBeUndefined()
  })

  it('an applied migration whose SQL changed is refused with KL_MIG_TAMPERED before anything runs', () => {
    h = new MigrationHarness()
    h.migrate(base)
    seedBase(h)
    h.generate([projects, table('tasks', { ...taskColumns, dueAt: t.timestamp().optional() })])
    const original = h.migrations[0]!
    const up = original.up.replace('"name" TEXT NOT NULL', '"name" TEXT')
    h.migrations[0] = { ...original, up, checksum: checksumOf(up) }

    const error = expectRefused(() => h.apply(), 'KL_MIG_TAMPERED')
    expect(error.message).toContain('Migration 0001_init was applied on 2026-01-01T00:00:00.000Z and has changed on disk since.')
    expect(error.hint).toContain('Restore the applied migration from version control')
    expectRefused(() => h.rollback(), 'KL_MIG_TAMPERED')
    expect(readApplied(h.db).map((m) => m.name)).toEqual(['0001_init'])
    expect(userTables(h.db)).toEqual(['projects', 'tasks'])
    expect(h.rows('SELECT * FROM "tasks"').every((row) => !('dueAt' in row))).toBe(true)

    h.migrations[0] = original
    expect(h.apply()).toEqual(['0002_add_column_tasks_dueat'])
  })

  it('an applied migration missing from disk is refused with KL_MIG_MISSING', () => {
    h = new MigrationHarness()
    h.migrate(base)
    h.migrate([projects, table('tasks', { ...taskColumns, dueAt: t.timestamp().optional() })])
    h.migrations.pop()
    expectRefused(() => h.apply(), 'KL_MIG_MISSING')
    expectRefused(() => h.rollback(), 'KL_MIG_MISSING')
  })

  it('a failing migration stops the run: the ones before it stay applied, the ones after it stay pending', () => {
    h = new MigrationHarness()
    h.migrate(base)
    seedBase(h)
    h.generate([projects, table('tasks', { ...taskColumns, dueAt: t.timestamp().optional() })])
    h.generate([projects, table('tasks', { ...taskColumns, dueAt: t.timestamp().optional(), title: t.text().max(5) })], { allowDataLoss: true })
    h.generate([projects, table('tasks', { ...taskColumns, dueAt: t.timestamp().optional(), title: t.text().max(5), done: t.bool().default(false) })])
    expectRefused(() => h.apply(), 'KL_MIG_FAILED')
    expect(migrationStatus(h.db, h.migrations).map((s) => s.state)).toEqual(['applied', 'applied', 'pending', 'pending'])
    expect(h.rows('SELECT "dueAt" FROM "tasks"')).toHaveLength(3)
    expectHealthy(h.db)
  })

  it('the down migration of a dropped required column cannot invent its values: it fails on existing rows and changes nothing', () => {
    h = new MigrationHarness()
    h.migrate(base)
    seedBase(h)
    const drop = h.migrate([projects, table('tasks', omit(taskColumns, 'title'))], { allowDataLoss: true })
    expect(drop.downBody).toContain('CREATE TABLE "__koya_new_tasks"')
    const shape = shapeOf(h.db)
    const error = expectRefused(() => h.rollback(), 'KL_MIG_FAILED')
    expect(error.message).toContain('NOT NULL constraint failed: __koya_new_tasks.title')
    expect(shapeOf(h.db)).toEqual(shape)
    expect(readApplied(h.db).map((m) => m.name)).toEqual(['0001_init', drop.file.name])
    // On an empty table it works.
    h.db.exec('DELETE FROM "tasks"')
    expect(h.rollback()).toBe(drop.file.name)
    expect(userTables(h.db)).toEqual(['projects', 'tasks'])
  })

  it('rolling back with nothing applied is refused with KL_MIG_NOTHING_TO_UNDO', () => {
    h = new MigrationHarness()
    h.generate(base)
    expectRefused(() => h.rollback(), 'KL_MIG_NOTHING_TO_UNDO')
  })

  it('planning the same change twice gives byte-identical files', () => {
    h = new MigrationHarness()
    h.migrate(base)
    const after = [projects, table('todos', { ...taskColumns, title: t.text().optional(), dueAt: t.timestamp().optional() }, { renamedFrom: 'tasks', indexes: [['projectId', 'dueAt']] })]
    const first = h.plan(after)!
    const second = h.plan(after)!
    expect(second.files).toEqual(first.files)
    expect(first.files.map((f) => f.path)).toEqual([
      'generated/migrations/0002_rename_table_tasks_to_todos_and_more.sql',
      'generated/migrations/0002_rename_table_tasks_to_todos_and_more.down.sql',
      'generated/migrations/meta/0002.snapshot.json',
    ])
    // A second harness, with its own database and history, plans the same bytes.
    const other = new MigrationHarness()
    try {
      other.migrate(base)
      expect(other.plan(after)!.files).toEqual(first.files)
    } finally {
      other.dispose()
    }
    for (const file of first.files) {
      expect(file.contents).not.toMatch(/\d{4}-\d{2}-\d{2}T|\/tmp\/|koya-migrate-/)
      expect(file.contents.endsWith('\n')).toBe(true)
    }
  })

  it('files written to generated/migrations read back as the same migrations and snapshot', () => {
    h = new MigrationHarness()
    const root = mkdtempSync(path.join(tmpdir(), 'koya-migrate-files-'))
    try {
      const write = (tables: readonly AnyTable[]) => {
        const planned = h.plan(tables)!
        for (const file of planned.files) {
          mkdirSync(path.dirname(path.join(root, file.path)), { recursive: true })
          writeFileSync(path.join(root, file.path), file.contents)
        }
        h.migrations.push(toGenerated(planned).file)
        h.latestSnapshot = toGenerated(planned).snapshot
      }
      write(base)
      write([projects, table('tasks', { ...taskColumns, dueAt: t.timestamp().optional() })])
      const read = readMigrations(root)
      expect(read.migrations).toEqual(h.migrations)
      expect(read.latestSnapshot).toEqual(h.latestSnapshot)
      expect(h.apply()).toEqual(['0001_init', '0002_add_column_tasks_dueat'])
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  it('a history of many migrations rolls back one by one to an empty database, and applies again', () => {
    h = new MigrationHarness()
    const versions: (readonly AnyTable[])[] = [
      [projects],
      base,
      [projects, people, table('tasks', { ...taskColumns, assigneeId: t.ref('people', { onDelete: 'set null' }).optional() })],
      [table('folders', { name: t.text() }, { renamedFrom: 'projects' }), people, table('tasks', { ...taskColumns, projectId: t.ref('folders', { onDelete: 'cascade' }), assigneeId: t.ref('people', { onDelete: 'set null' }).optional() })],
      [table('folders', { name: t.text().max(100) }), people, table('tasks', { ...taskColumns, projectId: t.ref('folders', { onDelete: 'cascade' }), assigneeId: t.ref('people', { onDelete: 'set null' }).optional(), title: t.text().unique() })],
    ]
    const shapes: ReturnType<typeof shapeOf>[] = [shapeOf(h.db)]
    for (const version of versions) {
      h.migrate(version, { allowDataLoss: true })
      shapes.push(shapeOf(h.db))
    }
    expect(h.migrations.map((m) => m.name)).toEqual([
      '0001_init',
      '0002_create_table_tasks_and_more',
      '0003_create_table_people_and_more',
      '0004_rename_table_projects_to_folders',
      '0005_rebuild_table_folders_and_more',
    ])
    h.insert('folders', [{ id: 'f1', name: 'Inbox' }])
    h.insert('tasks', [{ id: 't1', projectId: 'f1', title: 'Kept through the history' }])

    for (let undone = versions.length; undone > 0; undone--) {
      expect(h.rollback()).toBe(h.migrations[undone - 1]!.name)
      expectHealthy(h.db)
      expect(shapeOf(h.db)).toEqual(shapes[undone - 1])
      if (undone - 1 >= 2) expect(h.rows('SELECT "id", "title" FROM "tasks"')).toEqual([{ id: 't1', title: 'Kept through the history' }])
    }
    expect(userTables(h.db)).toEqual([])
    expect(h.apply()).toHaveLength(versions.length)
    expect(shapeOf(h.db)).toEqual(shapes.at(-1))
  })
})
