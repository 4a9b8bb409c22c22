import { table, t } from 'koyalite'
import { users } from './users'

export const posts = table('posts', {
  id: t.id(),
  authorId: t.ref(() => users, { onDelete: 'cascade' }),
  title: t.text().min(1).max(200),
  body: t.text().max(20000),
  published: t.bool().default(false),
  createdAt: t.createdAt(),
}, {
  // The list the benchmark reads: published posts, newest first.
  indexes: [['published', 'createdAt']],
})
