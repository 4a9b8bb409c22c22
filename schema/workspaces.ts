import { table, t } from 'koyalite'
import { users } from './users'

export const workspaces = table('workspaces', {
  id: t.id(),
  name: t.text().min(1).max(120),
  slug: t.text().min(2).max(64).unique(),
  ownerId: t.ref(() => users, { inverse: 'ownedWorkspaces' }),
  createdAt: t.createdAt(),
  updatedAt: t.updatedAt(),
}, {
  // Other members' projects live in it: erasing its owner keeps it (the owner's user row is then
  // anonymised rather than deleted, since ownerId still points at it).
  onErase: 'keep',
})

/** Who belongs to a workspace, and with which role. */
export const members = table('members', {
  id: t.id(),
  workspaceId: t.ref(() => workspaces, { onDelete: 'cascade' }),
  userId: t.ref(() => users, { onDelete: 'cascade', inverse: 'memberships' }),
  role: t.enum(['owner', 'editor', 'viewer']).default('viewer'),
  createdAt: t.createdAt(),
}, {
  indexes: [{ columns: ['workspaceId', 'userId'], unique: true }],
})
