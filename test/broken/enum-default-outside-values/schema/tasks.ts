import { table, t } from 'koyalite'

export const tasks = table('tasks', {
  id: t.id(),
  title: t.text().min(1).max(200),
  status: t.enum(['todo', 'doing', 'done']).default('late'),
})
