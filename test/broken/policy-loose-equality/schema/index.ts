import { table, t } from 'koyalite'

export const users = table.users({ displayName: t.text() })

export const projects = table('projects', {
  ownerId: t.ref(() => users),
  name: t.text(),
  archived: t.bool().default(false),
})

export const tasks = table('tasks', {
  projectId: t.ref(() => projects, { onDelete: 'cascade' }),
  title: t.text(),
  priority: t.int().default(1),
  createdBy: t.ref(() => users),
})
