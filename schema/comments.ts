import { table, t } from 'koyalite'
import { tasks } from './tasks'
import { users } from './users'

export const comments = table('comments', {
  id: t.id(),
  taskId: t.ref(() => tasks, { onDelete: 'cascade' }),
  authorId: t.ref(() => users, { onDelete: 'cascade' }),
  // A reply points at the comment it answers; `t.ref('comments')` because a table cannot
  // name itself in its own initializer.
  parentId: t.ref('comments', { onDelete: 'cascade', inverse: 'replies' }).optional(),
  body: t.text().min(1).max(10000).personal(),
  meta: t.json().optional(),
  createdAt: t.createdAt(),
  updatedAt: t.updatedAt(),
})
