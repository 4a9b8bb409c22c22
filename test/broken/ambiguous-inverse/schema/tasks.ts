import { table, t } from 'koyalite'
import { users } from './users'

// Both refs give users a has-many relation named "tasks".
export const tasks = table('tasks', {
  title: t.text(),
  assigneeId: t.ref(() => users).optional(),
  createdById: t.ref(() => users),
})
