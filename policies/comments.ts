import { policies } from 'koyalite'
import * as schema from '../schema'

export default policies(schema, {
  comments: {
    read: (comment, auth) => comment.task.project.workspace.members.some((m) => m.userId === auth.userId),
    create: (comment, auth) =>
      comment.authorId === auth.userId &&
      comment.task.project.workspace.members.some((m) => m.userId === auth.userId && m.role !== 'viewer'),
    update: (comment, auth) => comment.authorId === auth.userId,
    delete: (comment, auth) => comment.authorId === auth.userId || auth.roles.includes('admin'),
  },
})
