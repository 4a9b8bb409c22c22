import { policies } from 'koyalite'
import * as schema from '../schema'

export default policies(schema, {
  tasks: {
    read: (task, auth) => task.project.workspace.members.some((m) => m.userId === auth.userId),
    create: (task, auth) =>
      task.createdBy === auth.userId && task.project.workspace.members.some((m) => m.userId === auth.userId && m.role !== 'viewer'),
    // `check` holds the changed row to the same rule: a task cannot be moved into a project
    // of a workspace where the caller cannot edit.
    update: {
      using: (task, auth) => task.project.workspace.members.some((m) => m.userId === auth.userId && m.role !== 'viewer'),
      check: (task, auth) => task.project.workspace.members.some((m) => m.userId === auth.userId && m.role !== 'viewer'),
    },
    // Not the creator: an editor may rewrite `createdBy` (a rule cannot compare with the old
    // row), so it proves nothing about who made the task.
    delete: (task, auth) => task.project.workspace.members.some((m) => m.userId === auth.userId && m.role === 'owner') || auth.roles.includes('admin'),
  },
})
