import { table, t } from 'koyalite'

export const tasks = table('tasks', {
  title: t.text().min(1).max(200)
  body: t.text().optional(),
})
