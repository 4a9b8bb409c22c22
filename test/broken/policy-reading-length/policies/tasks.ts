import { policies } from 'koyalite'
import * as schema from '../schema'

export default policies(schema, {
  tasks: {
    read: (task, auth) => task.project.owner.projects.some((p) => p.tasks.every((t) => t.title.length > 0)) || auth.userId === null,
  },
})
