// The reference app's demo data: what Studio shows and the docs' examples read.
// `koyalite seed` (or `koyalite db reset` in development) writes it; running it again changes
// nothing new: every row is upserted on its natural key.
import { defineSeed } from 'koyalite'
import * as schema from '../schema'

export default defineSeed(schema, async ({ db, user }) => {
  const password = 'correct horse battery staple'
  const ada = await user('ada@example.com', { password, roles: ['admin'], fields: { displayName: 'Ada Lovelace' } })
  const grace = await user('grace@example.com', { password, fields: { displayName: 'Grace Hopper' } })
  const linus = await user('linus@example.com', { password, roles: ['support'], fields: { displayName: 'Linus Pauling' } })

  const [acme] = await db.upsert('workspaces', [{ slug: 'acme', name: 'Acme Rockets', ownerId: ada.id }], { on: ['slug'] })
  const workspaceId = acme!.id
  await db.upsert('members', [
    { workspaceId, userId: ada.id, role: 'owner' },
    { workspaceId, userId: grace.id, role: 'editor' },
    { workspaceId, userId: linus.id, role: 'viewer' },
  ], { on: ['workspaceId', 'userId'] })
  const [launch, website] = await db.upsert('projects', [
    { workspaceId, name: 'Launch', description: 'Everything for the first launch.' },
    { workspaceId, name: 'Website' },
  ], { on: ['workspaceId', 'name'] })
  const [, pressRelease] = await db.upsert('tasks', [
    { projectId: launch!.id, title: 'Book the launch pad', status: 'done', priority: 2, createdBy: ada.id, assigneeId: ada.id },
    { projectId: launch!.id, title: 'Write the press release', body: 'Short, with one photo.', status: 'doing', priority: 1, createdBy: ada.id, assigneeId: grace.id, dueAt: '2027-01-15T09:00:00.000Z' },
    { projectId: launch!.id, title: 'Check the weather window', status: 'todo', priority: 3, createdBy: grace.id },
    { projectId: website!.id, title: 'Publish the landing page', status: 'todo', priority: 1, createdBy: grace.id, assigneeId: grace.id },
  ], { on: ['projectId', 'title'] })
  await db.upsert('comments', [{ taskId: pressRelease!.id, authorId: ada.id, body: 'Draft looks good: send it Monday.' }], { on: ['taskId', 'authorId', 'body'] })
})
