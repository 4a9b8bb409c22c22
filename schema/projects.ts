import { table, t } from 'koyalite'
import { workspaces } from './workspaces'

export const projects = table('projects', {
  id: t.id(),
  workspaceId: t.ref(() => workspaces, { onDelete: 'cascade' }),
  name: t.text().min(1).max(120),
  description: t.text().max(2000).optional(),
  archived: t.bool().default(false),
  createdAt: t.createdAt(),
  updatedAt: t.updatedAt(),
}, {
  indexes: [['workspaceId', 'name']],
})
