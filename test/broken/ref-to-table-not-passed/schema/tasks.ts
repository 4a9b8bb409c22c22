import { table, t } from 'koyalite'
import { projects } from './projects'

export const tasks = table('tasks', {
  projectId: t.ref(() => projects, { onDelete: 'cascade' }),
  title: t.text(),
})
