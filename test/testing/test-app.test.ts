import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient } from '../../generated/sdk/index.ts'
import { createTestApp, type TestApp } from '../../engine/testing/index.ts'
import { repoRoot } from '../helpers/paths.ts'

// `koyalite/testing` on the reference app: its generated SDK as the client, personas over real HTTP.
describe('createTestApp', () => {
  let app: TestApp<ReturnType<typeof createClient>>
  let workspaceId: string
  beforeAll(async () => {
    app = await createTestApp({
      root: repoRoot,
      createClient,
      now: '2026-12-01T09:00:00.000Z',
      async seed(t) {
        const ada = await t.user('ada@example.com', { fields: { displayName: 'Ada' } })
        const workspace = await t.asService().workspaces.create({ name: 'Analytical', slug: 'analytical', ownerId: ada.id })
        workspaceId = workspace.id
        await t.asService().members.create({ workspaceId: workspace.id, userId: ada.id, role: 'owner' })
      },
    })
  })
  afterAll(() => app.close())

  it('serves the project on a free port with its migrations applied', async () => {
    expect(app.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const tables = app.db.prepare(`SELECT "name" FROM "sqlite_schema" WHERE "type" = 'table'`).pluck().all()
    expect(tables).toEqual(expect.arrayContaining(['workspaces', 'tasks', '_koya_sessions']))
  })

  it('gives each persona what its policies give it', async () => {
    const ada = await app.asUser('ada@example.com')
    expect((await ada.workspaces.list()).map((w) => w.id)).toEqual([workspaceId])
    const bob = await app.asUser('bob@example.com') // signed up on first use, required columns filled
    expect(await bob.workspaces.list()).toEqual([])
    expect(await app.asAnonymous().workspaces.list()).toEqual([]) // the read policy admits no one signed out
    expect((await app.asService().workspaces.list()).length).toBe(1)
  })

  it("grants roles, and its clock is the server's", async () => {
    const grace = await app.user('grace@example.com', { roles: ['admin'] })
    const roles = app.db.prepare('SELECT "role" FROM "_koya_role_grants" WHERE "userId" = ?').pluck().all(grace.id)
    expect(roles).toEqual(['admin'])
    const created = await app.asService().workspaces.create({ name: 'Later', slug: 'later', ownerId: grace.id })
    expect(created.createdAt).toBe('2026-12-01T09:00:00.000Z')
    app.clock.advance(60_000)
    const next = await app.asService().workspaces.create({ name: 'Later still', slug: 'later-still', ownerId: grace.id })
    expect(next.createdAt).toBe('2026-12-01T09:01:00.000Z')
  })

  it('defaults to a plain HTTP client, and two apps do not share a database', async () => {
    const other = await createTestApp({ root: repoRoot })
    try {
      const answer = await other.asService().get('/api/workspaces')
      expect(answer.status).toBe(200)
      expect(answer.body).toEqual([])
      const refused = await other.asAnonymous().post('/api/workspaces', { name: 'Mine', slug: 'mine', ownerId: '01000000-0000-7000-8000-000000000001' })
      expect(refused.status).toBe(403) // the create policy refuses a caller with no user id
      expect(refused.body).toMatchObject({ code: 'KL_API_POLICY_DENIED' })
    } finally {
      await other.close()
    }
  })
})
