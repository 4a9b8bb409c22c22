import { table, t } from 'koyalite'
import { projects } from './projects'
import { users } from './users'

export const tasks = table('tasks', {
  id: t.id(),
  projectId: t.ref(() => projects, { onDelete: 'cascade' }),
  title: t.text().min(1).max(200),
  body: t.text().max(20000).optional(),
  status: t.enum(['todo', 'doing', 'done']).default('todo'),
  priority: t.int().min(0).max(3).default(1),
  dueAt: t.timestamp().optional(),
  assigneeId: t.ref(() => users, { onDelete: 'set null', inverse: 'assignedTasks' }).optional(),
  createdBy: t.ref(() => users),
  createdAt: t.createdAt(),
  updatedAt: t.updatedAt(),
}, {
  indexes: [['projectId', 'status']],
  // A task stays with its project when its author is erased; it is about the work, not them.
  owner: 'createdBy',
  onErase: 'anonymize',
  search: { text: ['title', 'body'], semantic: ['body'] },
})
