import { policies } from 'koyalite'
import * as schema from '../schema'

export default policies(schema, {
  projects: {
    read: (project, auth) => project.workspace.members.some((m) => m.userId === auth.userId),
    create: (project, auth) => project.workspace.members.some((m) => m.userId === auth.userId && ['owner', 'editor'].includes(m.role)),
    update: (project, auth) => project.workspace.members.some((m) => m.userId === auth.userId && ['owner', 'editor'].includes(m.role)),
    delete: (project, auth) => project.workspace.members.some((m) => m.userId === auth.userId && m.role === 'owner'),
  },
})
