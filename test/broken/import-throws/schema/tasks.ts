import { table, t } from 'koyalite'

const statuses = JSON.parse('["todo", "done"') as [string, ...string[]]

export const tasks = table('tasks', {
  status: t.enum(statuses),
})
