import { describe, expect, expectTypeOf, it } from 'vitest'
import { defineConfig, policies, type PoliciesDef, type PolicyAuth, type PolicyPredicate, type RelationalRow, type TableRules } from 'koyalite'
import * as schema from '../../schema/index.ts'

type Task = RelationalRow<typeof schema, 'tasks'>

describe('policies(schema, rules)', () => {
  it('types each row with its relations across the schema and auth with userId and roles', () => {
    policies(schema, {
      tasks: {
        read: (task, auth) => {
          expectTypeOf(task).toEqualTypeOf<Task>()
          expectTypeOf(auth).toEqualTypeOf<PolicyAuth>()
          expectTypeOf(auth.userId).toEqualTypeOf<string | null>()
          expectTypeOf(auth.roles).toEqualTypeOf<readonly string[]>()
          expectTypeOf(task.project.workspace.members[0]!.role).toEqualTypeOf<'owner' | 'editor' | 'viewer'>()
          return task.project.workspace.members.some((m) => m.userId === auth.userId)
        },
      },
      comments: {
        read: (comment) => {
          expectTypeOf(comment.parent).toEqualTypeOf<RelationalRow<typeof schema, 'comments'> | null>()
          return comment.parent?.authorId === comment.authorId
        },
      },
    })
  })

  it('takes an update rule as one predicate or as { using, check }', () => {
    const plain = policies(schema, { tasks: { update: (task, auth) => task.createdBy === auth.userId } })
    const split = policies(schema, {
      tasks: {
        update: {
          using: (task, auth) => task.createdBy === auth.userId,
          check: (task) => task.status !== 'done',
        },
      },
    })
    expectTypeOf(plain).toEqualTypeOf<PoliciesDef>()
    expect(typeof plain.rules.tasks?.update).toBe('function')
    expect(Object.keys(split.rules.tasks?.update ?? {})).toEqual(['using', 'check'])
  })

  it('returns frozen plain data that defineConfig takes, alone or as an array', () => {
    const tasks = policies(schema, { tasks: { delete: (_task, auth) => auth.roles.includes('admin') } })
    const users = policies(schema, { users: { read: (user, auth) => user.id === auth.userId } })
    expect(tasks.kind).toBe('policies')
    expect(Object.isFrozen(tasks)).toBe(true)
    expect(Object.isFrozen(tasks.rules)).toBe(true)
    expect(Object.isFrozen(tasks.rules.tasks)).toBe(true)
    expect(defineConfig({ name: 'a', tables: schema, policies: tasks }).policies).toBe(tasks)
    expect(defineConfig({ name: 'a', tables: schema, policies: [tasks, users] }).policies).toEqual([tasks, users])
  })

  it('exports the predicate and rule types', () => {
    const own: PolicyPredicate<Task> = (task, auth) => task.createdBy === auth.userId
    const rules: TableRules<Task> = { read: own, update: { using: own, check: own } }
    expectTypeOf(rules.read).toEqualTypeOf<PolicyPredicate<Task> | undefined>()
  })

  it('rejects misuse at compile time', () => {
    policies(schema, {
      tasks: {
        // @ts-expect-error tasks has no column "titel"
        read: (task) => task.titel === 'x',
        // @ts-expect-error auth has no "user"
        create: (_task, auth) => auth.user === null,
        // @ts-expect-error roles are read-only
        delete: (_task, auth) => auth.roles.push('admin') > 0,
      },
    })
    policies(schema, {
      // @ts-expect-error "taks" is not a table of the schema
      taks: { read: () => true },
    })
    policies(schema, {
      // @ts-expect-error "reed" is not an operation
      tasks: { reed: () => true },
    })
    policies(schema, {
      // @ts-expect-error a predicate returns a boolean
      tasks: { read: (task) => task.title },
    })
    // @ts-expect-error policies is a PoliciesDef or an array of them
    defineConfig({ name: 'a', tables: schema, policies: { tasks: {} } })
  })
})
