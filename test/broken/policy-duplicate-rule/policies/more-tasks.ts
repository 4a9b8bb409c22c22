import { policies } from 'koyalite'
import * as schema from '../schema'

export default policies(schema, {
  projects: { read: () => true },
  tasks: {
    read: (task, auth) => task.project.ownerId === auth.userId,
  },
})
