import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Actor } from '../../../engine/runtime/data/data-layer.ts'
import type { RowObject } from '../../../engine/runtime/data/write-events.ts'
import { viewDependencies } from '../../../engine/runtime/realtime/dependencies.ts'
import { asSystem, createTask, realtimeApp, seed, type RealtimeTestApp } from './realtime-helpers.ts'
import { createDataLayer } from '../../../engine/runtime/data/data-layer.ts'

let t: RealtimeTestApp
let s: Awaited<ReturnType<typeof seed>>
beforeAll(async () => {
  t = await realtimeApp()
  s = await seed(t)
})
afterAll(() => t.close())

const user = (id: string, roles: string[] = []): Actor => ({ kind: 'user', userId: id, roles })

describe('the data layer\'s reads for realtime', () => {
  it('listForActors answers, for each actor, exactly what list answers that actor', async () => {
    const data = createDataLayer(t.model, t.db)
    await createTask(t, s.p1.id, s.ada.id, 'one', { priority: 3 })
    await createTask(t, s.p2.id, s.bob.id, 'two', { priority: 3 })
    await createTask(t, s.p1.id, s.ada.id, 'three', { priority: 0 })
    const actors: Actor[] = [user(s.ada.id), user(s.bob.id), user(s.cy.id), { kind: 'anonymous' }, user(s.cy.id, ['admin'])]
    for (const table of ['tasks', 'users', 'workspaces']) {
      for (const where of [undefined, { kind: 'compare', column: 'id', operator: 'neq', value: 'x' } as const]) {
        const many = data.listForActors(actors, { table, ...(where ? { where } : {}) })
        const one = actors.map((actor) => data.list(actor, { table, ...(where ? { where } : {}) }, { as: 'objects' }).rows)
        const byId = (rows: readonly RowObject[]) => [...rows].sort((a, b) => String(a.id).localeCompare(String(b.id)))
        expect(many.map(byId), table).toEqual(one.map(byId))
      }
    }
    // Roles reach the policy: admin cy reads every user, plain cy only themself.
    const [plain, admin] = data.listForActors([user(s.cy.id), user(s.cy.id, ['admin'])], { table: 'users' })
    expect(plain!.map((r) => r.id)).toEqual([s.cy.id])
    expect(admin!.length).toBeGreaterThan(2)
  })

  it('readableImages judges rows that are gone with the table\'s own read policy and the filter', async () => {
    const data = createDataLayer(t.model, t.db)
    const task = await createTask(t, s.p1.id, s.ada.id, 'deleted soon', { priority: 2 })
    const image = data.get({ kind: 'system' }, 'tasks', task.id, undefined, { as: 'objects' })!
    await asSystem(t, 'DELETE', `/api/tasks/${task.id}`)
    expect([...data.readableImages(user(s.ada.id), 'tasks', [image])]).toEqual([task.id])
    expect([...data.readableImages(user(s.bob.id), 'tasks', [image])]).toEqual([])
    expect([...data.readableImages(user(s.ada.id), 'tasks', [image], { kind: 'compare', column: 'priority', operator: 'gte', value: 3 })]).toEqual([])
    // The image as it was in another project: judged on its own columns.
    expect([...data.readableImages(user(s.bob.id), 'tasks', [{ ...image, projectId: s.p2.id }])]).toEqual([task.id])
  })

  it('finds the tables a view depends on from the read policies and the filter', () => {
    expect([...viewDependencies(t.model, 'tasks', undefined)].sort()).toEqual(['members', 'projects', 'workspaces'])
    expect([...viewDependencies(t.model, 'users', undefined)]).toEqual([])
    expect(viewDependencies(t.model, 'users', { kind: 'some', relation: 'assignedTasks', where: { kind: 'compare', column: 'status', operator: 'eq', value: 'todo' } })).toContain('tasks')
  })
})
