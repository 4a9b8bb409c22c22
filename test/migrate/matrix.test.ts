/**
 * The migration matrix: for each kind of schema change, apply the old migrations to a real
 * SQLite file, seed rows, apply the new migration, and check the SQL it printed, that the rows
 * survived, that foreign keys and integrity hold, and that the new shape is real. Then run the
 * .down.sql and check the old shape and rows are back, and that the up applies again.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { table, t, type AnyTable } from '../../engine/dsl/index.ts'
import type { MigrationStepKind } from '../../engine/migrate/steps.ts'
import {
  baseProjectRows,
  baseTaskRows,
  base,
  omit,
  people,
  projects,
  PROJECTS,
  seedBase,
  seedPeople,
  taskColumns,
  TASKS,
  tasks,
} from './fixtures.ts'
import {
  columnNames,
  columnsOf,
  dataOf,
  expectHealthy,
  foreignKeysOf,
  indexesOf,
  MigrationHarness,
  shapeOf,
  sqliteError,
  userTables,
} from './helpers.ts'

type Rows = Record<string, unknown>[]
type Data = Record<string, Rows>

interface MatrixCase {
  /** What the change does, as a sentence. */
  readonly name: string
  /** The definitions of the old migrations, applied in order. */
  readonly history: readonly (readonly AnyTable[])[]
  readonly seed: (h: MigrationHarness) => void
  readonly after: readonly AnyTable[]
  readonly allowDataLoss?: boolean
  /** The kinds of the steps of the new migration, in order. */
  readonly steps: readonly MigrationStepKind[]
  /** Statements (or parts of them) the up SQL must contain. */
  readonly sql: readonly string[]
  /** Parts the up SQL must not contain. */
  readonly notSql?: readonly string[]
  /** Rows after the migration, by query. */
  readonly data: Readonly<Record<string, Rows>>
  /** The new shape, checked against SQLite itself (pragmas, or writes it must accept or refuse). */
  readonly shape: (h: MigrationHarness) => void
  /** Rows a down migration cannot bring back (a dropped table or column's values). */
  readonly lostOnDown?: (old: Data) => Data
}

/** Run `check` and undo whatever it wrote, so probing a constraint leaves the rows as seeded. */
function probe(h: MigrationHarness, check: () => void): void {
  h.db.exec('SAVEPOINT probe')
  try {
    check()
  } finally {
    h.db.exec('ROLLBACK TO probe; RELEASE probe')
  }
}

/** The dropped columns' values come back as NULL: the down migration re-adds the column, not the data. */
function nulled(tableName: string, ...columns: string[]): (old: Data) => Data {
  return (old) => ({
    ...old,
    [tableName]: old[tableName]!.map((row) => ({
      ...row,
      ...Object.fromEntries(columns.flatMap((c) => [[c, null], [`${c}:type`, 'null']])),
    })),
  })
}

const REBUILD_TASKS = [
  'CREATE TABLE "__koya_new_tasks" (',
  'INSERT INTO "__koya_new_tasks" ("id", "projectId", "title", "notes", "priority") SELECT "id", "projectId", "title", "notes", "priority" FROM "tasks";',
  'DROP TABLE "tasks";',
  'ALTER TABLE "__koya_new_tasks" RENAME TO "tasks";',
  'CREATE INDEX "tasks_projectId_idx" ON "tasks" ("projectId");',
]

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

const matrix: MatrixCase[] = [
  // ── Tables ────────────────────────────────────────────────────────────────────────────────
  {
    name: 'creating a table leaves the existing rows alone',
    history: [base],
    seed: seedBase,
    after: [...base, table('labels', { name: t.text().unique() })],
    steps: ['createTable', 'createIndex'],
    sql: ['CREATE TABLE "labels" (\n  "id" TEXT PRIMARY KEY NOT NULL DEFAULT (', '  "name" TEXT NOT NULL\n) STRICT;', 'CREATE UNIQUE INDEX "labels_name_key" ON "labels" ("name");'],
    data: { [TASKS]: baseTaskRows, [PROJECTS]: baseProjectRows },
    shape: (h) => {
      expect(userTables(h.db)).toEqual(['labels', 'projects', 'tasks'])
      h.insert('labels', [{ name: 'bug' }])
      expect(h.rows('SELECT "id", "name" FROM "labels"')).toEqual([{ id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/), name: 'bug' }])
      expect(sqliteError(h.db, `INSERT INTO "labels" ("name") VALUES ('bug')`)).toMatch(/UNIQUE constraint failed: labels.name/)
    },
  },
  {
    name: 'creating a table with a foreign key to an existing table enforces it',
    history: [base],
    seed: seedBase,
    after: [...base, table('comments', { taskId: t.ref('tasks', { onDelete: 'cascade' }), body: t.text() })],
    steps: ['createTable', 'createIndex'],
    sql: ['  "taskId" TEXT NOT NULL REFERENCES "tasks" ("id") ON DELETE CASCADE,', 'CREATE INDEX "comments_taskId_idx" ON "comments" ("taskId");'],
    data: { [TASKS]: baseTaskRows },
    shape: (h) => {
      expect(foreignKeysOf(h.db, 'comments')).toEqual([{ from: 'taskId', table: 'tasks', to: 'id', on_delete: 'CASCADE' }])
      expect(sqliteError(h.db, `INSERT INTO "comments" ("taskId", "body") VALUES ('nope', 'x')`)).toMatch(/FOREIGN KEY constraint failed/)
      h.insert('comments', [{ id: 'c1', taskId: 't1', body: 'LGTM' }])
      probe(h, () => {
        h.db.exec(`DELETE FROM "tasks" WHERE "id" = 't1'`)
        expect(h.rows('SELECT "id" FROM "comments"')).toEqual([])
      })
    },
  },
  {
    name: 'dropping a table with --allow-data-loss deletes it; the down migration brings back its shape, empty',
    history: [[...base, table('labels', { name: t.text().unique() })]],
    seed: (h) => {
      seedBase(h)
      h.insert('labels', [{ id: 'l1', name: 'bug' }])
    },
    after: base,
    allowDataLoss: true,
    steps: ['dropTable'],
    sql: ['DROP TABLE "labels";'],
    data: { [TASKS]: baseTaskRows, [PROJECTS]: baseProjectRows },
    shape: (h) => expect(userTables(h.db)).toEqual(['projects', 'tasks']),
    lostOnDown: (old) => ({ ...old, labels: [] }),
  },
  {
    name: 'renaming a table with renamedFrom keeps its rows, and the child foreign key follows',
    history: [base],
    seed: seedBase,
    after: [table('folders', { name: t.text() }, { renamedFrom: 'projects' }), table('tasks', { ...taskColumns, projectId: t.ref('folders', { onDelete: 'cascade' }) })],
    steps: ['renameTable'],
    sql: ['ALTER TABLE "projects" RENAME TO "folders";'],
    notSql: ['DROP TABLE', '__koya_new_'],
    data: { 'SELECT "id", "name" FROM "folders" ORDER BY "id"': baseProjectRows, [TASKS]: baseTaskRows },
    shape: (h) => {
      expect(userTables(h.db)).toEqual(['folders', 'tasks'])
      expect(foreignKeysOf(h.db, 'tasks')).toEqual([{ from: 'projectId', table: 'folders', to: 'id', on_delete: 'CASCADE' }])
      expect(sqliteError(h.db, `INSERT INTO "tasks" ("projectId", "title") VALUES ('p9', 'x')`)).toMatch(/FOREIGN KEY constraint failed/)
    },
  },
  {
    name: 'creating a table and renaming another in one migration renames first, then creates against the new name',
    history: [base],
    seed: seedBase,
    after: [
      table('folders', { name: t.text() }, { renamedFrom: 'projects' }),
      table('tasks', { ...taskColumns, projectId: t.ref('folders', { onDelete: 'cascade' }) }),
      table('shares', { folderId: t.ref('folders', { onDelete: 'cascade' }), email: t.text() }),
    ],
    steps: ['renameTable', 'createTable', 'createIndex'],
    sql: ['ALTER TABLE "projects" RENAME TO "folders";\nCREATE TABLE "shares" (', '"folderId" TEXT NOT NULL REFERENCES "folders" ("id") ON DELETE CASCADE'],
    data: { 'SELECT "id", "name" FROM "folders" ORDER BY "id"': baseProjectRows, [TASKS]: baseTaskRows },
    shape: (h) => {
      h.insert('shares', [{ id: 's1', folderId: 'p1', email: 'a@example.com' }])
      expect(foreignKeysOf(h.db, 'shares')).toEqual([{ from: 'folderId', table: 'folders', to: 'id', on_delete: 'CASCADE' }])
    },
  },
  {
    name: 'renaming a parent table and changing it in one migration renames, then rebuilds it',
    history: [base],
    seed: seedBase,
    after: [table('folders', { name: t.text().optional() }, { renamedFrom: 'projects' }), table('tasks', { ...taskColumns, projectId: t.ref('folders', { onDelete: 'cascade' }) })],
    steps: ['renameTable', 'rebuildTable'],
    sql: [
      'ALTER TABLE "projects" RENAME TO "folders";',
      'CREATE TABLE "__koya_new_folders" (',
      '  "name" TEXT\n) STRICT;',
      'INSERT INTO "__koya_new_folders" ("id", "name") SELECT "id", "name" FROM "folders";',
      'DROP TABLE "folders";',
      'ALTER TABLE "__koya_new_folders" RENAME TO "folders";',
    ],
    data: { 'SELECT "id", "name" FROM "folders" ORDER BY "id"': baseProjectRows, [TASKS]: baseTaskRows },
    shape: (h) => {
      expect(columnsOf(h.db, 'folders').find((c) => c.name === 'name')?.notnull).toBe(0)
      expect(foreignKeysOf(h.db, 'tasks')).toEqual([{ from: 'projectId', table: 'folders', to: 'id', on_delete: 'CASCADE' }])
    },
  },
  {
    name: 'renaming a child table with an indexed foreign key moves its indexes to the new name',
    history: [base],
    seed: seedBase,
    after: [projects, table('todos', taskColumns, { renamedFrom: 'tasks' })],
    steps: ['renameTable', 'dropIndex', 'createIndex'],
    sql: ['ALTER TABLE "tasks" RENAME TO "todos";', 'DROP INDEX "tasks_projectId_idx";', 'CREATE INDEX "todos_projectId_idx" ON "todos" ("projectId");'],
    data: { [TASKS.replace('"tasks"', '"todos"')]: baseTaskRows },
    shape: (h) => {
      expect(indexesOf(h.db, 'todos')).toEqual([{ name: 'todos_projectId_idx', unique: 0, columns: ['projectId'] }])
      expect(foreignKeysOf(h.db, 'todos')).toEqual([{ from: 'projectId', table: 'projects', to: 'id', on_delete: 'CASCADE' }])
    },
  },
  {
    name: 'a self-referencing table keeps its parent links through a rebuild',
    history: [[table('categories', { name: t.text(), parentId: t.ref('categories', { onDelete: 'cascade' }).optional() })]],
    seed: (h) =>
      h.insert('categories', [
        { id: 'c1', name: 'Root', parentId: null },
        { id: 'c2', name: 'Child', parentId: 'c1' },
        { id: 'c3', name: 'Grandchild', parentId: 'c2' },
      ]),
    after: [table('categories', { name: t.text().max(80), parentId: t.ref('categories', { onDelete: 'cascade' }).optional() })],
    allowDataLoss: true,
    steps: ['rebuildTable'],
    sql: ['"parentId" TEXT REFERENCES "categories" ("id") ON DELETE CASCADE', 'DROP TABLE "categories";', 'CREATE INDEX "categories_parentId_idx" ON "categories" ("parentId");'],
    data: {
      'SELECT "id", "name", "parentId" FROM "categories" ORDER BY "id"': [
        { id: 'c1', name: 'Root', parentId: null },
        { id: 'c2', name: 'Child', parentId: 'c1' },
        { id: 'c3', name: 'Grandchild', parentId: 'c2' },
      ],
    },
    shape: (h) => {
      expect(foreignKeysOf(h.db, 'categories')).toEqual([{ from: 'parentId', table: 'categories', to: 'id', on_delete: 'CASCADE' }])
      expect(sqliteError(h.db, `INSERT INTO "categories" ("name") VALUES (?)`, 'x'.repeat(81))).toMatch(/CHECK constraint failed/)
      probe(h, () => {
        h.db.exec(`DELETE FROM "categories" WHERE "id" = 'c1'`)
        expect(h.rows('SELECT "id" FROM "categories"'), 'the cascade now runs through the rebuilt table').toEqual([])
      })
    },
  },
  {
    name: 'renaming a self-referencing table keeps its links pointing at itself',
    history: [[table('categories', { name: t.text(), parentId: t.ref('categories', { onDelete: 'cascade' }).optional() })]],
    seed: (h) =>
      h.insert('categories', [
        { id: 'c1', name: 'Root', parentId: null },
        { id: 'c2', name: 'Child', parentId: 'c1' },
      ]),
    after: [table('nodes', { name: t.text(), parentId: t.ref('nodes', { onDelete: 'cascade' }).optional() }, { renamedFrom: 'categories' })],
    steps: ['renameTable', 'dropIndex', 'createIndex'],
    sql: ['ALTER TABLE "categories" RENAME TO "nodes";', 'CREATE INDEX "nodes_parentId_idx" ON "nodes" ("parentId");'],
    notSql: ['__koya_new_'],
    data: { 'SELECT "id", "parentId" FROM "nodes" ORDER BY "id"': [{ id: 'c1', parentId: null }, { id: 'c2', parentId: 'c1' }] },
    shape: (h) => {
      expect(foreignKeysOf(h.db, 'nodes')).toEqual([{ from: 'parentId', table: 'nodes', to: 'id', on_delete: 'CASCADE' }])
      expect(sqliteError(h.db, `UPDATE "nodes" SET "parentId" = 'c9' WHERE "id" = 'c2'`)).toMatch(/FOREIGN KEY constraint failed/)
    },
  },
  {
    name: 'dropping a parent table and its child together with --allow-data-loss',
    history: [[...base, people]],
    seed: (h) => {
      seedBase(h)
      seedPeople(h)
    },
    after: [people],
    allowDataLoss: true,
    steps: ['dropTable', 'dropTable'],
    sql: ['DROP TABLE "projects";', 'DROP TABLE "tasks";'],
    data: { 'SELECT "id" FROM "people" ORDER BY "id"': [{ id: 'u1' }, { id: 'u2' }] },
    shape: (h) => expect(userTables(h.db)).toEqual(['people']),
    lostOnDown: (old) => ({ ...old, projects: [], tasks: [] }),
  },
  {
    name: 'rebuilding a parent table does not cascade-delete its children',
    history: [base],
    seed: seedBase,
    after: [table('projects', { name: t.text().optional() }), tasks],
    steps: ['rebuildTable'],
    sql: ['CREATE TABLE "__koya_new_projects" (', 'INSERT INTO "__koya_new_projects" ("id", "name") SELECT "id", "name" FROM "projects";', 'DROP TABLE "projects";'],
    data: { [TASKS]: baseTaskRows, [PROJECTS]: baseProjectRows },
    shape: (h) => {
      expect(columnsOf(h.db, 'projects').find((c) => c.name === 'name')?.notnull).toBe(0)
      expect(foreignKeysOf(h.db, 'tasks')).toEqual([{ from: 'projectId', table: 'projects', to: 'id', on_delete: 'CASCADE' }])
    },
  },

  // ── Columns that ALTER TABLE can add, drop or rename ──────────────────────────────────────
  {
    name: 'renaming a column with renamedFrom keeps its values',
    history: [base],
    seed: seedBase,
    after: [projects, table('tasks', { projectId: taskColumns.projectId, name: t.text().renamedFrom('title'), notes: taskColumns.notes, priority: taskColumns.priority })],
    steps: ['renameColumn'],
    sql: ['ALTER TABLE "tasks" RENAME COLUMN "title" TO "name";'],
    notSql: ['__koya_new_'],
    data: { 'SELECT "id", "name" FROM "tasks" ORDER BY "id"': baseTaskRows.map(({ id, title }) => ({ id, name: title })) },
    shape: (h) => expect(columnNames(h.db, 'tasks')).toEqual(['id', 'projectId', 'name', 'notes', 'priority']),
  },
  {
    name: 'renaming a column that has a CHECK renames it in place and the CHECK follows',
    history: [[projects, table('tasks', { ...taskColumns, status: t.enum(['todo', 'done']).default('todo') })]],
    seed: (h) => {
      seedBase(h)
      h.db.exec(`UPDATE "tasks" SET "status" = 'done' WHERE "id" = 't1'`)
    },
    after: [projects, table('tasks', { ...taskColumns, state: t.enum(['todo', 'done']).default('todo').renamedFrom('status') })],
    steps: ['renameColumn'],
    sql: ['ALTER TABLE "tasks" RENAME COLUMN "status" TO "state";'],
    notSql: ['__koya_new_'],
    data: { 'SELECT "id", "state" FROM "tasks" ORDER BY "id"': [{ id: 't1', state: 'done' }, { id: 't2', state: 'todo' }, { id: 't3', state: 'todo' }] },
    shape: (h) => {
      expect(shapeOf(h.db).tasks!.checks).toEqual([`CHECK ("state" IN ('todo', 'done'))`])
      expect(sqliteError(h.db, `UPDATE "tasks" SET "state" = 'doing'`)).toMatch(/CHECK constraint failed/)
    },
  },
  {
    name: 'renaming a foreign key column renames it and its index',
    history: [base],
    seed: seedBase,
    after: [projects, table('tasks', { folderId: t.ref('projects', { onDelete: 'cascade' }).renamedFrom('projectId'), ...omit(taskColumns, 'projectId') })],
    steps: ['renameColumn', 'dropIndex', 'createIndex'],
    sql: ['ALTER TABLE "tasks" RENAME COLUMN "projectId" TO "folderId";', 'DROP INDEX "tasks_projectId_idx";', 'CREATE INDEX "tasks_folderId_idx" ON "tasks" ("folderId");'],
    data: { 'SELECT "id", "folderId" FROM "tasks" ORDER BY "id"': baseTaskRows.map(({ id, projectId }) => ({ id, folderId: projectId })) },
    shape: (h) => {
      expect(foreignKeysOf(h.db, 'tasks')).toEqual([{ from: 'folderId', table: 'projects', to: 'id', on_delete: 'CASCADE' }])
      expect(indexesOf(h.db, 'tasks')).toEqual([{ name: 'tasks_folderId_idx', unique: 0, columns: ['folderId'] }])
    },
  },
  {
    name: 'adding an optional column keeps every row',
    history: [[projects], base],
    seed: seedBase,
    after: [projects, table('tasks', { ...taskColumns, dueAt: t.timestamp().optional() })],
    steps: ['addColumn'],
    sql: [`ALTER TABLE "tasks" ADD COLUMN "dueAt" TEXT CHECK ("dueAt" IS strftime('%Y-%m-%dT%H:%M:%fZ', "dueAt"));`],
    data: { [TASKS]: baseTaskRows, 'SELECT "dueAt" FROM "tasks"': [{ dueAt: null }, { dueAt: null }, { dueAt: null }] },
    shape: (h) => expect(columnsOf(h.db, 'tasks').at(-1)).toEqual({ name: 'dueAt', type: 'TEXT', notnull: 0, dflt_value: null, pk: 0 }),
  },
  {
    name: 'adding a column with a default fills the existing rows with it',
    history: [base],
    seed: seedBase,
    after: [projects, table('tasks', { ...taskColumns, estimate: t.int().min(0).default(1) })],
    steps: ['addColumn'],
    sql: ['ALTER TABLE "tasks" ADD COLUMN "estimate" INTEGER NOT NULL DEFAULT 1 CHECK ("estimate" >= 0);'],
    data: { [TASKS]: baseTaskRows, 'SELECT "estimate" FROM "tasks"': [{ estimate: 1 }, { estimate: 1 }, { estimate: 1 }] },
    shape: (h) => {
      expect(sqliteError(h.db, `UPDATE "tasks" SET "estimate" = -1`)).toMatch(/CHECK constraint failed/)
      expect(sqliteError(h.db, `UPDATE "tasks" SET "estimate" = NULL`)).toMatch(/NOT NULL constraint failed/)
    },
  },
  {
    name: 'adding a bool with a default stores 0 in the existing rows and refuses other numbers',
    history: [base],
    seed: seedBase,
    after: [projects, table('tasks', { ...taskColumns, done: t.bool().default(false) })],
    steps: ['addColumn'],
    sql: ['ALTER TABLE "tasks" ADD COLUMN "done" INTEGER NOT NULL DEFAULT 0 CHECK ("done" IN (0, 1));'],
    data: { 'SELECT "done", typeof("done") AS "type" FROM "tasks"': Array(3).fill({ done: 0, type: 'integer' }) },
    shape: (h) => expect(sqliteError(h.db, `UPDATE "tasks" SET "done" = 2`)).toMatch(/CHECK constraint failed/),
  },
  {
    name: 'adding a json column with a default stores valid JSON and refuses invalid JSON',
    history: [base],
    seed: seedBase,
    after: [projects, table('tasks', { ...taskColumns, meta: t.json().default({ tags: ["it's"] }) })],
    steps: ['addColumn'],
    sql: [`ALTER TABLE "tasks" ADD COLUMN "meta" TEXT NOT NULL DEFAULT '{"tags":["it''s"]}' CHECK (json_valid("meta"));`],
    data: { 'SELECT "meta" ->> \'$.tags[0]\' AS "tag" FROM "tasks"': Array(3).fill({ tag: "it's" }) },
    shape: (h) => expect(sqliteError(h.db, `UPDATE "tasks" SET "meta" = 'not json'`)).toMatch(/CHECK constraint failed/),
  },
  {
    name: 'adding an optional foreign key column uses ALTER TABLE and indexes it',
    history: [[...base, people]],
    seed: (h) => {
      seedBase(h)
      seedPeople(h)
    },
    after: [projects, people, table('tasks', { ...taskColumns, assigneeId: t.ref('people', { onDelete: 'set null' }).optional() })],
    steps: ['addColumn', 'createIndex'],
    sql: ['ALTER TABLE "tasks" ADD COLUMN "assigneeId" TEXT REFERENCES "people" ("id") ON DELETE SET NULL;', 'CREATE INDEX "tasks_assigneeId_idx" ON "tasks" ("assigneeId");'],
    notSql: ['__koya_new_'],
    data: { [TASKS]: baseTaskRows, 'SELECT "assigneeId" FROM "tasks"': Array(3).fill({ assigneeId: null }) },
    shape: (h) => {
      expect(foreignKeysOf(h.db, 'tasks')).toContainEqual({ from: 'assigneeId', table: 'people', to: 'id', on_delete: 'SET NULL' })
      expect(sqliteError(h.db, `UPDATE "tasks" SET "assigneeId" = 'u9'`)).toMatch(/FOREIGN KEY constraint failed/)
      probe(h, () => {
        h.db.exec(`UPDATE "tasks" SET "assigneeId" = 'u1'; DELETE FROM "people" WHERE "id" = 'u1'`)
        expect(h.rows('SELECT DISTINCT "assigneeId" FROM "tasks"')).toEqual([{ assigneeId: null }])
      })
    },
  },
  {
    name: 'adding a required foreign key with a default rebuilds the table and points every row at the default',
    history: [[...base, people]],
    seed: (h) => {
      seedBase(h)
      seedPeople(h)
    },
    after: [projects, people, table('tasks', { ...taskColumns, ownerId: t.ref('people').default('u1') })],
    steps: ['rebuildTable'],
    sql: ['"ownerId" TEXT NOT NULL DEFAULT \'u1\' REFERENCES "people" ("id")', ...REBUILD_TASKS, 'CREATE INDEX "tasks_ownerId_idx" ON "tasks" ("ownerId");'],
    data: { [TASKS]: baseTaskRows, 'SELECT "ownerId" FROM "tasks"': Array(3).fill({ ownerId: 'u1' }) },
    shape: (h) => expect(foreignKeysOf(h.db, 'tasks')).toContainEqual({ from: 'ownerId', table: 'people', to: 'id', on_delete: 'NO ACTION' }),
  },
  {
    name: 'dropping a column with --allow-data-loss removes it and keeps the other values',
    history: [base],
    seed: seedBase,
    after: [projects, table('tasks', omit(taskColumns, 'notes'))],
    allowDataLoss: true,
    steps: ['dropColumn'],
    sql: ['ALTER TABLE "tasks" DROP COLUMN "notes";'],
    data: { 'SELECT "id", "projectId", "title", "priority" FROM "tasks" ORDER BY "id"': baseTaskRows.map(({ notes: _, ...rest }) => rest) },
    shape: (h) => expect(columnNames(h.db, 'tasks')).toEqual(['id', 'projectId', 'title', 'priority']),
    lostOnDown: nulled('tasks', 'notes'),
  },
  {
    name: 'dropping a unique column with --allow-data-loss drops its index first',
    history: [[projects, table('tasks', { ...taskColumns, code: t.text().optional().unique() })]],
    seed: (h) => {
      seedBase(h)
      h.db.exec(`UPDATE "tasks" SET "code" = 'T-' || "id"`)
    },
    after: base,
    allowDataLoss: true,
    steps: ['dropIndex', 'dropColumn'],
    sql: ['DROP INDEX "tasks_code_key";\nALTER TABLE "tasks" DROP COLUMN "code";'],
    data: { [TASKS]: baseTaskRows },
    shape: (h) => expect(indexesOf(h.db, 'tasks').map((i) => i.name)).toEqual(['tasks_projectId_idx']),
    lostOnDown: nulled('tasks', 'code'),
  },
  {
    name: 'dropping a foreign key column with --allow-data-loss rebuilds the table without it',
    history: [[projects, people, table('tasks', { ...taskColumns, assigneeId: t.ref('people').optional() })]],
    seed: (h) => {
      seedBase(h)
      seedPeople(h)
      h.db.exec(`UPDATE "tasks" SET "assigneeId" = 'u2' WHERE "id" = 't1'`)
    },
    after: [projects, people, tasks],
    allowDataLoss: true,
    steps: ['rebuildTable'],
    sql: REBUILD_TASKS,
    notSql: ['"assigneeId"'],
    data: { [TASKS]: baseTaskRows },
    shape: (h) => {
      expect(foreignKeysOf(h.db, 'tasks')).toEqual([{ from: 'projectId', table: 'projects', to: 'id', on_delete: 'CASCADE' }])
      expect(indexesOf(h.db, 'tasks').map((i) => i.name)).toEqual(['tasks_projectId_idx'])
    },
    lostOnDown: nulled('tasks', 'assigneeId'),
  },
  {
    name: 'a column that vanished while another appeared, with --allow-data-loss, is dropped and the other added',
    history: [base],
    seed: seedBase,
    after: [projects, table('tasks', { ...omit(taskColumns, 'notes'), summary: t.text().optional() })],
    allowDataLoss: true,
    steps: ['dropColumn', 'addColumn'],
    sql: ['ALTER TABLE "tasks" DROP COLUMN "notes";\nALTER TABLE "tasks" ADD COLUMN "summary" TEXT;'],
    data: { 'SELECT "id", "summary" FROM "tasks" ORDER BY "id"': ['t1', 't2', 't3'].map((id) => ({ id, summary: null })) },
    shape: (h) => expect(columnNames(h.db, 'tasks')).toEqual(['id', 'projectId', 'title', 'priority', 'summary']),
    lostOnDown: nulled('tasks', 'notes'),
  },

  // ── Changes ALTER TABLE cannot express: a rebuild that keeps the rows ─────────────────────
  {
    name: 'making an optional column required with --allow-data-loss fills the NULLs with its default',
    history: [base],
    seed: seedBase,
    after: [projects, table('tasks', { ...taskColumns, notes: t.text().default('none') })],
    allowDataLoss: true,
    steps: ['rebuildTable'],
    sql: ['  "notes" TEXT NOT NULL DEFAULT \'none\',', 'SELECT "id", "projectId", "title", COALESCE("notes", \'none\'), "priority" FROM "tasks";'],
    data: { [TASKS]: baseTaskRows.map((r) => ({ ...r, notes: r.notes ?? 'none' })) },
    shape: (h) => expect(sqliteError(h.db, `UPDATE "tasks" SET "notes" = NULL`)).toMatch(/NOT NULL constraint failed: tasks.notes/),
    // The NULLs were filled in: undoing the constraint cannot tell them from real values.
    lostOnDown: (old) => ({ ...old, tasks: old.tasks!.map((r) => (r.notes === null ? { ...r, notes: 'none', 'notes:type': 'text' } : r)) }),
  },
  {
    name: 'making a required column optional rebuilds the table and keeps the data',
    history: [base],
    seed: seedBase,
    after: [projects, table('tasks', { ...taskColumns, title: t.text().optional() })],
    steps: ['rebuildTable'],
    sql: ['  "title" TEXT,\n', ...REBUILD_TASKS],
    data: { [TASKS]: baseTaskRows },
    shape: (h) => {
      expect(columnsOf(h.db, 'tasks').find((c) => c.name === 'title')?.notnull).toBe(0)
      probe(h, () => h.db.exec(`UPDATE "tasks" SET "title" = NULL WHERE "id" = 't1'`))
    },
  },
  {
    name: 'changing a default rebuilds the table: existing values stay, new rows get the new default',
    history: [base],
    seed: seedBase,
    after: [projects, table('tasks', { ...taskColumns, priority: t.int().default(3) })],
    steps: ['rebuildTable'],
    sql: ['  "priority" INTEGER NOT NULL DEFAULT 3\n) STRICT;', ...REBUILD_TASKS],
    data: { [TASKS]: baseTaskRows },
    shape: (h) => {
      expect(columnsOf(h.db, 'tasks').find((c) => c.name === 'priority')?.dflt_value).toBe('3')
      probe(h, () => {
        h.insert('tasks', [{ id: 't9', projectId: 'p1', title: 'New' }])
        expect(h.rows(`SELECT "priority" FROM "tasks" WHERE "id" = 't9'`)).toEqual([{ priority: 3 }])
      })
    },
  },
  {
    name: 'changing onDelete rebuilds the table and the new action applies',
    history: [base],
    seed: seedBase,
    after: [projects, table('tasks', { ...taskColumns, projectId: t.ref('projects', { onDelete: 'restrict' }) })],
    steps: ['rebuildTable'],
    sql: ['  "projectId" TEXT NOT NULL REFERENCES "projects" ("id") ON DELETE RESTRICT,', ...REBUILD_TASKS],
    data: { [TASKS]: baseTaskRows },
    shape: (h) => {
      expect(foreignKeysOf(h.db, 'tasks')).toEqual([{ from: 'projectId', table: 'projects', to: 'id', on_delete: 'RESTRICT' }])
      expect(sqliteError(h.db, `DELETE FROM "projects" WHERE "id" = 'p1'`)).toMatch(/FOREIGN KEY constraint failed/)
    },
  },
  {
    name: 'widening int to real rebuilds the table and keeps every value, now stored as real',
    history: [base],
    seed: seedBase,
    after: [projects, table('tasks', { ...taskColumns, priority: t.real().default(0) })],
    steps: ['rebuildTable'],
    sql: ['  "priority" REAL NOT NULL DEFAULT 0\n) STRICT;', ...REBUILD_TASKS],
    data: {
      [TASKS]: baseTaskRows,
      'SELECT DISTINCT typeof("priority") AS "type" FROM "tasks"': [{ type: 'real' }],
    },
    shape: (h) => {
      expect(columnsOf(h.db, 'tasks').find((c) => c.name === 'priority')?.type).toBe('REAL')
      probe(h, () => h.db.exec(`UPDATE "tasks" SET "priority" = 2.5`))
    },
  },
  {
    name: 'narrowing text to int with --allow-data-loss converts numeric text under STRICT',
    history: [[projects, table('tasks', { ...taskColumns, code: t.text().default('0') })]],
    seed: (h) => {
      seedProjectsAndTasksWith(h, { code: ['10', '20', '30'] })
    },
    after: [projects, table('tasks', { ...taskColumns, code: t.int().default(0) })],
    allowDataLoss: true,
    steps: ['rebuildTable'],
    sql: ['  "code" INTEGER NOT NULL DEFAULT 0\n) STRICT;'],
    data: { 'SELECT "code", typeof("code") AS "type" FROM "tasks" ORDER BY "id"': [10, 20, 30].map((code) => ({ code, type: 'integer' })) },
    shape: (h) => expect(sqliteError(h.db, `UPDATE "tasks" SET "code" = 'ten'`)).toMatch(/cannot store TEXT value in INTEGER column/),
  },
  {
    name: 'narrowing bool to text with --allow-data-loss stores true/false, and the down migration restores 1/0',
    history: [[projects, table('tasks', { ...taskColumns, done: t.bool().default(false) })]],
    seed: (h) => {
      seedBase(h)
      h.db.exec(`UPDATE "tasks" SET "done" = 1 WHERE "id" = 't1'`)
    },
    after: [projects, table('tasks', { ...taskColumns, done: t.text().default('false') })],
    allowDataLoss: true,
    steps: ['rebuildTable'],
    sql: [`CASE "done" WHEN 1 THEN 'true' WHEN 0 THEN 'false' END`],
    data: { 'SELECT "id", "done" FROM "tasks" ORDER BY "id"': [{ id: 't1', done: 'true' }, { id: 't2', done: 'false' }, { id: 't3', done: 'false' }] },
    shape: (h) => expect(columnsOf(h.db, 'tasks').find((c) => c.name === 'done')).toMatchObject({ type: 'TEXT', dflt_value: "'false'" }),
  },
  {
    name: 'a ref that becomes plain text drops its foreign key and keeps its values',
    history: [[...base, people, table('notes', { authorId: t.ref('people'), body: t.text() })]],
    seed: (h) => {
      seedBase(h)
      seedPeople(h)
      h.insert('notes', [
        { id: 'n1', authorId: 'u1', body: 'Hello' },
        { id: 'n2', authorId: 'u2', body: 'World' },
      ])
    },
    after: [...base, people, table('notes', { authorId: t.text(), body: t.text() })],
    steps: ['rebuildTable'],
    sql: ['  "authorId" TEXT NOT NULL,', 'DROP TABLE "notes";'],
    notSql: ['REFERENCES "people"', 'CREATE INDEX'],
    data: { 'SELECT "id", "authorId" FROM "notes" ORDER BY "id"': [{ id: 'n1', authorId: 'u1' }, { id: 'n2', authorId: 'u2' }] },
    shape: (h) => {
      expect(foreignKeysOf(h.db, 'notes')).toEqual([])
      expect(indexesOf(h.db, 'notes')).toEqual([])
      probe(h, () => h.db.exec(`UPDATE "notes" SET "authorId" = 'someone else'`))
    },
  },
  {
    name: 'an enum that becomes free text keeps its values and drops its CHECK',
    history: [[projects, table('tasks', { ...taskColumns, status: t.enum(['todo', 'done']).default('todo') })]],
    seed: (h) => {
      seedBase(h)
      h.db.exec(`UPDATE "tasks" SET "status" = 'done' WHERE "id" = 't3'`)
    },
    after: [projects, table('tasks', { ...taskColumns, status: t.text().default('todo') })],
    steps: ['rebuildTable'],
    sql: [`  "status" TEXT NOT NULL DEFAULT 'todo'\n) STRICT;`],
    data: { 'SELECT "id", "status" FROM "tasks" ORDER BY "id"': [{ id: 't1', status: 'todo' }, { id: 't2', status: 'todo' }, { id: 't3', status: 'done' }] },
    shape: (h) => {
      expect(shapeOf(h.db).tasks!.checks).toEqual([])
      probe(h, () => h.db.exec(`UPDATE "tasks" SET "status" = 'blocked'`))
    },
  },
  {
    name: 'an enum that gains a value rebuilds its CHECK and accepts the value',
    history: [[projects, table('tasks', { ...taskColumns, status: t.enum(['todo', 'done']).default('todo') })]],
    seed: seedBase,
    after: [projects, table('tasks', { ...taskColumns, status: t.enum(['todo', 'doing', 'done']).default('todo') })],
    steps: ['rebuildTable'],
    sql: [`  "status" TEXT NOT NULL DEFAULT 'todo' CHECK ("status" IN ('todo', 'doing', 'done'))`],
    data: { [TASKS]: baseTaskRows },
    shape: (h) => {
      probe(h, () => h.db.exec(`UPDATE "tasks" SET "status" = 'doing'`))
      expect(sqliteError(h.db, `UPDATE "tasks" SET "status" = 'blocked'`)).toMatch(/CHECK constraint failed/)
    },
  },
  {
    name: 'an enum that loses a value no row uses, with --allow-data-loss, refuses the value afterwards',
    history: [[projects, table('tasks', { ...taskColumns, status: t.enum(['todo', 'doing', 'done']).default('todo') })]],
    seed: seedBase,
    after: [projects, table('tasks', { ...taskColumns, status: t.enum(['todo', 'done']).default('todo') })],
    allowDataLoss: true,
    steps: ['rebuildTable'],
    sql: [`CHECK ("status" IN ('todo', 'done'))`],
    data: { 'SELECT "status" FROM "tasks"': Array(3).fill({ status: 'todo' }) },
    shape: (h) => expect(sqliteError(h.db, `UPDATE "tasks" SET "status" = 'doing'`)).toMatch(/CHECK constraint failed/),
  },
  {
    name: 'relaxing a maximum length rebuilds the CHECK and accepts longer text',
    history: [[projects, table('tasks', { ...taskColumns, title: t.text().max(20) })]],
    seed: seedBase,
    after: [projects, table('tasks', { ...taskColumns, title: t.text().max(200) })],
    steps: ['rebuildTable'],
    sql: ['  "title" TEXT NOT NULL CHECK (length("title") <= 200),'],
    data: { [TASKS]: baseTaskRows },
    shape: (h) => {
      probe(h, () => h.db.prepare(`UPDATE "tasks" SET "title" = ?`).run('x'.repeat(150)))
      expect(sqliteError(h.db, `UPDATE "tasks" SET "title" = ?`, 'x'.repeat(201))).toMatch(/CHECK constraint failed/)
    },
  },
  {
    name: 'tightening a maximum with --allow-data-loss keeps the rows that fit and refuses longer text',
    history: [[projects, table('tasks', { ...taskColumns, title: t.text().max(200) })]],
    seed: seedBase,
    after: [projects, table('tasks', { ...taskColumns, title: t.text().min(1).max(20) })],
    allowDataLoss: true,
    steps: ['rebuildTable'],
    sql: ['  "title" TEXT NOT NULL CHECK (length("title") BETWEEN 1 AND 20),'],
    data: { [TASKS]: baseTaskRows },
    shape: (h) => {
      expect(sqliteError(h.db, `UPDATE "tasks" SET "title" = ?`, 'x'.repeat(21))).toMatch(/CHECK constraint failed/)
      expect(sqliteError(h.db, `UPDATE "tasks" SET "title" = ''`)).toMatch(/CHECK constraint failed/)
    },
  },
  {
    name: 'adding createdAt and updatedAt rebuilds the table and stamps the existing rows',
    history: [base],
    seed: seedBase,
    after: [projects, table('tasks', { ...taskColumns, createdAt: t.createdAt(), updatedAt: t.updatedAt() })],
    steps: ['rebuildTable'],
    sql: [`  "createdAt" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) CHECK ("createdAt" IS strftime('%Y-%m-%dT%H:%M:%fZ', "createdAt")),`, ...REBUILD_TASKS],
    notSql: ['ADD COLUMN'],
    data: { [TASKS]: baseTaskRows },
    shape: (h) => {
      const stamps = h.rows('SELECT "createdAt", "updatedAt" FROM "tasks"')
      expect(stamps).toHaveLength(3)
      for (const row of stamps) {
        expect(row.createdAt).toMatch(ISO)
        expect(row.updatedAt).toBe(row.createdAt)
      }
    },
  },

  // ── Indexes ───────────────────────────────────────────────────────────────────────────────
  {
    name: 'adding unique creates a unique index that refuses duplicates',
    history: [base],
    seed: seedBase,
    after: [projects, table('tasks', { ...taskColumns, title: t.text().unique() })],
    steps: ['createIndex'],
    sql: ['CREATE UNIQUE INDEX "tasks_title_key" ON "tasks" ("title");'],
    notSql: ['__koya_new_'],
    data: { [TASKS]: baseTaskRows },
    shape: (h) => {
      expect(indexesOf(h.db, 'tasks')).toContainEqual({ name: 'tasks_title_key', unique: 1, columns: ['title'] })
      expect(sqliteError(h.db, `UPDATE "tasks" SET "title" = 'Ship'`)).toMatch(/UNIQUE constraint failed: tasks.title/)
    },
  },
  {
    name: 'dropping unique drops the index and allows duplicates',
    history: [[projects, table('tasks', { ...taskColumns, title: t.text().unique() })]],
    seed: seedBase,
    after: base,
    steps: ['dropIndex'],
    sql: ['DROP INDEX "tasks_title_key";'],
    data: { [TASKS]: baseTaskRows },
    shape: (h) => {
      expect(indexesOf(h.db, 'tasks').map((i) => i.name)).toEqual(['tasks_projectId_idx'])
      probe(h, () => h.db.exec(`UPDATE "tasks" SET "title" = 'Ship'`))
    },
  },
  {
    name: 'adding an index creates it',
    history: [base],
    seed: seedBase,
    after: [projects, table('tasks', { ...taskColumns, priority: t.int().default(0).index() })],
    steps: ['createIndex'],
    sql: ['CREATE INDEX "tasks_priority_idx" ON "tasks" ("priority");'],
    data: { [TASKS]: baseTaskRows },
    shape: (h) => expect(indexesOf(h.db, 'tasks')).toContainEqual({ name: 'tasks_priority_idx', unique: 0, columns: ['priority'] }),
  },
  {
    name: 'dropping an index drops it',
    history: [[projects, table('tasks', { ...taskColumns, priority: t.int().default(0).index() })]],
    seed: seedBase,
    after: base,
    steps: ['dropIndex'],
    sql: ['DROP INDEX "tasks_priority_idx";'],
    data: { [TASKS]: baseTaskRows },
    shape: (h) => expect(indexesOf(h.db, 'tasks').map((i) => i.name)).toEqual(['tasks_projectId_idx']),
  },
  {
    name: 'a composite unique index that leads with the foreign key replaces the foreign key index',
    history: [base],
    seed: seedBase,
    after: [projects, table('tasks', taskColumns, { indexes: [{ columns: ['projectId', 'title'], unique: true }] })],
    steps: ['dropIndex', 'createIndex'],
    sql: ['DROP INDEX "tasks_projectId_idx";', 'CREATE UNIQUE INDEX "tasks_projectId_title_key" ON "tasks" ("projectId", "title");'],
    data: { [TASKS]: baseTaskRows },
    shape: (h) => {
      expect(indexesOf(h.db, 'tasks')).toEqual([{ name: 'tasks_projectId_title_key', unique: 1, columns: ['projectId', 'title'] }])
      expect(sqliteError(h.db, `UPDATE "tasks" SET "title" = 'Review' WHERE "id" = 't1'`)).toMatch(/UNIQUE constraint failed: tasks.projectId, tasks.title/)
      probe(h, () => h.db.exec(`UPDATE "tasks" SET "title" = 'Review' WHERE "id" = 't3'`))
    },
  },
  {
    name: 'a rebuild recreates every index of the table, composite ones included',
    history: [[projects, table('tasks', { ...taskColumns, title: t.text().unique() }, { indexes: [['priority', 'title']] })]],
    seed: seedBase,
    after: [projects, table('tasks', { ...taskColumns, title: t.text().unique(), notes: t.text().max(500).optional() }, { indexes: [['priority', 'title']] })],
    allowDataLoss: true,
    steps: ['rebuildTable'],
    sql: [
      'ALTER TABLE "__koya_new_tasks" RENAME TO "tasks";\nCREATE INDEX "tasks_priority_title_idx" ON "tasks" ("priority", "title");\nCREATE INDEX "tasks_projectId_idx" ON "tasks" ("projectId");\nCREATE UNIQUE INDEX "tasks_title_key" ON "tasks" ("title");',
    ],
    data: { [TASKS]: baseTaskRows },
    shape: (h) =>
      expect(indexesOf(h.db, 'tasks')).toEqual([
        { name: 'tasks_priority_title_idx', unique: 0, columns: ['priority', 'title'] },
        { name: 'tasks_projectId_idx', unique: 0, columns: ['projectId'] },
        { name: 'tasks_title_key', unique: 1, columns: ['title'] },
      ]),
  },

  // ── Several changes at once ───────────────────────────────────────────────────────────────
  {
    name: 'renaming a table and changing one of its columns in one migration renames, then rebuilds',
    history: [base],
    seed: seedBase,
    after: [projects, table('todos', { ...taskColumns, notes: t.text().max(1000).optional() }, { renamedFrom: 'tasks' })],
    allowDataLoss: true,
    steps: ['renameTable', 'rebuildTable'],
    sql: [
      'ALTER TABLE "tasks" RENAME TO "todos";',
      'INSERT INTO "__koya_new_todos" ("id", "projectId", "title", "notes", "priority") SELECT "id", "projectId", "title", "notes", "priority" FROM "todos";',
      'CREATE INDEX "todos_projectId_idx" ON "todos" ("projectId");',
    ],
    data: { [TASKS.replace('"tasks"', '"todos"')]: baseTaskRows },
    shape: (h) => {
      expect(userTables(h.db)).toEqual(['projects', 'todos'])
      expect(indexesOf(h.db, 'todos').map((i) => i.name)).toEqual(['todos_projectId_idx'])
    },
  },
  {
    name: 'renaming a column and making it optional in one migration rebuilds with the old values',
    history: [base],
    seed: seedBase,
    after: [projects, table('tasks', { projectId: taskColumns.projectId, name: t.text().optional().renamedFrom('title'), notes: taskColumns.notes, priority: taskColumns.priority })],
    steps: ['rebuildTable'],
    sql: ['INSERT INTO "__koya_new_tasks" ("id", "projectId", "name", "notes", "priority") SELECT "id", "projectId", "title", "notes", "priority" FROM "tasks";'],
    data: { 'SELECT "id", "name" FROM "tasks" ORDER BY "id"': baseTaskRows.map(({ id, title }) => ({ id, name: title })) },
    shape: (h) => expect(columnsOf(h.db, 'tasks').find((c) => c.name === 'name')?.notnull).toBe(0),
  },
  {
    name: 'adding a column and an index on it in one migration adds the column first',
    history: [base],
    seed: seedBase,
    after: [projects, table('tasks', { ...taskColumns, dueOn: t.date().optional().index() })],
    steps: ['addColumn', 'createIndex'],
    sql: ['ALTER TABLE "tasks" ADD COLUMN "dueOn" TEXT;\nCREATE INDEX "tasks_dueOn_idx" ON "tasks" ("dueOn");'],
    data: { [TASKS]: baseTaskRows },
    shape: (h) => expect(indexesOf(h.db, 'tasks')).toContainEqual({ name: 'tasks_dueOn_idx', unique: 0, columns: ['dueOn'] }),
  },
]

/** Seed projects and tasks, with extra per-task values for columns the case adds. */
function seedProjectsAndTasksWith(h: MigrationHarness, extra: Record<string, readonly unknown[]>): void {
  seedBase(h)
  for (const [column, values] of Object.entries(extra)) {
    const update = h.db.prepare(`UPDATE "tasks" SET "${column}" = ? WHERE "id" = ?`)
    values.forEach((value, i) => update.run(value, `t${i + 1}`))
  }
}

describe('migration matrix on real SQLite', () => {
  let h: MigrationHarness
  afterEach(() => h?.dispose())

  it('covers at least 24 kinds of change', () => {
    expect(matrix.length).toBeGreaterThanOrEqual(24)
    expect(new Set(matrix.map((c) => c.name)).size).toBe(matrix.length)
  })

  for (const c of matrix) {
    it(c.name, () => {
      h = new MigrationHarness()
      for (const tables of c.history) h.migrate(tables, { allowDataLoss: true })
      c.seed(h)
      expectHealthy(h.db)
      const oldShape = shapeOf(h.db)
      const oldData = dataOf(h.db)

      // Up: the SQL, the rows, the checks, the new shape.
      const migration = h.migrate(c.after, { allowDataLoss: c.allowDataLoss ?? false })
      expect(migration.steps).toEqual(c.steps)
      for (const fragment of c.sql) expect(migration.upBody).toContain(fragment)
      for (const fragment of c.notSql ?? []) expect(migration.upBody).not.toContain(fragment)
      for (const [sql, rows] of Object.entries(c.data)) expect(h.rows(sql), sql).toEqual(rows)
      expectHealthy(h.db)
      expect(h.rows('SELECT name FROM sqlite_schema WHERE name LIKE \'__koya_new_%\''), 'no temporary table is left behind').toEqual([])
      c.shape(h)
      const newShape = shapeOf(h.db)
      const newData = dataOf(h.db)
      expect(newShape).not.toEqual(oldShape)

      // Down: the old shape and the old rows.
      expect(h.rollback()).toBe(migration.file.name)
      expectHealthy(h.db)
      expect(shapeOf(h.db)).toEqual(oldShape)
      expect(dataOf(h.db)).toEqual(c.lostOnDown ? c.lostOnDown(oldData) : oldData)

      // And up again, from the state the down migration left.
      expect(h.apply()).toEqual([migration.file.name])
      expectHealthy(h.db)
      expect(shapeOf(h.db)).toEqual(newShape)
      // Rows the shape check wrote into a table this migration created went with the down migration.
      const created = new Set([...migration.upBody.matchAll(/^CREATE TABLE "(?!__koya_new_)([^"]+)"/gm)].map((m) => m[1]))
      const expected = Object.fromEntries(Object.entries(newData).map(([name, rows]) => [name, created.has(name) ? [] : rows]))
      if (!c.lostOnDown) expect(dataOf(h.db)).toEqual(withoutClock(expected, dataOf(h.db)))
    })
  }
})

/** createdAt/updatedAt stamped by a rebuild differ between two runs; every other value must match. */
function withoutClock(expected: Data, actual: Data): Data {
  return Object.fromEntries(
    Object.entries(expected).map(([name, rows]) => [
      name,
      rows.map((row, i) =>
        Object.fromEntries(Object.entries(row).map(([key, value]) => [key, /^(createdAt|updatedAt)$/.test(key) ? actual[name]?.[i]?.[key] : value])),
      ),
    ]),
  )
}
