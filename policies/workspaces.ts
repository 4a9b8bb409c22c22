import { policies } from 'koyalite'
import * as schema from '../schema'

// A workspace's owner (its ownerId) is trusted before any member row exists, so they can add
// the first members, themselves included.
export default policies(schema, {
  workspaces: {
    read: (workspace, auth) =>
      workspace.ownerId === auth.userId || workspace.members.some((m) => m.userId === auth.userId) || auth.roles.includes('admin'),
    create: (workspace, auth) => workspace.ownerId === auth.userId,
    update: (workspace, auth) =>
      workspace.ownerId === auth.userId || workspace.members.some((m) => m.userId === auth.userId && m.role === 'owner'),
    delete: (workspace, auth) =>
      workspace.ownerId === auth.userId || workspace.members.some((m) => m.userId === auth.userId && m.role === 'owner'),
  },
  members: {
    read: (member, auth) =>
      member.workspace.ownerId === auth.userId || member.workspace.members.some((m) => m.userId === auth.userId),
    create: (member, auth) =>
      member.workspace.ownerId === auth.userId || member.workspace.members.some((m) => m.userId === auth.userId && m.role === 'owner'),
    update: (member, auth) =>
      member.workspace.ownerId === auth.userId || member.workspace.members.some((m) => m.userId === auth.userId && m.role === 'owner'),
    delete: (member, auth) =>
      member.workspace.ownerId === auth.userId || member.workspace.members.some((m) => m.userId === auth.userId && m.role === 'owner'),
  },
})
