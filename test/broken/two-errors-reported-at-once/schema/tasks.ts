import { table, t } from 'koyalite'

export const tasks = table('tasks', {
  projectId: t.ref('project'),
  title: t.text(),
})
