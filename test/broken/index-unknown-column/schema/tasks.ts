import { table, t } from 'koyalite'
import { projects } from './projects'

export const tasks = table('tasks', {
  projectId: t.ref(() => projects),
  status: t.enum(['todo', 'done']).default('todo'),
}, {
  indexes: [['projectId', 'state']],
})
