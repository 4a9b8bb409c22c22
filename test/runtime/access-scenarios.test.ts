import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authApp, call, signedInUser, SERVICE_KEY, type AuthTestApp, type Reply } from '../helpers/auth-app.ts'

/**
 * The reference app's policies (policies/*.ts), as real users with real sessions see them, on
 * every path: each actor × each table × each operation × each way of reaching it.
 *
 * The world: workspace W1 owned by `owner`, with `editor` and `viewer` as members; workspace W2
 * owned by `outsider`, who is nobody in W1; `admin` holds the admin role and no membership.
 * Each table has a row in W1 (the target) and one in W2 (which must never appear to W1's people).
 */

type ActorName = 'anonymous' | 'outsider' | 'viewer' | 'editor' | 'owner' | 'admin'
type Table = 'users' | 'workspaces' | 'members' | 'projects' | 'tasks' | 'comments'
const ACTORS: readonly ActorName[] = ['anonymous', 'outsider', 'viewer', 'editor', 'owner', 'admin']
const TABLES: readonly Table[] = ['users', 'workspaces', 'members', 'projects', 'tasks', 'comments']

/**
 * What each actor may do, table by table: the labels of the seeded rows it reads, and whether it
 * may create a row in W1, update the W1 target row and delete a fresh row like it. `null`: the
 * table has no policy for that operation (only the service key may).
 */
interface Rights {
  readonly read: readonly string[]
  readonly create: boolean | null
  readonly update: boolean | null
  readonly delete: boolean | null
}

const W1_PEOPLE = ['owner', 'editor', 'viewer'] as const
const MATRIX: Record<Table, Record<ActorName, Rights>> = {
  // Users read themselves (admins read everyone) and edit only themselves; /auth creates them.
  users: {
    anonymous: { read: [], create: null, update: false, delete: null },
    outsider: { read: ['outsider'], create: null, update: false, delete: null },
    viewer: { read: ['viewer'], create: null, update: false, delete: null },
    editor: { read: ['editor'], create: null, update: true, delete: null },
    owner: { read: ['owner'], create: null, update: false, delete: null },
    admin: { read: ['outsider', 'viewer', 'editor', 'owner', 'admin', 'bystander'], create: null, update: false, delete: null },
  },
  // Anyone signed in may create a workspace they own; only its owner changes or deletes it.
  workspaces: {
    anonymous: { read: [], create: false, update: false, delete: false },
    outsider: { read: ['W2'], create: true, update: false, delete: false },
    viewer: { read: ['W1'], create: true, update: false, delete: false },
    editor: { read: ['W1'], create: true, update: false, delete: false },
    owner: { read: ['W1'], create: true, update: true, delete: true },
    admin: { read: ['W1', 'W2'], create: true, update: false, delete: false },
  },
  members: {
    anonymous: { read: [], create: false, update: false, delete: false },
    outsider: { read: ['M2'], create: false, update: false, delete: false },
    viewer: { read: ['M1', 'M1e', 'M1v'], create: false, update: false, delete: false },
    editor: { read: ['M1', 'M1e', 'M1v'], create: false, update: false, delete: false },
    owner: { read: ['M1', 'M1e', 'M1v'], create: true, update: true, delete: true },
    admin: { read: [], create: false, update: false, delete: false },
  },
  projects: {
    anonymous: { read: [], create: false, update: false, delete: false },
    outsider: { read: ['P2'], create: false, update: false, delete: false },
    viewer: { read: ['P1'], create: false, update: false, delete: false },
    editor: { read: ['P1'], create: true, update: true, delete: false },
    owner: { read: ['P1'], create: true, update: true, delete: true },
    admin: { read: [], create: false, update: false, delete: false },
  },
  // Workspace owners delete tasks (a creator could be claimed by any editor, so it gives no
  // right). The delete rule also admits admins, but a write targets only rows its caller may
  // read (issue 10), and an admin with no membership reads no task: to them every task is missing.
  tasks: {
    anonymous: { read: [], create: false, update: false, delete: false },
    outsider: { read: ['T2'], create: false, update: false, delete: false },
    viewer: { read: ['T1'], create: false, update: false, delete: false },
    editor: { read: ['T1'], create: true, update: true, delete: false },
    owner: { read: ['T1'], create: true, update: true, delete: true },
    admin: { read: [], create: false, update: false, delete: false },
  },
  // The target comment is the editor's; authors edit and delete their own, admins delete any.
  comments: {
    anonymous: { read: [], create: false, update: false, delete: false },
    outsider: { read: ['C2'], create: false, update: false, delete: false },
    viewer: { read: ['C1'], create: false, update: false, delete: false },
    editor: { read: ['C1'], create: true, update: true, delete: true },
    owner: { read: ['C1'], create: true, update: false, delete: false },
    // The delete rule admits admins, but they read no comment (see tasks).
    admin: { read: [], create: false, update: false, delete: false },
  },
}

/** The W1 row each table's update and read-by-id scenarios aim at. */
const TARGET: Record<Table, string> = { users: 'editor', workspaces: 'W1', members: 'M1v', projects: 'P1', tasks: 'T1', comments: 'C1' }
/** Its counterpart in W2, where the outsider owns, created and wrote everything. */
const ELSEWHERE: Record<Table, string> = { users: 'outsider', workspaces: 'W2', members: 'M2', projects: 'P2', tasks: 'T2', comments: 'C2' }

let t: AuthTestApp
const tokens = new Map<ActorName, string | undefined>()
const ids = new Map<string, string>() // label → id
const userIds = new Map<string, string>()
const labelOf = new Map<string, string>() // id → label
const seeded: Record<Table, Set<string>> = { users: new Set(), workspaces: new Set(), members: new Set(), projects: new Set(), tasks: new Set(), comments: new Set() }

const id = (label: string) => ids.get(label) ?? userIds.get(label)!
const asSystem = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = {}) =>
  call(t, method, url, { token: SERVICE_KEY, ...(body === undefined ? {} : { body }), headers })
const as = (actor: ActorName, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, options: { body?: unknown; headers?: Record<string, string> } = {}) => {
  const token = tokens.get(actor)
  return call(t, method, url, { ...options, ...(token === undefined ? {} : { token }) })
}

async function seed(table: Table, label: string, row: Record<string, unknown>): Promise<string> {
  const reply = await asSystem('POST', `/api/${table}?select=id`, row, { prefer: 'return=representation' })
  if (reply.status !== 201) throw new Error(`seeding ${label}: ${reply.raw}`)
  const rowId = reply.body[0].id as string
  ids.set(label, rowId)
  labelOf.set(rowId, label)
  seeded[table].add(rowId)
  return rowId
}

/** Remove whatever a scenario created, so every scenario meets the same world. */
async function restoreWorld(): Promise<void> {
  for (const table of [...TABLES].reverse()) {
    if (table === 'users') continue
    const reply = await asSystem('GET', `/api/${table}?select=id`)
    for (const row of reply.body as { id: string }[]) {
      if (!seeded[table].has(row.id)) expect((await asSystem('DELETE', `/api/${table}/${row.id}`)).status).toBe(204)
    }
  }
}

beforeAll(async () => {
  t = await authApp()
  tokens.set('anonymous', undefined)
  for (const actor of ['outsider', 'viewer', 'editor', 'owner', 'admin'] as const) {
    const user = await signedInUser(t, actor)
    tokens.set(actor, user.token)
    userIds.set(actor, user.id)
    labelOf.set(user.id, actor)
    seeded.users.add(user.id)
  }
  // A bystander who belongs nowhere: the user fresh memberships are made for.
  const bystander = await signedInUser(t, 'bystander')
  userIds.set('bystander', bystander.id)
  labelOf.set(bystander.id, 'bystander')
  seeded.users.add(bystander.id)
  expect((await asSystem('POST', `/admin/users/${id('admin')}/roles`, { role: 'admin' })).status).toBeLessThan(300)

  await seed('workspaces', 'W1', { name: 'Studio', slug: 'studio', ownerId: id('owner') })
  await seed('workspaces', 'W2', { name: 'Studio', slug: 'elsewhere', ownerId: id('outsider') })
  await seed('members', 'M1', { workspaceId: id('W1'), userId: id('owner'), role: 'owner' })
  await seed('members', 'M1e', { workspaceId: id('W1'), userId: id('editor'), role: 'editor' })
  await seed('members', 'M1v', { workspaceId: id('W1'), userId: id('viewer'), role: 'viewer' })
  await seed('members', 'M2', { workspaceId: id('W2'), userId: id('outsider'), role: 'owner' })
  await seed('projects', 'P1', { workspaceId: id('W1'), name: 'Launch' })
  await seed('projects', 'P2', { workspaceId: id('W2'), name: 'Secret' })
  await seed('tasks', 'T1', { projectId: id('P1'), title: 'Write copy', createdBy: id('editor') })
  await seed('tasks', 'T2', { projectId: id('P2'), title: 'Hidden plan', createdBy: id('outsider') })
  await seed('comments', 'C1', { taskId: id('T1'), authorId: id('editor'), body: 'Draft is up' })
  await seed('comments', 'C2', { taskId: id('T2'), authorId: id('outsider'), body: 'Keep this quiet' })
})

afterAll(async () => {
  await t?.close()
})

const labels = (reply: Reply) => (reply.body as { id: string }[]).map((row) => labelOf.get(row.id) ?? row.id).sort()
const sorted = (values: readonly string[]) => [...values].sort()

/** A new W1 row of the table, written as `actor` would (its own id where the row names the writer). */
function newRow(table: Table, actor: ActorName, n: number): Record<string, unknown> {
  const self = userIds.get(actor) ?? id('owner')
  switch (table) {
    case 'users':
      return { email: `new-${n}@example.com`, displayName: 'New' }
    case 'workspaces':
      return { name: 'New space', slug: `new-space-${actor}-${n}`, ownerId: self }
    case 'members':
      return { workspaceId: id('W1'), userId: id('bystander'), role: 'viewer' }
    case 'projects':
      return { workspaceId: id('W1'), name: `New project ${n}` }
    case 'tasks':
      return { projectId: id('P1'), title: `New task ${n}`, createdBy: self }
    case 'comments':
      return { taskId: id('T1'), authorId: self, body: `New comment ${n}` }
  }
}

/** A patch that leaves the row as it was (so the world stays the same) but is a real update. */
const SAME: Record<Table, () => Record<string, unknown>> = {
  users: () => ({ displayName: 'editor' }),
  workspaces: () => ({ name: 'Studio' }),
  members: () => ({ role: 'viewer' }),
  projects: () => ({ name: 'Launch' }),
  tasks: () => ({ title: 'Write copy' }),
  comments: () => ({ body: 'Draft is up' }),
}

/**
 * A patch that leaves both the target and its W2 counterpart as they were, for PATCH by filter
 * over the two (`null`: the counterpart differs in every writable column, so only the target).
 */
const SAME_IN_BOTH: Record<Table, { patch: Record<string, unknown>; both: boolean }> = {
  users: { patch: { displayName: 'editor' }, both: false },
  workspaces: { patch: { name: 'Studio' }, both: true },
  members: { patch: { role: 'viewer' }, both: false },
  projects: { patch: { archived: false }, both: true },
  tasks: { patch: { priority: 1 }, both: true },
  comments: { patch: { meta: null }, both: true },
}

/** A fresh W1 row like the target, made by the service key, for the delete scenarios. */
async function freshRow(table: Table): Promise<string | undefined> {
  const rows: Record<Exclude<Table, 'users'>, Record<string, unknown>> = {
    workspaces: { name: 'Doomed', slug: `doomed-${Math.random().toString(36).slice(2)}`, ownerId: id('owner') },
    members: { workspaceId: id('W1'), userId: id('bystander'), role: 'viewer' },
    projects: { workspaceId: id('W1'), name: 'Doomed' },
    tasks: { projectId: id('P1'), title: 'Doomed', createdBy: id('editor') },
    comments: { taskId: id('T1'), authorId: id('editor'), body: 'Doomed' },
  }
  if (table === 'users') return undefined
  const reply = await asSystem('POST', `/api/${table}?select=id`, rows[table], { prefer: 'return=representation' })
  expect(reply.status).toBe(201)
  return reply.body[0].id as string
}

/** Who may see a fresh row like the target (for a delete: 404 when hidden, 403 when seen). */
function seesFresh(table: Table, actor: ActorName): boolean {
  if (table === 'workspaces') return actor === 'owner' || actor === 'admin' // ownerId, or admin; no members yet
  return MATRIX[table][actor].read.includes(TARGET[table])
}

/** The answer a refused write gets: no policy at all → 401/403 by who asks; a policy that says no → 403. */
function refusal(actor: ActorName, allowed: boolean | null, hidden: boolean): { status: number; code: string } {
  if (allowed === null) return actor === 'anonymous' ? { status: 401, code: 'KL_API_UNAUTHORIZED' } : { status: 403, code: 'KL_API_POLICY_DENIED' }
  if (hidden) return { status: 404, code: 'KL_API_NOT_FOUND' }
  return { status: 403, code: 'KL_API_POLICY_DENIED' }
}

async function countRows(table: Table): Promise<number> {
  const reply = await asSystem('GET', `/api/${table}?select=id`)
  return (reply.body as unknown[]).length
}

describe.each(TABLES)('%s', (table) => {
  describe.each(ACTORS)('as %s', (actor) => {
    const rights = () => MATRIX[table][actor]
    const readsTarget = () => rights().read.includes(TARGET[table])

    it('lists exactly the rows the read policy admits', async () => {
      const reply = await as(actor, 'GET', `/api/${table}?select=id`)
      expect(reply.status).toBe(200)
      expect(labels(reply)).toEqual(sorted(rights().read))
    })

    it('counts exactly those rows with count=exact', async () => {
      const reply = await as(actor, 'GET', `/api/${table}?select=id&limit=1`, { headers: { prefer: 'count=exact' } })
      expect(String(reply.headers['content-range'])).toMatch(new RegExp(`/${rights().read.length}$`))
    })

    it('filters only within what it may read', async () => {
      const reply = await as(actor, 'GET', `/api/${table}?select=id&id=in.(${[...seeded[table]].join(',')})`)
      expect(labels(reply)).toEqual(sorted(rights().read))
    })

    it('gets the target by id, or a 404 exactly like a missing row', async () => {
      const reply = await as(actor, 'GET', `/api/${table}/${id(TARGET[table])}?select=id`)
      const missing = await as(actor, 'GET', `/api/${table}/00000000-0000-7000-8000-000000000000?select=id`)
      if (readsTarget()) {
        expect(reply.status).toBe(200)
        expect(reply.body.id).toBe(id(TARGET[table]))
      } else {
        expect(reply.status).toBe(404)
        expect(reply.raw).toBe(missing.raw)
      }
    })

    it('creates a row only when the create policy admits it, and writes nothing otherwise', async () => {
      const before = await countRows(table)
      const reply = await as(actor, 'POST', `/api/${table}`, { body: newRow(table, actor, 1) })
      if (rights().create === true) {
        expect(reply.status, reply.raw).toBe(201)
        expect(await countRows(table)).toBe(before + 1)
      } else {
        expect({ status: reply.status, code: reply.body?.code }).toEqual(refusal(actor, rights().create, false))
        expect(await countRows(table)).toBe(before)
      }
      await restoreWorld()
    })

    it('bulk-creates all rows or none', async () => {
      if (table === 'members') return // two memberships of one user in W1 would violate the unique index
      const before = await countRows(table)
      const reply = await as(actor, 'POST', `/api/${table}`, { body: [newRow(table, actor, 2), newRow(table, actor, 3)] })
      if (rights().create === true) {
        expect(reply.status, reply.raw).toBe(201)
        expect(await countRows(table)).toBe(before + 2)
      } else {
        expect(reply.status).toBe(refusal(actor, rights().create, false).status)
        expect(await countRows(table)).toBe(before)
      }
      await restoreWorld()
    })

    it('patches the target by id when the update policy admits it (404 when hidden, 403 when seen)', async () => {
      const reply = await as(actor, 'PATCH', `/api/${table}/${id(TARGET[table])}`, { body: SAME[table]() })
      if (rights().update === true) {
        expect(reply.status, reply.raw).toBe(200)
        expect(reply.body.id).toBe(id(TARGET[table]))
      } else {
        expect({ status: reply.status, code: reply.body?.code }).toEqual(refusal(actor, rights().update, !readsTarget()))
      }
    })

    it('patches by filter only the rows the update policy admits', async () => {
      const { patch, both } = SAME_IN_BOTH[table]
      const candidates = [id(TARGET[table]), ...(both ? [id(ELSEWHERE[table])] : [])]
      const reply = await as(actor, 'PATCH', `/api/${table}?id=in.(${candidates.join(',')})&select=id`, { body: patch, headers: { prefer: 'return=representation' } })
      if (rights().update === null) {
        expect(reply.status).toBe(refusal(actor, null, false).status)
        return
      }
      expect(reply.status, reply.raw).toBe(200)
      // W2's rows are the outsider's to change, and no one else's.
      const expected = [...(rights().update ? [TARGET[table]] : []), ...(both && actor === 'outsider' ? [ELSEWHERE[table]] : [])]
      expect(labels(reply)).toEqual(sorted(expected))
    })

    it('deletes by id only when the delete policy admits it', async () => {
      const fresh = await freshRow(table)
      const target = fresh ?? id(TARGET[table])
      const before = await countRows(table)
      const reply = await as(actor, 'DELETE', `/api/${table}/${target}`)
      if (rights().delete === true) {
        expect(reply.status, reply.raw).toBe(204)
        expect(await countRows(table)).toBe(before - 1)
      } else {
        expect({ status: reply.status, code: reply.body?.code }).toEqual(refusal(actor, rights().delete, !seesFresh(table, actor)))
        expect(await countRows(table)).toBe(before)
      }
      await restoreWorld()
    })

    it('deletes by filter only the rows the delete policy admits', async () => {
      const fresh = await freshRow(table)
      // W2's row is a candidate for those who may not delete it: not the outsider, who owns W2,
      // nor an admin where admins delete anything.
      const deletesElsewhere = actor === 'outsider' || (actor === 'admin' && MATRIX[table].admin.delete === true)
      const candidates = [...(fresh ? [fresh] : []), ...(deletesElsewhere ? [] : [id(ELSEWHERE[table])])]
      const before = await countRows(table)
      const reply = await as(actor, 'DELETE', `/api/${table}?id=in.(${candidates.join(',')})`)
      if (rights().delete === null) {
        expect(reply.status).toBe(refusal(actor, null, false).status)
      } else {
        expect(reply.status, reply.raw).toBe(204)
        expect(await countRows(table)).toBe(rights().delete ? before - 1 : before)
        if (fresh) expect((await asSystem('GET', `/api/${table}/${fresh}`)).status).toBe(rights().delete ? 404 : 200)
      }
      await restoreWorld()
    })
  })
})

describe('embedded relations apply each embedded table\'s own read policy', () => {
  it.each(ACTORS)('as %s, workspaces embed only readable projects, tasks and comments', async (actor) => {
    const reply = await as(actor, 'GET', '/api/workspaces?select=id,projects(id,tasks(id,comments(id)))')
    expect(reply.status).toBe(200)
    const seen: Record<string, string[]> = { projects: [], tasks: [], comments: [] }
    for (const workspace of reply.body) {
      for (const project of workspace.projects) {
        seen.projects!.push(labelOf.get(project.id)!)
        for (const task of project.tasks) {
          seen.tasks!.push(labelOf.get(task.id)!)
          for (const comment of task.comments) seen.comments!.push(labelOf.get(comment.id)!)
        }
      }
    }
    const visibleWorkspaces = new Set(MATRIX.workspaces[actor].read)
    const under = (labels: readonly string[]) => labels.filter((l) => visibleWorkspaces.has(`W${l.slice(1)}`))
    expect(sorted(seen.projects!)).toEqual(sorted(under(MATRIX.projects[actor].read)))
    expect(sorted(seen.tasks!)).toEqual(sorted(under(MATRIX.tasks[actor].read)))
    expect(sorted(seen.comments!)).toEqual(sorted(under(MATRIX.comments[actor].read)))
  })

  it.each(ACTORS)('as %s, a belongs-to embed of a hidden parent is null', async (actor) => {
    const reply = await as(actor, 'GET', '/api/members?select=id,workspace(id),user(id)')
    expect(reply.status).toBe(200)
    for (const member of reply.body) {
      if (member.workspace !== null) expect(MATRIX.workspaces[actor].read).toContain(labelOf.get(member.workspace.id))
      if (member.user !== null) expect(MATRIX.users[actor].read).toContain(labelOf.get(member.user.id))
    }
  })

  it('an admin sees every workspace but none of their projects (no project rule admits admins)', async () => {
    const reply = await as('admin', 'GET', '/api/workspaces?select=id,projects(id)')
    expect(reply.body.map((w: { projects: unknown[] }) => w.projects.length)).toEqual([0, 0])
  })
})

describe('upsert checks both paths', () => {
  const upsert = (actor: ActorName, row: Record<string, unknown>, table: Table, onConflict: string) =>
    as(actor, 'POST', `/api/${table}?on_conflict=${onConflict}`, { body: row, headers: { prefer: 'resolution=merge-duplicates' } })

  it.each(ACTORS)('as %s, an upsert meeting an existing membership needs the update policy', async (actor) => {
    const reply = await upsert(actor, { workspaceId: id('W1'), userId: id('viewer'), role: 'viewer' }, 'members', 'workspaceId,userId')
    if (MATRIX.members[actor].update) expect(reply.status, reply.raw).toBe(201)
    else expect({ status: reply.status, code: reply.body?.code }).toEqual({ status: 403, code: 'KL_API_POLICY_DENIED' })
    await restoreWorld()
  })

  it.each(ACTORS)('as %s, an upsert that inserts a membership needs the create policy', async (actor) => {
    const before = await countRows('members')
    const reply = await upsert(actor, { workspaceId: id('W1'), userId: id('bystander'), role: 'viewer' }, 'members', 'workspaceId,userId')
    if (MATRIX.members[actor].create) {
      expect(reply.status, reply.raw).toBe(201)
      expect(await countRows('members')).toBe(before + 1)
    } else {
      expect({ status: reply.status, code: reply.body?.code }).toEqual({ status: 403, code: 'KL_API_POLICY_DENIED' })
      expect(await countRows('members')).toBe(before)
    }
    await restoreWorld()
  })

  it.each(ACTORS)('as %s, an upsert on a workspace slug changes W1 only for its owner', async (actor) => {
    const self = userIds.get(actor) ?? id('owner')
    const reply = await upsert(actor, { name: 'Studio', slug: 'studio', ownerId: actor === 'owner' ? self : id('owner') }, 'workspaces', 'slug')
    if (MATRIX.workspaces[actor].update) expect(reply.status, reply.raw).toBe(201)
    else expect(reply.status).toBe(403)
    const w1 = await asSystem('GET', `/api/workspaces/${id('W1')}?select=ownerId`)
    expect(w1.body.ownerId).toBe(id('owner'))
  })
})

describe('what refusals say', () => {
  it('a denied write names the table, the operation and the policy, and writes nothing', async () => {
    const reply = await as('viewer', 'PATCH', `/api/tasks/${id('T1')}`, { body: { title: 'Hijacked' } })
    expect(reply.status).toBe(403)
    expect(reply.body.code).toBe('KL_API_POLICY_DENIED')
    expect(reply.body.message).toContain('"tasks"')
    expect(reply.body.message).toMatch(/update/)
    // The policy's source location is for dev mode and the logs, not every client (issue 10).
    expect(reply.body.message).not.toMatch(/policies\//)
    const task = await asSystem('GET', `/api/tasks/${id('T1')}?select=title`)
    expect(task.body.title).toBe('Write copy')
  })

  it('an update whose changed row fails the check is rolled back', async () => {
    // The editor may edit T1, but not move it into W2's project, where they are nobody.
    const reply = await as('editor', 'PATCH', `/api/tasks/${id('T1')}`, { body: { projectId: id('P2') } })
    expect(reply.status).toBe(403)
    expect(reply.body.code).toBe('KL_API_POLICY_DENIED')
    const task = await asSystem('GET', `/api/tasks/${id('T1')}?select=projectId`)
    expect(task.body.projectId).toBe(id('P1'))
  })

  it('a create that names someone else as its creator is refused', async () => {
    const reply = await as('editor', 'POST', '/api/tasks', { body: { projectId: id('P1'), title: 'Forged', createdBy: id('owner') } })
    expect(reply.status).toBe(403)
    expect(await countRows('tasks')).toBe(2)
  })

  it('a delete the delete rule admits, of a row the caller cannot read, is a missing row', async () => {
    // The delete rule admits admins, but an admin reads no task: the row is not theirs to target.
    const fresh = (await freshRow('tasks'))!
    const reply = await as('admin', 'DELETE', `/api/tasks/${fresh}`, { headers: { prefer: 'return=representation' } })
    expect(reply.body?.code).toBe('KL_API_NOT_FOUND')
    expect((await asSystem('GET', `/api/tasks/${fresh}`)).status).toBe(200)
    await restoreWorld()
  })
})

describe('the users table\'s auth-managed columns', () => {
  it.each([
    ['email', { email: 'someone-else@example.com' }],
    ['emailVerified', { emailVerified: true }],
  ])('a user cannot write their own %s, though the update policy admits their row', async (_name, patch) => {
    const reply = await as('editor', 'PATCH', `/api/users/${id('editor')}`, { body: patch })
    expect(reply.status).toBe(400)
    expect(reply.body.code).toBe('KL_API_VALIDATION')
    const row = await asSystem('GET', `/api/users/${id('editor')}?select=email,emailVerified`)
    expect(row.body).toMatchObject({ email: expect.stringMatching(/^editor-\d+@example\.com$/), emailVerified: true })
  })

  it('the service key may still write them', async () => {
    const reply = await asSystem('PATCH', `/api/users/${id('bystander')}`, { emailVerified: false })
    expect(reply.status).toBe(200)
    expect(reply.body.emailVerified).toBe(false)
    expect((await asSystem('PATCH', `/api/users/${id('bystander')}`, { emailVerified: true })).status).toBe(200)
  })
})

describe('a write never vouches for itself: create and update checks see the world before the write', () => {
  it('an outsider cannot make themselves an owner of W1 (the new membership would admit itself)', async () => {
    const before = await countRows('members')
    const reply = await as('outsider', 'POST', '/api/members', { body: { workspaceId: id('W1'), userId: id('outsider'), role: 'owner' } })
    expect({ status: reply.status, code: reply.body?.code }).toEqual({ status: 403, code: 'KL_API_POLICY_DENIED' })
    expect(await countRows('members')).toBe(before)
    expect((await as('outsider', 'GET', '/api/tasks?select=id')).body.map((t: { id: string }) => labelOf.get(t.id))).toEqual(['T2'])
  })

  it('an owner cannot move their membership into a workspace they are not in', async () => {
    const reply = await as('owner', 'PATCH', `/api/members/${id('M1')}`, { body: { workspaceId: id('W2') } })
    expect({ status: reply.status, code: reply.body?.code }).toEqual({ status: 403, code: 'KL_API_POLICY_DENIED' })
    expect((await asSystem('GET', `/api/members/${id('M1')}?select=workspaceId`)).body.workspaceId).toBe(id('W1'))
  })

  it('an editor cannot move a comment into another workspace\'s task', async () => {
    const reply = await as('editor', 'PATCH', `/api/comments/${id('C1')}`, { body: { taskId: id('T2') } })
    expect(reply.status).toBe(403)
    expect((await asSystem('GET', `/api/comments/${id('C1')}?select=taskId`)).body.taskId).toBe(id('T1'))
  })

  it('a reply cannot point at a comment of another task', async () => {
    const before = await countRows('comments')
    const reply = await as('editor', 'POST', '/api/comments', { body: { taskId: id('T1'), authorId: id('editor'), parentId: id('C2'), body: 'Psst' } })
    expect(reply.status).toBe(403)
    expect(await countRows('comments')).toBe(before)
  })

  it('claiming a task as its creator gives no right to delete it', async () => {
    const fresh = (await asSystem('POST', '/api/tasks?select=id', { projectId: id('P1'), title: 'The owner\'s', createdBy: id('owner') }, { prefer: 'return=representation' })).body[0].id as string
    expect((await as('editor', 'PATCH', `/api/tasks/${fresh}`, { body: { createdBy: id('editor') } })).status).toBe(200)
    expect((await as('editor', 'DELETE', `/api/tasks/${fresh}`)).status).toBe(403)
    await restoreWorld()
  })
})

describe('a write refused for its read-back writes nothing', () => {
  it('an unknown column in select is refused before the insert', async () => {
    const before = await countRows('comments')
    const reply = await as('editor', 'POST', '/api/comments?select=id,nope', { body: { taskId: id('T1'), authorId: id('editor'), body: 'Hello' }, headers: { prefer: 'return=representation' } })
    expect(reply.body.code).toBe('KL_API_UNKNOWN_COLUMN')
    expect(await countRows('comments')).toBe(before)
  })

  it('an unknown column in select is refused before the update', async () => {
    const reply = await as('editor', 'PATCH', `/api/comments/${id('C1')}?select=bogus`, { body: { body: 'Changed' } })
    expect(reply.body.code).toBe('KL_API_UNKNOWN_COLUMN')
    expect((await asSystem('GET', `/api/comments/${id('C1')}?select=body`)).body.body).toBe('Draft is up')
  })
})
