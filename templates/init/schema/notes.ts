import { table, t } from 'koyalite'
import { users } from './users'

export const notes = table('notes', {
  id: t.id(),
  authorId: t.ref(() => users, { onDelete: 'cascade' }),
  title: t.text().min(1).max(200),
  body: t.text().max(20000).optional(),
  pinned: t.bool().default(false),
  createdAt: t.createdAt(),
  updatedAt: t.updatedAt(),
})
