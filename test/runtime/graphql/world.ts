import { expect } from 'vitest'
import { authApp, call, signedInUser, SERVICE_KEY, type AuthTestApp, type Reply } from '../../helpers/auth-app.ts'

/**
 * The reference app with the world of test/runtime/access-scenarios.test.ts: workspace W1 owned
 * by `owner` with `editor` and `viewer`; W2 owned by `outsider`; `admin` holds the admin role and
 * no membership; each table has a row in W1 and one in W2. Reached over REST and GraphQL with
 * each persona's real session.
 */
export type Persona = 'anonymous' | 'outsider' | 'viewer' | 'editor' | 'owner' | 'admin'
export type Table = 'users' | 'workspaces' | 'members' | 'projects' | 'tasks' | 'comments'
export const PERSONAS: readonly Persona[] = ['anonymous', 'outsider', 'viewer', 'editor', 'owner', 'admin']
export const TABLES: readonly Table[] = ['users', 'workspaces', 'members', 'projects', 'tasks', 'comments']
/** Each table's GraphQL type name. */
export const TYPE: Record<Table, string> = { users: 'User', workspaces: 'Workspace', members: 'Member', projects: 'Project', tasks: 'Task', comments: 'Comment' }

export interface World {
  readonly t: AuthTestApp
  /** A seeded row's (or user's) id by label. */
  id(label: string): string
  /** The label of an id (the id itself when unknown). */
  label(id: string): string
  /** Whose session each persona uses (undefined: anonymous). */
  token(persona: Persona): string | undefined
  userId(persona: Persona): string | undefined
  seeded(table: Table): ReadonlySet<string>
  rest(persona: Persona | 'system', method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, options?: { body?: unknown; headers?: Record<string, string> }): Promise<Reply>
  graphql(persona: Persona | 'system', query: string, variables?: Record<string, unknown>): Promise<Reply>
  /** Remove every row a scenario created, so each scenario meets the same world. */
  restore(): Promise<void>
  close(): Promise<void>
}

export async function createWorld(options: Parameters<typeof authApp>[0] = {}): Promise<World> {
  const t = await authApp(options)
  const tokens = new Map<Persona, string>()
  const ids = new Map<string, string>()
  const labels = new Map<string, string>()
  const seeded: Record<Table, Set<string>> = { users: new Set(), workspaces: new Set(), members: new Set(), projects: new Set(), tasks: new Set(), comments: new Set() }
  const tokenOf = (persona: Persona | 'system') => (persona === 'system' ? SERVICE_KEY : tokens.get(persona))
  const world: World = {
    t,
    id: (label) => ids.get(label)!,
    label: (id) => labels.get(id) ?? id,
    token: (persona) => tokens.get(persona),
    userId: (persona) => (persona === 'anonymous' ? undefined : ids.get(persona)),
    seeded: (table) => seeded[table],
    rest(persona, method, url, options = {}) {
      const token = tokenOf(persona)
      return call(t, method, url, { ...options, ...(token === undefined ? {} : { token }) })
    },
    graphql(persona, query, variables) {
      return world.rest(persona, 'POST', '/graphql', { body: { query, ...(variables ? { variables } : {}) } })
    },
    async restore() {
      for (const table of [...TABLES].reverse()) {
        if (table === 'users') continue
        const reply = await world.rest('system', 'GET', `/api/${table}?select=id`)
        for (const row of reply.body as { id: string }[]) {
          if (!seeded[table].has(row.id)) expect((await world.rest('system', 'DELETE', `/api/${table}/${row.id}`)).status).toBe(204)
        }
      }
    },
    close: () => t.close(),
  }
  const remember = (table: Table, label: string, id: string) => {
    ids.set(label, id)
    labels.set(id, label)
    seeded[table].add(id)
  }
  for (const persona of ['outsider', 'viewer', 'editor', 'owner', 'admin', 'bystander'] as const) {
    const user = await signedInUser(t, persona)
    if (persona !== 'bystander') tokens.set(persona, user.token)
    remember('users', persona, user.id)
  }
  expect((await world.rest('system', 'POST', `/admin/users/${world.id('admin')}/roles`, { body: { role: 'admin' } })).status).toBeLessThan(300)
  const seed = async (table: Table, label: string, row: Record<string, unknown>) => {
    const reply = await world.rest('system', 'POST', `/api/${table}?select=id`, { body: row, headers: { prefer: 'return=representation' } })
    if (reply.status !== 201) throw new Error(`seeding ${label}: ${reply.raw}`)
    remember(table, label, reply.body[0].id as string)
  }
  const id = world.id
  await seed('workspaces', 'W1', { name: 'Studio', slug: 'studio', ownerId: id('owner') })
  await seed('workspaces', 'W2', { name: 'Studio', slug: 'elsewhere', ownerId: id('outsider') })
  await seed('members', 'M1', { workspaceId: id('W1'), userId: id('owner'), role: 'owner' })
  await seed('members', 'M1e', { workspaceId: id('W1'), userId: id('editor'), role: 'editor' })
  await seed('members', 'M1v', { workspaceId: id('W1'), userId: id('viewer'), role: 'viewer' })
  await seed('members', 'M2', { workspaceId: id('W2'), userId: id('outsider'), role: 'owner' })
  await seed('projects', 'P1', { workspaceId: id('W1'), name: 'Launch' })
  await seed('projects', 'P2', { workspaceId: id('W2'), name: 'Secret' })
  await seed('tasks', 'T1', { projectId: id('P1'), title: 'Write copy', createdBy: id('editor'), dueAt: '2026-12-24T09:30:00Z' })
  await seed('tasks', 'T2', { projectId: id('P2'), title: 'Hidden plan', createdBy: id('outsider') })
  await seed('comments', 'C1', { taskId: id('T1'), authorId: id('editor'), body: 'Draft is up', meta: { pinned: true } })
  await seed('comments', 'C2', { taskId: id('T2'), authorId: id('outsider'), body: 'Keep this quiet' })
  return world
}

/** The GraphQL error codes of a reply, in order. */
export function errorCodesOf(reply: Reply): string[] {
  return ((reply.body?.errors ?? []) as { extensions?: { code?: string } }[]).map((e) => String(e.extensions?.code))
}
