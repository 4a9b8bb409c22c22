import { table, t } from 'koyalite'
import { users } from './users'

export const tasks = table('tasks', {
  title: t.text(),
  assigneeId: t.ref(() => users, { onDelete: 'set null' }),
})
