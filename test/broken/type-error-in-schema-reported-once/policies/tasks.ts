import { policies } from 'koyalite'
import * as schema from '../schema'

export default policies(schema, {
  tasks: {
    read: (task, auth) => task.createdBy === auth.userId,
  },
})
