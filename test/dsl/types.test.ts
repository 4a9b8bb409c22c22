import { describe, expectTypeOf, it } from 'vitest'
import { t, table, type InferInsert, type InferRow, type InferUpdate, type RelationalRow } from 'koyalite'
import * as schema from '../../schema/index.ts'

describe('row types', () => {
  it('infers a row with nullability from optional()', () => {
    type Task = InferRow<typeof schema.tasks>
    expectTypeOf<Task['title']>().toEqualTypeOf<string>()
    expectTypeOf<Task['body']>().toEqualTypeOf<string | null>()
    expectTypeOf<Task['status']>().toEqualTypeOf<'todo' | 'doing' | 'done'>()
    expectTypeOf<Task['priority']>().toEqualTypeOf<number>()
    expectTypeOf<Task['assigneeId']>().toEqualTypeOf<string | null>()
    expectTypeOf<Task['id']>().toEqualTypeOf<string>()
  })

  it('leaves system columns out of inserts and makes defaulted or optional columns optional', () => {
    type Insert = InferInsert<typeof schema.tasks>
    expectTypeOf<Insert>().toEqualTypeOf<{
      projectId: string
      title: string
      createdBy: string
      body?: string | null
      status?: 'todo' | 'doing' | 'done'
      priority?: number
      dueAt?: string | null
      assigneeId?: string | null
    }>()
    // @ts-expect-error id is set by the system
    const withId: Insert = { id: 'x', projectId: 'p', title: 'a', createdBy: 'u' }
    void withId
  })

  it('types updates as partial writable columns', () => {
    type Update = InferUpdate<typeof schema.projects>
    expectTypeOf<Update>().toEqualTypeOf<{
      workspaceId?: string
      name?: string
      description?: string | null
      archived?: boolean
    }>()
  })

  it('adds the core columns to table.users and keeps the app columns', () => {
    type User = InferRow<typeof schema.users>
    expectTypeOf<User>().toEqualTypeOf<{
      id: string
      email: string
      emailVerified: boolean
      createdAt: string
      updatedAt: string
      displayName: string
      avatarPath: string | null
    }>()
  })

  it('adds id to a table declared without one', () => {
    const tags = table('tags', { label: t.text() })
    expectTypeOf<InferRow<typeof tags>>().toEqualTypeOf<{ id: string; label: string }>()
  })

  it('types json columns from their validator', () => {
    const validator = { safeParse: (v: unknown) => ({ success: true as const, data: v as { n: number } }) }
    const docs = table('docs', { id: t.id(), body: t.json(validator) })
    expectTypeOf<InferRow<typeof docs>['body']>().toEqualTypeOf<{ n: number }>()
  })
})

describe('relations across the schema', () => {
  type Task = RelationalRow<typeof schema, 'tasks'>
  type Workspace = RelationalRow<typeof schema, 'workspaces'>
  type User = RelationalRow<typeof schema, 'users'>
  type Comment = RelationalRow<typeof schema, 'comments'>

  it('resolves belongs-to chains', () => {
    expectTypeOf<Task['project']['workspace']['slug']>().toEqualTypeOf<string>()
    expectTypeOf<Task['assignee']>().toEqualTypeOf<User | null>()
  })

  it('resolves has-many relations named after the table or by inverse', () => {
    expectTypeOf<Workspace['members'][number]['role']>().toEqualTypeOf<'owner' | 'editor' | 'viewer'>()
    expectTypeOf<Task['project']['workspace']['members'][number]['userId']>().toEqualTypeOf<string>()
    expectTypeOf<User['assignedTasks'][number]['title']>().toEqualTypeOf<string>()
    expectTypeOf<User['memberships'][number]['workspaceId']>().toEqualTypeOf<string>()
    expectTypeOf<Comment['replies'][number]['body']>().toEqualTypeOf<string>()
    expectTypeOf<Comment['parent']>().toEqualTypeOf<Comment | null>()
  })

  it('gives refs not named xId no relation', () => {
    expectTypeOf<Task>().not.toHaveProperty('created')
    expectTypeOf<Task['createdBy']>().toEqualTypeOf<string>()
  })

  it('gives a ref not named xId a has-many side only when it names an inverse', () => {
    const people = table('people', { name: t.text() })
    const reviews = table('reviews', {
      authorId: t.ref(() => people, { inverse: 'writtenReviews' }),
      reviewer: t.ref(() => people, { inverse: 'givenReviews' }),
      subject: t.ref(() => people),
    })
    type S = { people: typeof people; reviews: typeof reviews }
    type Person = RelationalRow<S, 'people'>
    // Mutual assignability: expectTypeOf cannot see through the deferred key union.
    type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
    expectTypeOf<Same<keyof Person, 'id' | 'name' | 'writtenReviews' | 'givenReviews'>>().toEqualTypeOf<true>()
    expectTypeOf<Same<keyof RelationalRow<S, 'reviews'>, 'id' | 'authorId' | 'reviewer' | 'subject' | 'author'>>().toEqualTypeOf<true>()
    expectTypeOf<Same<keyof Person, 'id' | 'name'>>().toEqualTypeOf<false>()
  })

  it('lets a predicate traverse relations', () => {
    const canRead = (task: Task, auth: { userId: string | null }) =>
      task.project.workspace.members.some((m) => m.userId === auth.userId)
    expectTypeOf(canRead).returns.toEqualTypeOf<boolean>()
  })
})

describe('builders refuse misuse at compile time', () => {
  it('rejects an enum default outside the enum', () => {
    // @ts-expect-error 'late' is not one of the values
    t.enum(['todo', 'done']).default('late')
  })
  it('rejects min on a bool and optional on an id', () => {
    // @ts-expect-error min applies to text, int and real
    t.bool().min(1)
    // @ts-expect-error id is system-set
    t.id().optional()
  })
  it('rejects index columns the table does not have', () => {
    // @ts-expect-error 'nope' is not a column
    table('x', { id: t.id(), a: t.text() }, { indexes: [['nope']] })
  })
})
