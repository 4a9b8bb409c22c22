import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PolicyExprIR, PolicyValueIR } from '../../engine/ir/project-ir.ts'
import { policySqlText as printPolicySql, printPolicy, type PolicyParam as PolicyParamIR } from '../../engine/ir/policy-printer.ts'
import { POSTGRES_DIALECT, SQLITE_DIALECT } from '../../engine/ir/sql-dialect.ts'
import { checkPolicyIndexes } from '../../engine/compiler/policy/policy-indexes.ts'
import type { SqliteDatabase } from '../../engine/shared/sqlite.ts'
import { POLICY_TABLES, policyDb, policyModel, tablePolicies } from '../helpers/policy-schema.ts'

const col = (column: string, scope = 0, path: string[] = []): PolicyValueIR => ({ kind: 'column', scope, path, column })
const lit = (value: string | number | boolean): PolicyValueIR => ({ kind: 'literal', value })
const me: PolicyValueIR = { kind: 'authUserId' }
const eq = (left: PolicyValueIR, right: PolicyValueIR): PolicyExprIR => ({ kind: 'compare', operator: '=', left, right })
const membership: PolicyExprIR = { kind: 'some', scope: 0, path: ['project', 'workspace'], relation: 'members', predicate: eq(col('userId', 1), me) }

let db: SqliteDatabase
const U1 = 'u1'
const U2 = 'u2'

beforeAll(() => {
  db = policyDb(policyModel({}))
  db.exec(`
    INSERT INTO users (id, name, level) VALUES ('u1', 'Ada', 3), ('u2', 'Bob', NULL);
    INSERT INTO workspaces (id, name, ownerId) VALUES ('w1', 'Acme', 'u1'), ('w2', 'Beta', 'u2');
    INSERT INTO members (id, workspaceId, userId, role) VALUES ('m1', 'w1', 'u1', 'owner'), ('m2', 'w2', 'u2', 'viewer');
    INSERT INTO projects (id, workspaceId, name, archived, leadId) VALUES ('p1', 'w1', 'One', 0, 'u1'), ('p2', 'w2', 'Two', NULL, NULL);
    INSERT INTO tasks (id, projectId, title, status, priority, assigneeId, ownerId) VALUES
      ('t1', 'p1', 'a', 'todo', 1, 'u1', 'u1'),
      ('t2', 'p1', 'b', 'done', NULL, NULL, 'u2'),
      ('t3', 'p2', 'c', 'doing', 3, 'u2', 'u2');
  `)
})
afterAll(() => db.close())

/** Bind the params as the runtime would for `userId` with `roles`. */
function bind(params: readonly PolicyParamIR[], userId: string | null, roles: string[]): unknown[] {
  return params.map((p) => (p.kind === 'value' ? p.value : p.kind === 'authUserId' ? userId : JSON.stringify(roles)))
}

/** The ids of `table` whose rows pass `expr` for the caller. */
function admitted(table: string, expr: PolicyExprIR, userId: string | null, roles: string[] = []): string[] {
  const { sql, params } = printPolicySql(expr, table, POLICY_TABLES)
  const rows = db.prepare(`SELECT "row"."id" FROM "${table}" "row" WHERE ${sql} ORDER BY "row"."id"`).all(...bind(params, userId, roles)) as { id: string }[]
  return rows.map((r) => r.id)
}

describe('printPolicySql: exact SQL', () => {
  it('prints constants, own-column comparisons and auth.userId as parameters', () => {
    expect(printPolicySql({ kind: 'constant', value: true }, 'tasks', POLICY_TABLES)).toEqual({ sql: '1', params: [] })
    expect(printPolicySql(eq(col('ownerId'), me), 'tasks', POLICY_TABLES)).toEqual({ sql: '"row"."ownerId" = ?', params: [{ kind: 'authUserId' }] })
    expect(printPolicySql({ kind: 'compare', operator: '>=', left: col('priority'), right: lit(2) }, 'tasks', POLICY_TABLES)).toEqual({
      sql: '"row"."priority" >= ?',
      params: [{ kind: 'value', value: 2 }],
    })
  })

  it('prints booleans as 0/1 parameters and truthy as = 1', () => {
    expect(printPolicySql(eq(col('archived'), lit(false)), 'projects', POLICY_TABLES)).toEqual({ sql: '"row"."archived" = ?', params: [{ kind: 'value', value: 0 }] })
    expect(printPolicySql({ kind: 'truthy', value: col('archived') }, 'projects', POLICY_TABLES).sql).toBe('"row"."archived" = 1')
  })

  it('prints a two-hop membership as one EXISTS that skips the last parent', () => {
    expect(printPolicySql(membership, 'tasks', POLICY_TABLES)).toEqual({
      sql: 'EXISTS (SELECT 1 FROM "projects" "p1", "members" "p2" WHERE "p1"."id" = "row"."projectId" AND "p2"."workspaceId" = "p1"."workspaceId" AND "p2"."userId" = ?)',
      params: [{ kind: 'authUserId' }],
    })
  })

  it('prints not with COALESCE, roles through json_each, in-lists and every', () => {
    const expr: PolicyExprIR = {
      kind: 'or',
      exprs: [
        { kind: 'not', expr: { kind: 'isNull', value: col('level', 0, ['assignee']), negated: false } },
        { kind: 'hasRole', role: 'admin' },
        { kind: 'every', scope: 0, path: ['project'], relation: 'tasks', predicate: { kind: 'in', value: col('status', 1), list: ['todo', 'doing'] } },
      ],
    }
    expect(printPolicySql(expr, 'tasks', POLICY_TABLES)).toEqual({
      sql:
        '(NOT COALESCE(EXISTS (SELECT 1 FROM "users" "p1" WHERE "p1"."id" = "row"."assigneeId" AND "p1"."level" IS NULL), 0)' +
        ' OR EXISTS (SELECT 1 FROM json_each(?) "p2" WHERE "p2"."value" = ?)' +
        ' OR EXISTS (SELECT 1 FROM "projects" "p3" WHERE "p3"."id" = "row"."projectId" AND NOT EXISTS (SELECT 1 FROM "tasks" "p4" WHERE "p4"."projectId" = "p3"."id" AND NOT COALESCE("p4"."status" IN (?, ?), 0))))',
      params: [{ kind: 'authRoles' }, { kind: 'value', value: 'admin' }, { kind: 'value', value: 'todo' }, { kind: 'value', value: 'doing' }],
    })
  })

  it('joins a shared path prefix once and binds parameters in printed order', () => {
    const expr: PolicyExprIR = { kind: 'and', exprs: [eq(col('ownerId', 0, ['project', 'workspace']), me), { kind: 'compare', operator: '<>', left: col('name', 0, ['project']), right: lit('x') }] }
    const printed = printPolicySql(
      { kind: 'compare', operator: '=', left: col('ownerId', 0, ['project', 'workspace']), right: col('leadId', 0, ['project']) },
      'tasks',
      POLICY_TABLES,
    )
    expect(printed.sql).toBe('EXISTS (SELECT 1 FROM "projects" "p1", "workspaces" "p2" WHERE "p1"."id" = "row"."projectId" AND "p2"."id" = "p1"."workspaceId" AND "p2"."ownerId" = "p1"."leadId")')
    expect(printPolicySql(expr, 'tasks', POLICY_TABLES).params).toEqual([{ kind: 'authUserId' }, { kind: 'value', value: 'x' }])
  })

  it('prints empty junctions and an empty in-list as constants, and conditionals as CASE', () => {
    expect(printPolicySql({ kind: 'and', exprs: [] }, 'tasks', POLICY_TABLES).sql).toBe('1')
    expect(printPolicySql({ kind: 'or', exprs: [] }, 'tasks', POLICY_TABLES).sql).toBe('0')
    expect(printPolicySql({ kind: 'in', value: col('status'), list: [] }, 'tasks', POLICY_TABLES)).toEqual({ sql: '0', params: [] })
    expect(printPolicySql({ kind: 'conditional', test: { kind: 'hasRole', role: 'admin' }, then: { kind: 'constant', value: true }, otherwise: eq(col('ownerId'), me) }, 'tasks', POLICY_TABLES).sql).toBe(
      '(CASE WHEN EXISTS (SELECT 1 FROM json_each(?) "p1" WHERE "p1"."value" = ?) THEN 1 ELSE "row"."ownerId" = ? END)',
    )
  })

  it('never writes a question mark except as a placeholder', () => {
    const printed = printPolicySql(eq(col('title'), lit("what? 'x' \"y\"")), 'tasks', POLICY_TABLES)
    expect(printed.sql).toBe('"row"."title" = ?')
    expect(printed.params).toEqual([{ kind: 'value', value: "what? 'x' \"y\"" }])
  })

  it('hands the runtime the text split around each parameter, never to be re-read for placeholders', () => {
    const printed = printPolicy({ kind: 'and', exprs: [eq(col('ownerId'), me), { kind: 'hasRole', role: 'a?b' }] }, 'tasks', POLICY_TABLES, SQLITE_DIALECT)
    expect(printed).toEqual({
      parts: ['("row"."ownerId" = ', ' AND EXISTS (SELECT 1 FROM json_each(', ') "p1" WHERE "p1"."value" = ', '))'],
      params: [{ kind: 'authUserId' }, { kind: 'authRoles' }, { kind: 'value', value: 'a?b' }],
    })
  })
})

describe('the policy printer for PostgreSQL (planned dialect)', () => {
  it('numbers its placeholders, writes real booleans and reads roles from jsonb', () => {
    const expr: PolicyExprIR = {
      kind: 'or',
      exprs: [
        { kind: 'not', expr: eq(col('archived', 0, ['project']), lit(true)) },
        { kind: 'hasRole', role: 'admin' },
        { kind: 'and', exprs: [] },
      ],
    }
    expect(printPolicySql(expr, 'tasks', POLICY_TABLES, POSTGRES_DIALECT)).toEqual({
      sql:
        '(NOT COALESCE(EXISTS (SELECT 1 FROM "projects" "p1" WHERE "p1"."id" = "row"."projectId" AND "p1"."archived" = $1), FALSE)' +
        ' OR EXISTS (SELECT 1 FROM jsonb_array_elements_text($2::jsonb) AS "p2"("value") WHERE "p2"."value" = $3) OR TRUE)',
      params: [{ kind: 'value', value: 'true' }, { kind: 'authRoles' }, { kind: 'value', value: 'admin' }],
    })
  })
})

describe('printPolicySql: runs on SQLite with the null rule', () => {
  it('a membership admits the member only, and nobody when anonymous', () => {
    expect(admitted('tasks', membership, U1)).toEqual(['t1', 't2'])
    expect(admitted('tasks', membership, U2)).toEqual(['t3'])
    expect(admitted('tasks', membership, null)).toEqual([])
  })

  it('a comparison with a null side is false, and so is its negation only when explicit', () => {
    const prioOne = { kind: 'compare', operator: '=', left: col('priority'), right: lit(1) } as const
    expect(admitted('tasks', prioOne, U1)).toEqual(['t1'])
    // NOT (NULL = 1) would be NULL in SQL; two-valued negation admits t2.
    expect(admitted('tasks', { kind: 'not', expr: prioOne }, U1)).toEqual(['t2', 't3'])
    expect(admitted('tasks', { kind: 'not', expr: eq(col('ownerId'), me) }, null)).toEqual(['t1', 't2', 't3'])
  })

  it('a path through a missing parent has no value: both null tests are false', () => {
    const isNull = { kind: 'isNull', value: col('level', 0, ['assignee']), negated: false } as const
    expect(admitted('tasks', isNull, U1)).toEqual(['t3'])
    expect(admitted('tasks', { ...isNull, negated: true }, U1)).toEqual(['t1'])
    expect(admitted('tasks', { kind: 'not', expr: isNull }, U1)).toEqual(['t1', 't2'])
  })

  it('every through a missing parent is false; every over no children is true', () => {
    const everyLed: PolicyExprIR = { kind: 'every', scope: 0, path: ['lead'], relation: 'memberships', predicate: { kind: 'constant', value: true } }
    expect(admitted('projects', everyLed, U1)).toEqual(['p1'])
    const noTasks: PolicyExprIR = { kind: 'every', scope: 0, path: [], relation: 'assignedTasks', predicate: eq(col('status', 1), lit('todo')) }
    expect(admitted('users', noTasks, U1)).toEqual(['u1'])
  })

  it('roles come from a JSON array and a truthy null bool is false', () => {
    expect(admitted('tasks', { kind: 'hasRole', role: 'admin' }, U1, ['admin'])).toEqual(['t1', 't2', 't3'])
    expect(admitted('tasks', { kind: 'hasRole', role: 'admin' }, U1, ['support'])).toEqual([])
    expect(admitted('projects', { kind: 'not', expr: { kind: 'truthy', value: col('archived') } }, U1)).toEqual(['p1', 'p2'])
    expect(admitted('projects', eq(col('archived'), lit(false)), U1)).toEqual(['p1'])
  })

  it("an in-list never matches a number with a text, whatever the column's affinity", () => {
    // `['1', 3].includes(task.priority)`: SQLite would read '1' as 1 for an int column
    // (regression: property test seed 652016301).
    expect(admitted('tasks', { kind: 'in', value: col('priority'), list: ['1', 3] }, U1)).toEqual(['t3'])
    expect(printPolicySql({ kind: 'in', value: col('priority'), list: ['1'] }, 'tasks', POLICY_TABLES).sql).toBe('0')
    expect(admitted('users', { kind: 'in', value: col('level', 0, []), list: ['3'] }, U1)).toEqual([])
    // And a text column holds no number: 1 is not 'a'… nor the text '1'.
    expect(admitted('tasks', { kind: 'in', value: col('title'), list: [1, 'a'] }, U1)).toEqual(['t1'])
  })

  it('nested quantifiers see outer scopes', () => {
    // Workspaces where some project has a task owned by a member of that workspace.
    const expr: PolicyExprIR = {
      kind: 'some',
      scope: 0,
      path: [],
      relation: 'projects',
      predicate: { kind: 'some', scope: 1, path: [], relation: 'tasks', predicate: { kind: 'some', scope: 0, path: [], relation: 'members', predicate: eq(col('userId', 3), col('ownerId', 2)) } },
    }
    expect(admitted('workspaces', expr, U1)).toEqual(['w1', 'w2'])
  })
})

describe('checkPolicyIndexes', () => {
  it('asks for an index on an unindexed join or own-column filter, with the CREATE INDEX', () => {
    const noIndexTables = POLICY_TABLES.map((t) => (t.name === 'members' ? { ...t, indexes: [] } : t))
    const policies = [
      tablePolicies('tasks', { read: membership, delete: eq(col('title'), me) }, noIndexTables),
      tablePolicies('projects', { read: eq(col('leadId'), me) }, noIndexTables),
    ]
    const warnings = checkPolicyIndexes(policies, noIndexTables)
    expect(warnings.map((w) => [w.message, w.hint])).toEqual([
      [
        'The read policy of table "tasks" joins on "members"."workspaceId", which has no index: every check scans "members".',
        'Add an index on members.workspaceId (`.index()` on the column): CREATE INDEX "members_workspaceId_idx" ON "members" ("workspaceId");',
      ],
      [
        'The delete policy of table "tasks" filters on "tasks"."title", which has no index: every check scans "tasks".',
        'Add an index on tasks.title (`.index()` on the column): CREATE INDEX "tasks_title_idx" ON "tasks" ("title");',
      ],
    ])
    expect(warnings[0]!.at).toEqual({ file: 'policies/test.ts', line: 1, column: 1 })
  })

  it('accepts leading index columns and the primary key', () => {
    const policies = [tablePolicies('tasks', { read: membership, update: eq(col('id'), me), create: eq(col('ownerId'), me) })]
    expect(checkPolicyIndexes(policies, POLICY_TABLES)).toEqual([])
  })
})
