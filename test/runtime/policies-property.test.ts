import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { PolicyExprIR } from '../../engine/compiler/ir.ts'
import { createDataLayer, type Actor } from '../../engine/runtime/data/data-layer.ts'
import { parseQuery } from '../../engine/runtime/rest/query-grammar.ts'
import { PolicyEvaluator, type EvalCaller, type Rows } from '../helpers/policy-evaluator.ts'
import { APP_ROLES, insertRows, Random, randomExpr, randomRows } from '../helpers/policy-random.ts'
import { policyApp, asUser } from '../helpers/policy-app.ts'
import { POLICY_TABLES, policyDb, policyModel } from '../helpers/policy-schema.ts'

/**
 * Differential test: random rows (nulls included), random callers and random read policies from
 * the whole PolicyIR grammar; the data layer's answers (list, get, count, embeds, a filtered
 * list that takes the materialized path) must equal what the reference evaluator admits.
 *
 * A failing seed is printed by fast-check; add it to REGRESSIONS so it runs on every test run.
 */
const REGRESSIONS: number[] = []

const q = (text: string) => parseQuery(new URLSearchParams(text))
const idsOf = (rows: readonly string[]) => rows.map((r) => (JSON.parse(r) as { id: string }).id).sort()

interface Case {
  readonly rows: Rows
  readonly tasksRead: PolicyExprIR
  readonly projectsRead: PolicyExprIR
  readonly callers: readonly { actor: Actor; caller: EvalCaller }[]
}

function caseOf(seed: number): Case {
  const random = new Random(seed)
  const rows = randomRows(random)
  const tasksRead = randomExpr(random, 'tasks', POLICY_TABLES)
  const projectsRead = randomExpr(random, 'projects', POLICY_TABLES)
  const callers = [
    { actor: { kind: 'anonymous' } as Actor, caller: { userId: null, roles: [] } },
    ...(rows.users ?? []).map((user) => {
      const roles = APP_ROLES.filter(() => random.chance(0.3))
      return { actor: { kind: 'user', userId: String(user.id), roles } as Actor, caller: { userId: String(user.id), roles } }
    }),
  ]
  return { rows, tasksRead, projectsRead, callers }
}

function setUp(c: Case) {
  const model = policyModel({ tasks: { read: c.tasksRead }, projects: { read: c.projectsRead } })
  const db = policyDb(model)
  for (const insert of insertRows(c.rows)) db.prepare(insert.sql).run(...(insert.values as never[]))
  return { model, db }
}

/** Checks one case through the data layer; returns a description of the first difference. */
function check(seed: number): void {
  const c = caseOf(seed)
  const { model, db } = setUp(c)
  try {
    const data = createDataLayer(model, db)
    const evaluator = new PolicyEvaluator(POLICY_TABLES, c.rows)
    const context = `seed ${seed}\ntasks.read ${JSON.stringify(c.tasksRead)}\nprojects.read ${JSON.stringify(c.projectsRead)}`
    for (const { actor, caller } of c.callers) {
      const tasks = evaluator.admitted(c.tasksRead, 'tasks', caller)
      const projects = evaluator.admitted(c.projectsRead, 'projects', caller)
      const who = `${context}\ncaller ${JSON.stringify(caller)}`
      // list and count
      const page = data.list(actor, 'tasks', q('select=id'), { count: true })
      expect(idsOf(page.rows), `list ${who}`).toEqual(tasks)
      expect(page.total, `count ${who}`).toBe(tasks.length)
      // a filtered list (the materialized path)
      const todo = (c.rows.tasks ?? []).filter((t) => t.status === 'todo').map((t) => String(t.id))
      expect(idsOf(data.list(actor, 'tasks', q('select=id&status=eq.todo'), { count: false }).rows), `filtered ${who}`).toEqual(tasks.filter((id) => todo.includes(id)))
      // get
      for (const task of c.rows.tasks ?? []) {
        expect(data.get(actor, 'tasks', String(task.id), q('select=id')) !== undefined, `get ${task.id} ${who}`).toBe(tasks.includes(String(task.id)))
      }
      // embeds: has-many (each embedded task through its own policy) and belongs-to
      const embedded = data.list(actor, 'projects', q('select=id,tasks(id)'), { count: false }).rows.map((r) => JSON.parse(r) as { id: string; tasks: { id: string }[] })
      expect(embedded.map((p) => p.id).sort(), `projects ${who}`).toEqual(projects)
      for (const project of embedded) {
        const expected = (c.rows.tasks ?? []).filter((t) => t.projectId === project.id && tasks.includes(String(t.id))).map((t) => String(t.id))
        expect(project.tasks.map((t) => t.id).sort(), `embedded tasks of ${project.id} ${who}`).toEqual(expected.sort())
      }
      const parents = data.list(actor, 'tasks', q('select=id,project(id)'), { count: false }).rows.map((r) => JSON.parse(r) as { id: string; project: { id: string } | null })
      for (const task of parents) {
        const projectId = String((c.rows.tasks ?? []).find((t) => t.id === task.id)!.projectId)
        expect(task.project?.id ?? null, `embedded project of ${task.id} ${who}`).toBe(projects.includes(projectId) ? projectId : null)
      }
    }
  } finally {
    db.close()
  }
}

describe('policies: the data layer agrees with the reference evaluator', () => {
  it.each(REGRESSIONS)('regression seed %i', (seed) => check(seed))

  it('on random rows, callers and read policies', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => check(seed)),
      { numRuns: 150 },
    )
  })

  it('over HTTP: list, count, get and embeds answer as the evaluator admits', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer(), async (seed) => {
        const c = caseOf(seed)
        const { model, db } = setUp(c)
        const app = await policyApp(model, db)
        try {
          const evaluator = new PolicyEvaluator(POLICY_TABLES, c.rows)
          for (const { actor, caller } of c.callers) {
            const headers = actor.kind === 'user' ? asUser(actor.userId, actor.roles) : {}
            const tasks = evaluator.admitted(c.tasksRead, 'tasks', caller)
            const list = await app.inject({ method: 'GET', url: '/api/tasks?select=id', headers: { ...headers, prefer: 'count=exact' } })
            expect(list.statusCode).toBeLessThan(300)
            expect(idsOf(JSON.parse(list.body).map((r: unknown) => JSON.stringify(r))), `seed ${seed}`).toEqual(tasks)
            expect(list.headers['content-range'], `seed ${seed}`).toMatch(new RegExp(`/${tasks.length}$`))
            for (const task of c.rows.tasks ?? []) {
              const get = await app.inject({ method: 'GET', url: `/api/tasks/${String(task.id)}?select=id`, headers })
              expect(get.statusCode, `get ${String(task.id)} seed ${seed}`).toBe(tasks.includes(String(task.id)) ? 200 : 404)
            }
          }
        } finally {
          await app.close()
          db.close()
        }
      }),
      { numRuns: 25 },
    )
  })
})
