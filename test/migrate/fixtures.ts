/**
 * The tables the migration tests start from, and their seed rows. Every test builds its "after"
 * definition from these with the real DSL, changing one thing at a time.
 */
import { table, t } from '../../engine/dsl/index.ts'
import type { MigrationHarness } from './helpers.ts'

export const projects = table('projects', { name: t.text() })

/** tasks → projects, ON DELETE CASCADE: a rebuild that let the cascade fire would empty it. */
export const taskColumns = {
  projectId: t.ref('projects', { onDelete: 'cascade' }),
  title: t.text(),
  notes: t.text().optional(),
  priority: t.int().default(0),
}
export const tasks = table('tasks', taskColumns)

export const people = table('people', { name: t.text() })

export const base = [projects, tasks]

export function seedProjects(h: MigrationHarness): void {
  h.insert('projects', [
    { id: 'p1', name: 'Alpha' },
    { id: 'p2', name: 'Beta' },
  ])
}

export function seedTasks(h: MigrationHarness): void {
  h.insert('tasks', [
    { id: 't1', projectId: 'p1', title: 'Write spec', notes: 'draft', priority: 2 },
    { id: 't2', projectId: 'p1', title: 'Review', notes: null, priority: 0 },
    { id: 't3', projectId: 'p2', title: 'Ship', notes: null, priority: 5 },
  ])
}

export function seedBase(h: MigrationHarness): void {
  seedProjects(h)
  seedTasks(h)
}

export function seedPeople(h: MigrationHarness): void {
  h.insert('people', [
    { id: 'u1', name: 'Ada' },
    { id: 'u2', name: 'Linus' },
  ])
}

/** The seeded tasks as `SELECT id, projectId, title, notes, priority`. */
export const baseTaskRows = [
  { id: 't1', projectId: 'p1', title: 'Write spec', notes: 'draft', priority: 2 },
  { id: 't2', projectId: 'p1', title: 'Review', notes: null, priority: 0 },
  { id: 't3', projectId: 'p2', title: 'Ship', notes: null, priority: 5 },
]
export const TASKS = 'SELECT "id", "projectId", "title", "notes", "priority" FROM "tasks" ORDER BY "id"'
export const PROJECTS = 'SELECT "id", "name" FROM "projects" ORDER BY "id"'
export const baseProjectRows = [
  { id: 'p1', name: 'Alpha' },
  { id: 'p2', name: 'Beta' },
]

/** The same columns without some of them: `{ ...columns, x: undefined }` would not be a table. */
export function omit<C extends Record<string, unknown>, K extends keyof C>(columns: C, ...keys: K[]): Omit<C, K> {
  return Object.fromEntries(Object.entries(columns).filter(([key]) => !keys.includes(key as K))) as Omit<C, K>
}
