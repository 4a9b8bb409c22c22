/**
 * Changes `koyalite generate` refuses to plan: each stops with a KL_MIG_* code whose message
 * names the table and column and whose hint names the next action (a rename hint, a default,
 * or the --allow-data-loss flag). A refused plan writes nothing and leaves the database alone.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { table, t, type AnyTable } from '../../engine/dsl/index.ts'
import type { KoyaErrorCode } from '../../engine/shared/errors.ts'
import { base, omit, people, projects, seedBase, taskColumns } from './fixtures.ts'
import { dataOf, MigrationHarness, refusalsOf, shapeOf } from './helpers.ts'

interface RefusalCase {
  readonly name: string
  readonly before: readonly AnyTable[]
  readonly after: readonly AnyTable[]
  readonly code: KoyaErrorCode
  /** Parts of the message and of the hint. */
  readonly message: readonly string[]
  readonly hint: readonly string[]
  /** Whether --allow-data-loss lets the change through (then it must plan without problems). */
  readonly allowedWithFlag: boolean
}

const labels = table('labels', { name: t.text() })

const refusals: RefusalCase[] = [
  {
    name: 'a required column without a default is refused: the existing rows would have no value',
    before: base,
    after: [projects, table('tasks', { ...taskColumns, estimate: t.int() })],
    code: 'KL_MIG_NEEDS_DEFAULT',
    message: ['Column "tasks.estimate" is required and has no default', 'the rows already in "tasks"'],
    hint: ['.default(', '.optional()'],
    allowedWithFlag: false,
  },
  {
    name: 'a required foreign key without a default is refused like any required column',
    before: base,
    after: [projects, table('tasks', { ...taskColumns, reviewerId: t.ref('projects', { inverse: 'reviewedTasks' }) })],
    code: 'KL_MIG_NEEDS_DEFAULT',
    message: ['"tasks.reviewerId"'],
    hint: ['.optional()'],
    allowedWithFlag: false,
  },
  {
    name: 'dropping a column is refused without --allow-data-loss',
    before: base,
    after: [projects, table('tasks', omit(taskColumns, 'notes'))],
    code: 'KL_MIG_DESTRUCTIVE',
    message: ['Column "tasks.notes" is no longer defined', 'deletes its values'],
    hint: ["renamedFrom('notes')", '--allow-data-loss'],
    allowedWithFlag: true,
  },
  {
    name: 'dropping a table is refused without --allow-data-loss',
    before: [...base, labels],
    after: base,
    code: 'KL_MIG_DESTRUCTIVE',
    message: ['Table "labels" is no longer defined', 'deletes its rows'],
    hint: ["renamedFrom: 'labels'", '--allow-data-loss'],
    allowedWithFlag: true,
  },
  {
    name: 'a column that vanishes while a same-typed one appears is refused as an ambiguous rename',
    before: base,
    after: [projects, table('tasks', { ...omit(taskColumns, 'notes'), summary: t.text().optional() })],
    code: 'KL_MIG_AMBIGUOUS_RENAME',
    message: ['Column "tasks.notes" disappeared while "summary" of the same type (text) appeared'],
    hint: ["summary: t.text()", ".renamedFrom('notes')", '--allow-data-loss'],
    allowedWithFlag: true,
  },
  {
    name: 'a table that vanishes while another appears is refused as an ambiguous rename',
    before: [...base, labels],
    after: [...base, table('tags', { name: t.text() })],
    code: 'KL_MIG_AMBIGUOUS_RENAME',
    message: ['Table "labels" disappeared while "tags" appeared'],
    hint: ["{ renamedFrom: 'labels' }", "table('tags'", '--allow-data-loss'],
    allowedWithFlag: true,
  },
  {
    name: 'making an optional column required is refused as narrowing',
    before: base,
    after: [projects, table('tasks', { ...taskColumns, notes: t.text().default('') })],
    code: 'KL_MIG_DESTRUCTIVE',
    message: ['Column "tasks.notes" becomes required (NOT NULL)'],
    hint: ['--allow-data-loss'],
    allowedWithFlag: true,
  },
  {
    name: 'changing text to int is refused as narrowing',
    before: [projects, table('tasks', { ...taskColumns, code: t.text().default('0') })],
    after: [projects, table('tasks', { ...taskColumns, code: t.int().default(0) })],
    code: 'KL_MIG_DESTRUCTIVE',
    message: ['Column "tasks.code" changes type from text to int'],
    hint: ['--allow-data-loss'],
    allowedWithFlag: true,
  },
  {
    name: 'changing real to int is refused as narrowing',
    before: [projects, table('tasks', { ...taskColumns, priority: t.real().default(0) })],
    after: base,
    code: 'KL_MIG_DESTRUCTIVE',
    message: ['changes type from real to int'],
    hint: ['--allow-data-loss'],
    allowedWithFlag: true,
  },
  {
    name: 'pointing a ref at another table is refused: its values are ids of the old one',
    before: [...base, people],
    after: [people, table('projects', { name: t.text() }), table('tasks', { ...taskColumns, projectId: t.ref('people', { onDelete: 'cascade' }) })],
    code: 'KL_MIG_DESTRUCTIVE',
    message: ['Column "tasks.projectId" points at "people" instead of "projects"'],
    hint: ['--allow-data-loss'],
    allowedWithFlag: true,
  },
  {
    name: 'removing an enum value is refused',
    before: [projects, table('tasks', { ...taskColumns, status: t.enum(['todo', 'doing', 'done']).default('todo') })],
    after: [projects, table('tasks', { ...taskColumns, status: t.enum(['todo', 'done']).default('todo') })],
    code: 'KL_MIG_DESTRUCTIVE',
    message: ["Column \"tasks.status\" loses enum value 'doing'"],
    hint: ['--allow-data-loss'],
    allowedWithFlag: true,
  },
  {
    name: 'tightening a maximum is refused',
    before: [projects, table('tasks', { ...taskColumns, title: t.text().max(200) })],
    after: [projects, table('tasks', { ...taskColumns, title: t.text().max(20) })],
    code: 'KL_MIG_DESTRUCTIVE',
    message: ['gets a lower maximum (200 → 20)'],
    hint: ['--allow-data-loss'],
    allowedWithFlag: true,
  },
  {
    name: 'adding a maximum where there was none is refused',
    before: base,
    after: [projects, table('tasks', { ...taskColumns, priority: t.int().max(3).default(0) })],
    code: 'KL_MIG_DESTRUCTIVE',
    message: ['"tasks.priority" gets a lower maximum (none → 3)'],
    hint: ['--allow-data-loss'],
    allowedWithFlag: true,
  },
  {
    name: 'raising a minimum is refused',
    before: [projects, table('tasks', { ...taskColumns, title: t.text().min(1) })],
    after: [projects, table('tasks', { ...taskColumns, title: t.text().min(3) })],
    code: 'KL_MIG_DESTRUCTIVE',
    message: ['gets a higher minimum (1 → 3)'],
    hint: ['--allow-data-loss'],
    allowedWithFlag: true,
  },
]

describe('refused migrations', () => {
  let h: MigrationHarness
  afterEach(() => h?.dispose())

  for (const c of refusals) {
    it(c.name, () => {
      h = new MigrationHarness()
      h.migrate(c.before, { allowDataLoss: true })
      seedBase(h)
      const shape = shapeOf(h.db)
      const data = dataOf(h.db)

      const errors = refusalsOf(() => h.plan(c.after))
      expect(errors.map((e) => e.code)).toEqual([c.code])
      for (const part of c.message) expect(errors[0]!.message).toContain(part)
      for (const part of c.hint) expect(errors[0]!.hint).toContain(part)
      expect(h.migrations).toHaveLength(1)
      expect(shapeOf(h.db)).toEqual(shape)
      expect(dataOf(h.db)).toEqual(data)

      if (c.allowedWithFlag) expect(h.plan(c.after, { allowDataLoss: true })?.steps.length).toBeGreaterThan(0)
      else expect(refusalsOf(() => h.plan(c.after, { allowDataLoss: true })).map((e) => e.code)).toEqual([c.code])
    })
  }

  it('widening changes plan without the flag: int to real, enum to text, a relaxed maximum, required to optional', () => {
    h = new MigrationHarness()
    h.migrate([projects, table('tasks', { ...taskColumns, title: t.text().max(20), status: t.enum(['todo', 'done']).default('todo') })])
    const planned = h.plan([
      projects,
      table('tasks', { ...taskColumns, title: t.text().max(200).optional(), priority: t.real().default(0), status: t.text().default('todo') }),
    ])
    expect(planned?.steps.map((s) => s.kind)).toEqual(['rebuildTable'])
  })

  it('every problem is reported at once, across tables', () => {
    h = new MigrationHarness()
    h.migrate([...base, labels])
    const errors = refusalsOf(() =>
      h.plan([projects, table('tasks', { ...omit(taskColumns, 'notes', 'priority'), estimate: t.int(), title: t.text().max(10) })]),
    )
    expect(errors.map((e) => `${e.code} ${e.message.split(';')[0]}`)).toEqual([
      'KL_MIG_DESTRUCTIVE Table "labels" is no longer defined',
      'KL_MIG_DESTRUCTIVE Column "tasks.notes" is no longer defined',
      'KL_MIG_AMBIGUOUS_RENAME Column "tasks.priority" disappeared while "estimate" of the same type (int) appeared: a rename, or a drop and an add?',
      'KL_MIG_DESTRUCTIVE Column "tasks.title" gets a lower maximum (none → 10)',
      'KL_MIG_NEEDS_DEFAULT Column "tasks.estimate" is required and has no default, so the rows already in "tasks" would have no value.',
    ])
  })
})
