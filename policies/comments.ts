import { policies } from 'koyalite'
import * as schema from '../schema'

export default policies(schema, {
  comments: {
    read: (comment, auth) => comment.task.project.workspace.members.some((m) => m.userId === auth.userId),
    // A reply stays on its parent's task, so it cannot reach into another workspace.
    create: (comment, auth) =>
      comment.authorId === auth.userId &&
      comment.task.project.workspace.members.some((m) => m.userId === auth.userId && m.role !== 'viewer') &&
      (comment.parentId === null || comment.parent?.taskId === comment.taskId),
    // Authors edit their own comments, and the edited comment must still be one they could write.
    update: {
      using: (comment, auth) => comment.authorId === auth.userId,
      check: (comment, auth) =>
        comment.authorId === auth.userId &&
        comment.task.project.workspace.members.some((m) => m.userId === auth.userId && m.role !== 'viewer') &&
        (comment.parentId === null || comment.parent?.taskId === comment.taskId),
    },
    delete: (comment, auth) => comment.authorId === auth.userId || auth.roles.includes('admin'),
  },
})
