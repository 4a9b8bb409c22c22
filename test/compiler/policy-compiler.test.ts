import { policySqlText } from '../../engine/ir/policy-printer.ts'
import { ts } from 'ts-morph'
import { describe, expect, it } from 'vitest'
import { compileDefinition, compileProject } from '../../engine/compiler/index.ts'
import type { PolicyExprIR, PolicyValueIR } from '../../engine/ir/project-ir.ts'
import { buildPolicies } from '../../engine/compiler/policy/build-policies.ts'
import { compilePolicyPredicate, readPolicySyntaxFromDefs } from '../../engine/compiler/policy/compile-predicate.ts'
import { readPolicySyntax } from '../../engine/compiler/policy/read-policy-syntax.ts'
import { Problems } from '../../engine/compiler/problems.ts'
import { defineConfig, policies, t, table } from '../../engine/dsl/index.ts'
import { formatLocation, KoyaErrorList } from '../../engine/shared/errors.ts'
import * as schema from '../../schema/index.ts'
import { repoRoot } from '../helpers/paths.ts'

const ir = compileDefinition(defineConfig({ name: 'policy-test', tables: schema, roles: ['support'] }))

const compile = (source: string, tableName = 'tasks') => compilePolicyPredicate(source, tableName, ir)
const col = (column: string, scope = 0, path: readonly string[] = []): PolicyValueIR => ({ kind: 'column', scope, path, column })
const lit = (value: string | number | boolean): PolicyValueIR => ({ kind: 'literal', value })
const me: PolicyValueIR = { kind: 'authUserId' }

/** The problems a source reports, as `CODE line:col`. */
function problemsOf(source: string, tableName = 'tasks'): string[] {
  try {
    compile(source, tableName)
  } catch (error) {
    expect(error).toBeInstanceOf(KoyaErrorList)
    return (error as KoyaErrorList).errors.map((e) => `${e.code} ${e.at!.line}:${e.at!.column}`)
  }
  throw new Error(`${source} compiled`)
}

describe('a policy arrow compiles to PolicyExprIR', () => {
  it('compares a column with auth.userId', () => {
    expect(compile('(task, auth) => task.createdBy === auth.userId')).toEqual({ kind: 'compare', operator: '=', left: col('createdBy'), right: me })
  })

  it.each([
    ['===', '='],
    ['!==', '<>'],
    ['<', '<'],
    ['<=', '<='],
    ['>', '>'],
    ['>=', '>='],
  ] as const)('maps %s to %s', (written, operator) => {
    expect(compile(`(task) => task.priority ${written} 2`)).toEqual({ kind: 'compare', operator, left: col('priority'), right: lit(2) })
  })

  it('reads string, number, negative number and boolean literals on either side', () => {
    expect(compile("(task) => 'done' === task.status")).toEqual({ kind: 'compare', operator: '=', left: lit('done'), right: col('status') })
    expect(compile('(task) => task.priority > -1')).toEqual({ kind: 'compare', operator: '>', left: col('priority'), right: lit(-1) })
    expect(compile('(project) => project.archived === false', 'projects')).toEqual({ kind: 'compare', operator: '=', left: col('archived'), right: lit(false) })
  })

  it('flattens && and || chains and keeps parentheses as structure', () => {
    const a = { kind: 'compare', operator: '=', left: col('status'), right: lit('todo') } as const
    const b = { kind: 'compare', operator: '=', left: col('priority'), right: lit(1) } as const
    const c = { kind: 'compare', operator: '=', left: col('createdBy'), right: me } as const
    expect(compile("(task, auth) => task.status === 'todo' && task.priority === 1 && task.createdBy === auth.userId")).toEqual({ kind: 'and', exprs: [a, b, c] })
    expect(compile("(task, auth) => task.status === 'todo' && (task.priority === 1 || task.createdBy === auth.userId)")).toEqual({ kind: 'and', exprs: [a, { kind: 'or', exprs: [b, c] }] })
  })

  it('compiles !, a bool column as a condition, and ?:', () => {
    const archived: PolicyExprIR = { kind: 'truthy', value: col('archived') }
    expect(compile('(project) => project.archived', 'projects')).toEqual(archived)
    expect(compile('(project) => !project.archived', 'projects')).toEqual({ kind: 'not', expr: archived })
    expect(compile("(project, auth) => project.archived ? auth.roles.includes('admin') : true", 'projects')).toEqual({
      kind: 'conditional',
      test: archived,
      then: { kind: 'hasRole', role: 'admin' },
      otherwise: { kind: 'constant', value: true },
    })
  })

  it('compiles constants, with or without parameters', () => {
    expect(compile('() => true')).toEqual({ kind: 'constant', value: true })
    expect(compile('(_task, _auth) => false')).toEqual({ kind: 'constant', value: false })
  })

  it('compiles auth.roles.includes() for declared roles and admin', () => {
    expect(compile("(_task, auth) => auth.roles.includes('support') || auth.roles.includes('admin')")).toEqual({
      kind: 'or',
      exprs: [
        { kind: 'hasRole', role: 'support' },
        { kind: 'hasRole', role: 'admin' },
      ],
    })
  })

  it('compiles [..].includes(column) to in', () => {
    expect(compile("(task) => ['todo', 'doing'].includes(task.status)")).toEqual({ kind: 'in', value: col('status'), list: ['todo', 'doing'] })
    expect(compile('(task) => [1, 2].includes(task.priority)')).toEqual({ kind: 'in', value: col('priority'), list: [1, 2] })
  })

  it('compiles null tests on either side, on columns and on auth.userId', () => {
    expect(compile('(task) => task.body === null')).toEqual({ kind: 'isNull', value: col('body'), negated: false })
    expect(compile('(task) => null !== task.body')).toEqual({ kind: 'isNull', value: col('body'), negated: true })
    expect(compile('(_task, auth) => auth.userId !== null')).toEqual({ kind: 'isNull', value: me, negated: true })
  })

  it('tests a belongs-to relation for null through its ref column', () => {
    expect(compile('(task) => task.assignee === null')).toEqual({ kind: 'isNull', value: col('assigneeId'), negated: false })
    expect(compile('(comment) => comment.task.assignee !== null', 'comments')).toEqual({ kind: 'isNull', value: col('assigneeId', 0, ['task']), negated: true })
    expect(compile('(comment) => null === comment.parent', 'comments')).toEqual({ kind: 'isNull', value: col('parentId'), negated: false })
  })

  it('follows belongs-to relations, with ?. read the same as .', () => {
    const expected: PolicyExprIR = { kind: 'compare', operator: '=', left: col('ownerId', 0, ['project', 'workspace']), right: me }
    expect(compile('(task, auth) => task.project.workspace.ownerId === auth.userId')).toEqual(expected)
    expect(compile('(task, auth) => task.project?.workspace?.ownerId === auth.userId')).toEqual(expected)
    expect(compile("(task) => task.assignee?.displayName === 'Ada'")).toEqual({ kind: 'compare', operator: '=', left: col('displayName', 0, ['assignee']), right: lit('Ada') })
  })

  it('numbers .some/.every scopes from the outside in', () => {
    expect(compile("(task, auth) => task.project.workspace.members.some((m) => m.userId === auth.userId && m.role !== 'viewer')")).toEqual({
      kind: 'some',
      scope: 0,
      path: ['project', 'workspace'],
      relation: 'members',
      predicate: {
        kind: 'and',
        exprs: [
          { kind: 'compare', operator: '=', left: col('userId', 1), right: me },
          { kind: 'compare', operator: '<>', left: col('role', 1), right: lit('viewer') },
        ],
      },
    })
    expect(compile('(workspace, auth) => workspace.projects.some((p) => p.tasks.every((t) => t.createdBy === auth.userId || t.assigneeId === p.workspace.ownerId))', 'workspaces')).toEqual({
      kind: 'some',
      scope: 0,
      path: [],
      relation: 'projects',
      predicate: {
        kind: 'every',
        scope: 1,
        path: [],
        relation: 'tasks',
        predicate: {
          kind: 'or',
          exprs: [
            { kind: 'compare', operator: '=', left: col('createdBy', 2), right: me },
            { kind: 'compare', operator: '=', left: col('assigneeId', 2), right: col('ownerId', 1, ['workspace']) },
          ],
        },
      },
    })
  })

  it('opens a nested scope over an outer row and lets an inner parameter shadow an outer one', () => {
    expect(compile('(task) => task.project.workspace.members.some((m) => task.comments.some((c) => c.authorId === m.userId))')).toEqual({
      kind: 'some',
      scope: 0,
      path: ['project', 'workspace'],
      relation: 'members',
      predicate: { kind: 'some', scope: 0, path: [], relation: 'comments', predicate: { kind: 'compare', operator: '=', left: col('authorId', 2), right: col('userId', 1) } },
    })
    expect(compile('(task) => task.comments.some((task) => task.body === null)')).toEqual({
      kind: 'some',
      scope: 0,
      path: [],
      relation: 'comments',
      predicate: { kind: 'isNull', value: col('body', 1), negated: false },
    })
  })

  it('reads through type-only wrappers', () => {
    expect(compile('(task, auth) => (task.priority as number) > 1 && task.createdBy === auth.userId!')).toEqual({
      kind: 'and',
      exprs: [
        { kind: 'compare', operator: '>', left: col('priority'), right: lit(1) },
        { kind: 'compare', operator: '=', left: col('createdBy'), right: me },
      ],
    })
  })
})

describe('what a policy cannot say is an error at its place in the source', () => {
  it.each([
    ['a method call', "(task) => task.title.startsWith('x')", 'KL_POLICY_UNSUPPORTED 1:22'],
    ['an outer variable', '(task) => task.createdBy === boss', 'KL_POLICY_UNSUPPORTED 1:30'],
    ['Date.now()', '(task) => Date.now() > 0', 'KL_POLICY_UNSUPPORTED 1:11'],
    ['a block body', '(task) => { return true }', 'KL_POLICY_UNSUPPORTED 1:11'],
    ['an assignment', "(task) => (task.title = 'x') === 'x'", 'KL_POLICY_UNSUPPORTED 1:23'],
    ['==', '(task, auth) => task.createdBy == auth.userId', 'KL_POLICY_UNSUPPORTED 1:32'],
    ['arithmetic', '(task) => task.priority * 2 > 2', 'KL_POLICY_UNSUPPORTED 1:25'],
    ['a template literal', '(task) => task.title === `x`', 'KL_POLICY_UNSUPPORTED 1:26'],
    ['a spread', '(task) => [...[1]].includes(task.priority)', 'KL_POLICY_UNSUPPORTED 1:12'],
    ['undefined', '(task) => task.body === undefined', 'KL_POLICY_UNSUPPORTED 1:25'],
    ['a string column as a condition', '(task) => task.title', 'KL_POLICY_UNSUPPORTED 1:11'],
    ['< null', '(task) => task.priority < null', 'KL_POLICY_UNSUPPORTED 1:25'],
    ['comparing rows', '(task) => task.project === task.project', 'KL_POLICY_UNSUPPORTED 1:24'],
    ['.some() over a belongs-to relation', '(task) => task.project.some((p) => true)', 'KL_POLICY_UNSUPPORTED 1:24'],
    ['a callback that is not inline', '(task) => task.comments.some(check)', 'KL_POLICY_UNSUPPORTED 1:30'],
    ['a callback with a block body', '(task) => task.comments.some((c) => { return true })', 'KL_POLICY_UNSUPPORTED 1:37'],
    ['an async arrow', 'async (task) => true', 'KL_POLICY_UNSUPPORTED 1:1'],
    ['a destructured parameter', '({ title }) => true', 'KL_POLICY_UNSUPPORTED 1:2'],
    ['auth.roles with a variable', '(task, auth) => auth.roles.includes(task.title)', 'KL_POLICY_UNSUPPORTED 1:37'],
    ['reading a field of auth it has not', '(task, auth) => auth.email === null', 'KL_POLICY_UNSUPPORTED 1:22'],
    ['an unknown column', "(task) => task.titel === 'x'", 'KL_POLICY_UNKNOWN_COLUMN 1:16'],
    ['an unknown column through a relation', '(task) => task.project.workspace.nmae === null', 'KL_POLICY_UNKNOWN_COLUMN 1:34'],
    ['an undeclared role', "(task, auth) => auth.roles.includes('owner')", 'KL_POLICY_UNKNOWN_ROLE 1:37'],
    ['not an arrow', '(function (task) { return true })', 'KL_POLICY_NOT_INLINE 1:1'],
    ['not a predicate', '(task) =>', 'KL_DEF_SYNTAX 1:10'],
  ])('%s', (_what, source, expected) => {
    expect(problemsOf(source)).toEqual([expected])
  })

  it('reports every problem at once', () => {
    expect(problemsOf("(task, auth) => task.title.endsWith('x') || task.priority + 1 == 2 || auth.roles.includes('root') || task.nope === 1")).toEqual([
      'KL_POLICY_UNSUPPORTED 1:28',
      'KL_POLICY_UNSUPPORTED 1:59',
      'KL_POLICY_UNSUPPORTED 1:63',
      'KL_POLICY_UNKNOWN_ROLE 1:91',
      'KL_POLICY_UNKNOWN_COLUMN 1:107',
    ])
  })

  it('names the supported forms in the hint', () => {
    try {
      compile("(task) => task.title.startsWith('x')")
    } catch (error) {
      expect((error as KoyaErrorList).errors[0]!.hint).toContain("auth.roles.includes('role')")
    }
    expect.assertions(1)
  })

  it('reports an unknown table', () => {
    expect(() => compilePolicyPredicate('() => true', 'taks', ir)).toThrow(/"taks" is not a table/)
  })
})

describe('policies in a definition', () => {
  it('compiles an in-memory definition from its predicate functions, a plain update rule on both sides', () => {
    const compiled = compileDefinition(
      defineConfig({
        name: 'memory',
        tables: schema,
        policies: [
          policies(schema, { tasks: { read: (task, auth) => task.createdBy === auth.userId, update: (task, auth) => task.createdBy === auth.userId } }),
          policies(schema, { comments: { delete: (_comment, auth) => auth.roles.includes('admin') } }),
        ],
      }),
    )
    expect(compiled.policies.map((p) => p.table)).toEqual(['comments', 'tasks'])
    const tasks = compiled.policies.find((p) => p.table === 'tasks')!
    expect(tasks.read?.expr).toEqual({ kind: 'compare', operator: '=', left: col('createdBy'), right: me })
    expect(policySqlText(tasks.read!.expr, 'tasks', compiled.tables)).toEqual({ sql: '"row"."createdBy" = ?', params: [{ kind: 'authUserId' }] })
    // model.json holds the predicate, not SQL: the runtime prints it for its dialect.
    expect(Object.keys(tasks.read!).sort()).toEqual(['at', 'expr', 'source'])
    expect(tasks.update?.check).toEqual(tasks.update?.using)
    expect(tasks.create).toBeNull()
    expect(formatLocation(tasks.read!.at)).toBe('<tasks.read>:1:1')
  })

  it('reports a rule written twice across policy sets', () => {
    const config = defineConfig({
      name: 'memory',
      tables: schema,
      policies: [policies(schema, { tasks: { read: () => true } }), policies(schema, { tasks: { read: () => false } })],
    })
    expect(() => compileDefinition(config)).toThrow(/KL_POLICY_DUPLICATE: The rule tasks.read is written twice/)
  })

  it('warns about a policy that filters on a column without an index', () => {
    const notes = table('notes', { owner: t.text(), body: t.text() })
    const config = defineConfig({ name: 'memory', tables: { notes } })
    const noteIR = compileDefinition(config)
    const defs = [policies({ notes }, { notes: { read: (note, auth) => note.owner === auth.userId } })]
    const problems = new Problems({ config: { file: 'koyalite.ts', line: 1, column: 1 }, configKeys: new Map(), tables: new Map() })
    const built = buildPolicies(defs, readPolicySyntaxFromDefs(defs), noteIR.tables, noteIR.roles, problems)
    expect(built).toHaveLength(1)
    expect(problems.errors).toEqual([])
    expect(problems.warnings.map((w) => w.code)).toEqual(['KL_POLICY_UNINDEXED'])
    expect(problems.warnings[0]!.message).toContain('"owner"')
  })

  it('reads the reference app\'s policies from its source files, also when the type-check is skipped', async () => {
    for (const skipTypeCheck of [false, true]) {
      const { ir: app, warnings } = await compileProject({ root: repoRoot, skipTypeCheck })
      expect(app.policies.map((p) => p.table)).toEqual(['comments', 'members', 'projects', 'tasks', 'users', 'workspaces'])
      expect(warnings).toEqual([])
      const tasks = app.policies.find((p) => p.table === 'tasks')!
      expect(tasks.read?.source).toBe('(task, auth) => task.project.workspace.members.some((m) => m.userId === auth.userId)')
      expect(formatLocation(tasks.read!.at)).toBe('policies/tasks.ts:6:11')
      expect(formatLocation(tasks.update!.using.at)).toBe('policies/tasks.ts:12:14')
      expect(formatLocation(tasks.update!.check.at)).toBe('policies/tasks.ts:13:14')
      const users = app.policies.find((p) => p.table === 'users')!
      expect(users.create).toBeNull()
      expect(users.delete).toBeNull()
    }
  })
})

describe('reading policies() calls from the source', () => {
  const read = (text: string) => readPolicySyntax([{ file: 'policies/x.ts', sourceFile: ts.createSourceFile('x.ts', text, ts.ScriptTarget.Latest, true) }])
  const rulesOf = (text: string) => read(text).calls.map((call) => call.rules.map((r) => `${r.table}.${r.operation} ${formatLocation(r.at)}`))

  it('finds calls of policies imported from koyalite, by name, alias or namespace, and nothing else', () => {
    const text = [
      "import { policies, policies as rules } from 'koyalite'",
      "import * as k from 'koyalite'",
      'const local = { policies: (..._: unknown[]) => 0 }',
      'policies(schema, { tasks: { read: () => true } })',
      'rules(schema, { users: { delete: () => true } })',
      'k.policies(schema, { comments: { update: { using: () => true, check: () => false } } })',
      'local.policies(schema, { projects: { read: () => true } })',
    ].join('\n')
    expect(rulesOf(text)).toEqual([['tasks.read policies/x.ts:4:29'], ['users.delete policies/x.ts:5:26'], ['comments.update policies/x.ts:6:34']])
    expect(rulesOf("import type { policies } from 'koyalite'\npolicies(schema, { tasks: { read: () => true } })")).toEqual([])
  })

  it('reports rules that are not written inline, without losing the others', () => {
    const found = read(
      [
        "import { policies } from 'koyalite'",
        'policies(schema, { ...base, tasks: { read, create: (t, a) => true, update: { using, check: (t, a) => true } } })',
      ].join('\n'),
    )
    expect(found.problems.map((p) => `${p.code} ${formatLocation(p.at)}`)).toEqual(['KL_POLICY_NOT_INLINE policies/x.ts:2:20', 'KL_POLICY_NOT_INLINE policies/x.ts:2:38', 'KL_POLICY_NOT_INLINE policies/x.ts:2:78'])
    expect(found.calls[0]!.partial).toBe(true)
    expect(found.calls[0]!.rules.map((r) => [r.operation, r.rule.kind])).toEqual([
      ['create', 'predicate'],
      ['update', 'usingCheck'],
    ])
  })
})

describe('literals of another type than their column (past the type checker, with casts)', () => {
  it.each([
    ["(task) => (task.priority as unknown) === '1'", 'an int column against a string'],
    ['(task) => [true].includes(task.priority as never)', 'an int column against a boolean list'],
    ["(task) => task.project.archived === (1 as never)", 'a bool column against a number'],
    ["(task) => [1, 'todo'].includes(task.status as never)", 'an enum column against a number in a list'],
  ])('%s is refused (%s): SQLite would convert, JavaScript would not', (source) => {
    expect(problemsOf(source)[0]).toMatch(/^KL_POLICY_UNSUPPORTED /)
  })

  it('literals of the column\'s own type compile', () => {
    expect(compile("(task) => task.priority === 1 && ['todo'].includes(task.status) && task.project.archived === false")).toMatchObject({ kind: 'and' })
  })
})

describe('strict tables (issue 10 item 9)', () => {
  const define = (tasksRules: object) =>
    compileDefinition(
      defineConfig({
        name: 'strict-test',
        tables: schema,
        policies: policies(schema, {
          tasks: tasksRules as never,
          projects: { read: (project, auth) => project.workspace.ownerId === auth.userId },
        }),
      }),
    )

  it('strict: true marks the table strict in the IR; a table without it is not', () => {
    const strictIr = define({ strict: true, read: (task: { createdBy: string }, auth: { userId: string | null }) => task.createdBy === auth.userId })
    expect(strictIr.policies.find((p) => p.table === 'tasks')).toMatchObject({ table: 'tasks', strict: true, read: { source: expect.stringContaining('createdBy') } })
    expect(strictIr.policies.find((p) => p.table === 'projects')).not.toHaveProperty('strict')
    const plainIr = define({ read: (task: { createdBy: string }, auth: { userId: string | null }) => task.createdBy === auth.userId })
    expect(plainIr.policies.find((p) => p.table === 'tasks')).not.toHaveProperty('strict')
  })

  it('strict takes a boolean, nothing else', () => {
    expect(() => define({ strict: 'yes', read: (task: { createdBy: string }, auth: { userId: string | null }) => task.createdBy === auth.userId })).toThrow(
      expect.objectContaining({ errors: [expect.objectContaining({ code: 'KL_DEF_INVALID' })] }),
    )
  })
})
