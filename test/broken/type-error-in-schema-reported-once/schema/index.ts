import { table, t } from 'koyalite'

export const users = table.users({ displayName: t.text() })

export const projects = table('projects', {
  ownerId: t.ref(() => users),
  name: t.text(),
})

export const tasks = table('tasks', {
  projectId: t.ref(() => projects, { onDelete: 'cascad' }),
  title: t.text(),
  createdBy: t.ref(() => users),
})

export const comments = table('comments', {
  taskId: t.ref(() => tasks, { onDelete: 'cascade' }),
  body: t.text(),
})
